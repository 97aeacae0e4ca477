package report

import (
	"bufio"
	"bytes"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/results"
)

func TestGoldenPrometheus(t *testing.T) {
	rep := fixtureReport()
	// Without the run of 100 filtered ports: the golden file stays readable.
	rep.Results = slices.DeleteFunc(rep.Results, func(r results.Result) bool { return r.Port > 50100 })
	rep.Drift = results.Diff(fixtureReport(), rep, testDriftRules)
	var b bytes.Buffer
	if err := WritePrometheus(&b, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "metrics.prom.golden", b.Bytes())

	// Streamed, the results in another order: the same bytes.
	b.Reset()
	p := NewPrometheusWriter(&b)
	for _, r := range slices.Backward(rep.Results) {
		if err := p.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	end := *rep
	end.Results = nil
	if err := p.Close(&end); err != nil {
		t.Fatal(err)
	}
	golden(t, "metrics.prom.golden", b.Bytes())
}

// promtool (Debian package prometheus) parses the output with Prometheus's own
// text parser and lints it against the naming conventions. It is required
// under CI=true.
func TestPrometheusPromtool(t *testing.T) {
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found: install the prometheus package (.ci/packages.txt)")
		}
		t.Skip("promtool not installed (Debian package prometheus)")
	}
	rep := fixtureReport()
	rep.Drift = results.Diff(fixtureReport(), rep, testDriftRules)
	// Label values that need escaping.
	rep.Results = append(rep.Results, results.Result{Target: `we"ird\name` + "\nx", Proto: results.UDP, Port: 9, State: results.OpenFiltered, Reason: "no-response"})
	for _, r := range []*results.Report{rep, {}} {
		var b bytes.Buffer
		if err := WritePrometheus(&b, r); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(path, "check", "metrics")
		cmd.Stdin = bytes.NewReader(b.Bytes())
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("promtool check metrics: %v\n%s\n--- input ---\n%s", err, out, b.Bytes())
		}
	}
}

var (
	promSample = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$`)
	promLabel  = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?`)
)

