package exporter

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// TestAgreesWithTextfile renders one set of results through the exporter and
// through the node_exporter textfile output and checks that every per-port and
// per-host series is the same in both: dashboards and alerts must not care which
// one they read.
func TestAgreesWithTextfile(t *testing.T) {
	addr := netip.MustParseAddr("198.18.0.2")
	dc := &results.Check{Profiles: []string{"domain-controller"}, Expect: results.ExpectOpen, Service: "LDAP"}
	sql := &results.Check{Profiles: []string{"sql-server"}, Expect: results.ExpectOpen}
	opt := &results.Check{Profiles: []string{"domain-controller", "dns-server"}, Expect: results.ExpectOptional}
	closed := &results.Check{Profiles: []string{"hardening"}, Expect: results.ExpectClosed}
	now := time.Now()
	rs := []results.Result{
		{Target: "dc01", Addr: addr, Source: netip.MustParseAddr("198.18.0.1"), Proto: results.TCP, Port: 389, State: results.Open, RTT: 412 * time.Microsecond, Check: dc, Time: now},
		{Target: "dc01", Addr: addr, Proto: results.TCP, Port: 445, State: results.Filtered, Reason: results.ReasonNoResponse, Check: dc, Time: now},
		{Target: "dc01", Addr: addr, Proto: results.UDP, Port: 53, State: results.OpenFiltered, Check: opt, Time: now},
		{Target: "dc01", Addr: addr, Proto: results.TCP, Port: 23, State: results.Closed, RTT: time.Millisecond, Check: closed, Time: now},
		{Target: "dc01", Addr: addr, Proto: results.TCP, Port: 1433, State: results.Open, RTT: time.Millisecond, Check: sql, Time: now},
		// The same port again, revealed by the SQL Browser: one series, both profiles.
		{Target: "dc01", Addr: addr, Proto: results.TCP, Port: 1433, State: results.Open, RTT: 2 * time.Millisecond, Under: "instance SQLEXPRESS", Time: now},
		{Target: "dc01", Addr: addr, Proto: "gre", State: results.NotTested, Check: dc, Time: now},
		{Target: "role sql", Proto: results.TCP, Port: 1433, State: results.Skipped, Check: sql, Time: now},
		{Target: "nosuch", State: results.Error, Reason: "resolve", Time: now},
		{Target: "dc01", Addr: addr, Proto: results.TCP, Port: 88, State: results.Unknown, Check: dc, Time: now},
	}

	reg, err := probeRegistry(rs, probeSummary{})
	if err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ours bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&ours, mf); err != nil {
			t.Fatal(err)
		}
	}
	var theirs bytes.Buffer
	if err := report.WritePrometheus(&theirs, &results.Report{Results: rs, Started: now, Finished: now}); err != nil {
		t.Fatal(err)
	}

	parse := func(what string, b []byte) map[string]float64 {
		p := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		out := map[string]float64{}
		for _, name := range []string{report.MetricPortState, report.MetricPortUp, report.MetricPortRTT,
			report.MetricExpectationFailed, report.MetricPortReason, report.MetricHostFailed, report.MetricHostSource} {
			for _, m := range fams[name].GetMetric() {
				out[seriesKey(name, m)] = m.GetGauge().GetValue() + m.GetUntyped().GetValue()
			}
		}
		return out
	}
	a, b := parse("exporter", ours.Bytes()), parse("textfile", theirs.Bytes())
	if len(a) < 9*8 {
		t.Fatalf("only %d series from the exporter", len(a))
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			t.Errorf("exporter %s = %v; textfile: %v (present %v)", k, v, w, ok)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			t.Errorf("textfile %s missing from the exporter", k)
		}
	}
	if !strings.Contains(ours.String(), `profile="domain-controller,dns-server"`) && !strings.Contains(ours.String(), `profile="dns-server,domain-controller"`) {
		t.Errorf("merged profiles label missing:\n%s", ours.String())
	}
}

func seriesKey(name string, m *dto.Metric) string {
	var ls []string
	for _, l := range m.GetLabel() {
		ls = append(ls, l.GetName()+"="+l.GetValue())
	}
	slices.Sort(ls)
	return name + "{" + strings.Join(ls, ",") + "}"
}