// What node_exporter's textfile collector needs beyond syntax: every series
// unique (it refuses the whole file otherwise), no timestamps, every family
// announced once by HELP and TYPE before its samples, names from the exported
// constants only, and values that make sense.
func TestPrometheusSeries(t *testing.T) {
	rep := fixtureReport()
	// The SQL default instance's port, also a profile entry: one series.
	dup := rep.Results[1]
	dup.Under, dup.Check = "instance MSSQLSERVER", &results.Check{Profiles: []string{"sql"}, Expect: results.ExpectOpen}
	rep.Results = append(rep.Results, dup)
	var b bytes.Buffer
	if err := WritePrometheus(&b, rep); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for name := range MetricHelp {
		known[name] = true
	}
	series := map[string]string{}
	announced := map[string]int{}
	var family string
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
			family, _, _ = strings.Cut(rest, " ")
			announced[family]++
			continue
		}
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			if rest != family+" gauge" {
				t.Errorf("TYPE line %q after HELP of %s", line, family)
			}
			continue
		}
		m := promSample.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a sample line (or a timestamp follows the value): %q", line)
		}
		if m[1] != family || !known[m[1]] {
			t.Errorf("sample %q outside its family %s, or an unknown name", line, family)
		}
		if _, err := strconv.ParseFloat(m[4], 64); err != nil {
			t.Errorf("value of %q: %v", line, err)
		}
		labels := map[string]string{}
		for rest := m[3]; rest != ""; {
			lm := promLabel.FindStringSubmatch(rest)
			if lm == nil {
				t.Fatalf("bad labels in %q", line)
			}
			labels[lm[1]] = lm[2]
			rest = rest[len(lm[0]):]
		}
		key := m[1]
		if m[3] != "" {
			key += "{" + m[3] + "}"
		}
		if prev, dup := series[key]; dup {
			t.Errorf("duplicate series %s (values %s and %s)", key, prev, m[4])
		}
		series[key] = m[4]
		if m[1] == MetricPortState && m[4] != "0" && m[4] != "1" {
			t.Errorf("port state is neither 0 nor 1: %q", line)
		}
	}
	for name, n := range announced {
		if n != 1 {
			t.Errorf("%s announced %d times", name, n)
		}
	}
	want := map[string]string{
		`portreach_port_up{host="mail01",address="198.18.1.2",port="25",proto="tcp",profile="exchange-mailbox,sql"}`:                          "1",
		`portreach_port_state{host="mail01",address="198.18.1.2",port="443",proto="tcp",profile="exchange-mailbox",state="filtered"}`:         "1",
		`portreach_port_state{host="mail01",address="198.18.1.2",port="443",proto="tcp",profile="exchange-mailbox",state="open"}`:             "0",
		`portreach_expectation_failed{host="mail01",address="198.18.1.2",port="3389",proto="tcp",profile="hardening",expect="closed"}`:        "1",
		`portreach_expectation_failed{host="mail01",address="198.18.1.2",port="25",proto="tcp",profile="exchange-mailbox,sql",expect="open"}`: "0",
		`portreach_port_rtt_seconds{host="mail01",address="198.18.1.2",port="25",proto="tcp",profile="exchange-mailbox,sql"}`:                 "0.000412",
		`portreach_port_up{host="mail01",address="198.18.1.2",port="",proto="gre",profile="exchange-mailbox"}`:                                "0",
		`portreach_port_state{host="nosuch.invalid",address="",port="",proto="",profile="",state="error"}`:                                    "1",
		`portreach_host_failed{host="mail01",address="198.18.1.2"}`:                                                                           "1",
		`portreach_host_failed{host="2001:db8::10",address="2001:db8::10"}`:                                                                   "0",
		`portreach_run_failed`:                 "1",
		`portreach_run_incomplete`:             "1",
		`portreach_last_run_timestamp_seconds`: "1.79545320525e+09", // expfmt's shortest form ('g')
		`portreach_run_duration_seconds`:       "5.25",
	}
	for k, v := range want {
		if got, ok := series[k]; !ok || got != v {
			t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
		}
	}
	if rep.Finished.UnixNano() != time.Date(2026, 11, 23, 17, 0, 5, 250e6, time.UTC).UnixNano() {
		t.Fatal("fixture changed")
	}
	if _, ok := series[`portreach_drift_changes{kind="state"}`]; ok {
		t.Error("drift metrics without a baseline")
	}
	// Per port, exactly one state is 1.
	ones := map[string]int{}
	for k, v := range series {
		if strings.HasPrefix(k, MetricPortState+"{") && v == "1" {
			ones[regexp.MustCompile(`,state="[^"]*"`).ReplaceAllString(k, "")]++
		}
	}
	for k, n := range ones {
		if n != 1 {
			t.Errorf("%s: %d states are 1", k, n)
		}
	}
	// One port per result, but for the SQL instance's port the Browser
	// revealed (1433, a profile entry too) and the second DC locator
	// question asked of the same DNS server port.
	if n := len(ones); n != len(rep.Results)-2 {
		t.Errorf("%d ports with a state, want %d", n, len(rep.Results)-2)
	}
}

// The reason label takes its values from the vocabulary only, and says why a
// check failed (a producer's reason included), so an alert can tell a firewall
// from a stopped service.
func TestReasonLabels(t *testing.T) {
	open := &results.Check{Expect: results.ExpectOpen}
	missing := results.Result{State: results.NotTested, Reason: results.ReasonInstanceNotListed, Check: open}
	missing.Fail(results.ReasonInstanceNotListed)
	for _, tc := range []struct {
		r              results.Result
		status, reason string
	}{
		{results.Result{State: results.Filtered, Reason: results.ReasonNoResponse, Check: open}, "failed", "no-response"},
		{results.Result{State: results.Closed, Reason: results.ReasonConnRefused, Check: open}, "failed", "conn-refused"},
		{results.Result{State: results.Closed, Reason: results.ReasonConnRefused, Check: &results.Check{Expect: results.ExpectReachable}}, "met", "conn-refused"},
		{results.Result{State: results.OpenFiltered, Reason: results.ReasonNoResponse, Check: &results.Check{Expect: results.ExpectReachable}}, "undetermined", "no-response"},
		{missing, "failed", "instance-not-listed"},
		{results.Result{State: results.Open, Reason: results.ReasonSynAck}, "", "syn-ack"},
		{results.Result{State: results.Open, Reason: "made-up"}, "", "other"},
		{results.Result{State: results.Error, Reason: "", Check: open}, "failed", "other"},
	} {
		status, reason := ReasonLabels(&tc.r)
		if status != tc.status || reason != tc.reason {
			t.Errorf("%+v: status %q reason %q, want %q %q", tc.r, status, reason, tc.status, tc.reason)
		}
	}
}

// certDetail stands for a confirmed TLS service's details.
type certDetail struct{ notAfter time.Time }

func (c certDetail) CertExpiry() (time.Time, bool) { return c.notAfter, !c.notAfter.IsZero() }

// The earliest certificate expiry is a Unix time, as blackbox_exporter's
// probe_ssl_earliest_cert_expiry is.
func TestPrometheusCertExpiry(t *testing.T) {
	at := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	rep := &results.Report{Started: at, Finished: at, Results: []results.Result{
		{Target: "mail", Proto: results.TCP, Port: 993, State: results.Open, Details: certDetail{at}},
		{Target: "mail", Proto: results.TCP, Port: 25, State: results.Open, Details: certDetail{}},
	}}
	var b bytes.Buffer
	if err := WritePrometheus(&b, rep); err != nil {
		t.Fatal(err)
	}
	want := `portreach_port_ssl_earliest_cert_expiry{host="mail",address="",port="993",proto="tcp",profile=""} 1.8039024e+09`
	if !strings.Contains(b.String(), want+"\n") || strings.Count(b.String(), "portreach_port_ssl_earliest_cert_expiry{") != 1 {
		t.Errorf("want exactly\n%s\nin\n%s", want, b.String())
	}
}

// Two RPC interfaces registered on one port, one check met and one failed (a
// bind refused): the port's single series says failed, whichever comes first.
func TestPrometheusSharedPortFailing(t *testing.T) {
	check := &results.Check{Profiles: []string{"domain-controller"}, Expect: results.ExpectOpen}
	ok := results.Result{Target: "dc", Proto: results.TCP, Port: 49153, State: results.Open, Reason: results.ReasonRPCBindAck, Check: check, Detail: "LSA"}
	bad := ok
	bad.Reason, bad.Detail = results.ReasonRPCBindRejected, "DRSUAPI"
	bad.Fail(results.ReasonRPCBindRejected)
	for _, rs := range [][]results.Result{{ok, bad}, {bad, ok}} {
		var b bytes.Buffer
		if err := WritePrometheus(&b, &results.Report{Results: rs}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), MetricExpectationFailed+`{host="dc",address="",port="49153",proto="tcp",profile="domain-controller",expect="open"} 1`) {
			t.Errorf("the failing interface is hidden:\n%s", b.String())
		}
	}
}

// BenchmarkPrometheusWriter renders the textfile of a sweep of every TCP port
// of one host (make bench's row 5 writes it): what a port costs to keep and to
// write, 11 samples each.
func BenchmarkPrometheusWriter(b *testing.B) {
	addr := netip.MustParseAddr("198.18.1.2")
	rs := make([]results.Result, 0, 65535)
	for p := 1; p <= 65535; p++ {
		r := results.Result{Target: "h", Addr: addr, Proto: results.TCP, Port: uint16(p), State: results.Closed, Reason: results.ReasonConnRefused, RTT: 80 * time.Microsecond}
		if p%100 == 0 {
			r.State, r.Reason = results.Open, results.ReasonSynAck
		}
		rs = append(rs, r)
	}
	rep := &results.Report{Started: time.Unix(1e9, 0), Finished: time.Unix(1e9+5, 0)}
	b.ReportAllocs()
	for b.Loop() {
		p := NewPrometheusWriter(io.Discard)
		for _, r := range rs {
			if err := p.Write(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Close(rep); err != nil {
			b.Fatal(err)
		}
	}
}
