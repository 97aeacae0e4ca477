package report

import (
	"bufio"
	"bytes"
	"cmp"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/portreach/portreach/results"
)

// Metric and label names of the Prometheus text format, shared by the textfile
// output (WritePrometheus, for node_exporter's textfile collector) and by any
// exporter that serves the same results over HTTP, so that dashboards and alerts
// work with either.
//
// Naming follows https://prometheus.io/docs/practices/naming/: one "portreach_"
// prefix, snake_case, base units (seconds), "_timestamp_seconds" for Unix times,
// and no unit-less suffix that would imply a counter ("_total") on what are all
// gauges: every value is the outcome of the latest run, not an accumulation.
const (
	// MetricPortState is 1 for the state a port is in and 0 for every other
	// state (the "enum as a set of 0/1 series" pattern of the Prometheus
	// instrumentation guide), so that both `== 1` and `== 0` on one state can be
	// alerted on. Labels: host, address, port, proto, profile, state.
	MetricPortState = "portreach_port_state"
	// MetricPortUp is 1 when the port is open (a service answered), else 0.
	// Labels: host, address, port, proto, profile.
	MetricPortUp = "portreach_port_up"
	// MetricPortRTT is the round-trip time of the answer that decided the port's
	// state, in seconds; absent for ports that nothing answered.
	// Labels: host, address, port, proto, profile.
	MetricPortRTT = "portreach_port_rtt_seconds"
	// MetricExpectationFailed is 1 when the port fails what its profile entry
	// requires (see results.Fails), else 0; present only for checked ports (results.Checked).
	// Labels: host, address, port, proto, profile, expect.
	MetricExpectationFailed = "portreach_expectation_failed"
	// MetricPortReason is always 1 (an "info" metric: join on the port's
	// labels). Its reason label says why the port got its state or, for a
	// checked port, why its check came out as it did (results.Judge's Why): no-response
	// or admin-prohibited point at a firewall, conn-refused or port-unreachable
	// at a service that is not running, instance-not-listed at a SQL instance
	// that is missing. Its status label is the check's outcome (met, failed,
	// untested, undetermined; empty for a port without a check). Both come from
	// fixed vocabularies (results.Reasons, results.Statuses; a reason outside the vocabulary is
	// written "other"), so there is one series per port at any time and the set
	// of label values is bounded. Labels: host, address, port, proto, profile,
	// status, reason.
	MetricPortReason = "portreach_port_reason_info"
	// MetricPortCertExpiry is the earliest not-after of the certificates a TLS
	// service sent (its own and the chain's), as a Unix time in seconds, the
	// convention of blackbox_exporter's probe_ssl_earliest_cert_expiry: alert
	// on `portreach_port_ssl_earliest_cert_expiry - time() < 14 * 86400`.
	// Present only for confirmed TLS services. Labels: as MetricPortUp.
	MetricPortCertExpiry = "portreach_port_ssl_earliest_cert_expiry"
	// MetricPortDropHop is the hop at which a traced port's packets stop
	// (--trace, results.Trace.DropHop): the last hop that answered before the
	// silence (0: none did), the hop that rejected them, or the host's own hop
	// when its firewall drops them; the end label says which
	// (results.TraceEnd: dropped, host-drops, rejected, host-rejects). Present
	// only for traced ports whose trace stops somewhere. Labels: host,
	// address, port, proto, profile, end.
	MetricPortDropHop = "portreach_port_drop_hop"
	// MetricDCClockOffset is how far the server's clock is ahead of this
	// machine's, in seconds (negative: behind), from a Kerberos error's server
	// time or an NTP reply: a KDC beyond 5 minutes (Kerberos' MaxClockSkew)
	// refuses logons. Present only for ports whose reply carries a clock.
	// Labels: as MetricPortUp.
	MetricDCClockOffset = "portreach_dc_clock_offset_seconds"
	// MetricDCRecord is always 1 (an "info" metric): one series per DNS SRV
	// record that named a host the DC locator found (--domain). Labels: host,
	// address, record.
	MetricDCRecord = "portreach_dc_record_info"
	// MetricHostFailed is 1 when the host has at least one failed expectation.
	// Labels: host, address.
	MetricHostFailed = "portreach_host_failed"
	// MetricHostSource is always 1; its source_address label is the local
	// address the host was scanned from, the address its firewall sees (an
	// "info" metric: join on host and address). Absent for hosts that were not
	// scanned. Labels: host, address, source_address.
	MetricHostSource = "portreach_host_source_info"
	// MetricRunFailed is 1 when the run's verdict is fail (the exit status is 1
	// or worse), else 0. No labels.
	MetricRunFailed = "portreach_run_failed"
	// MetricRunIncomplete is 1 when the run was interrupted or hit its time
	// bound, so some ports never finished (state "unknown"). No labels.
	MetricRunIncomplete = "portreach_run_incomplete"
	// MetricLastRun is when the run finished, as a Unix time in seconds; alert
	// on `time() - portreach_last_run_timestamp_seconds` to notice a cron job
	// that stopped running. No labels.
	MetricLastRun = "portreach_last_run_timestamp_seconds"
	// MetricRunDuration is how long the run took, in seconds. No labels.
	MetricRunDuration = "portreach_run_duration_seconds"
	// MetricDriftChanges is the number of differences from the baseline, by
	// kind (see results.DriftKind); present only when the run was compared with one.
	// Labels: kind.
	MetricDriftChanges = "portreach_drift_changes"
)

// Label names of the metrics above.
const (
	// LabelHost is the target as the user gave it (a name, an address, or the
	// CIDR/range it was expanded from).
	LabelHost = "host"
	// LabelAddress is the address probed; empty when the target did not resolve.
	LabelAddress = "address"
	// LabelPort is the port number in decimal; empty for IP protocols (gre, esp).
	LabelPort = "port"
	// LabelProto is the protocol: "tcp", "udp", or an IP protocol name.
	LabelProto = "proto"
	// LabelProfile is the slugs of the profiles that asked for the port, sorted
	// and joined with ","; empty for ad-hoc ports. One series per port (not per
	// profile) keeps sums over a host from counting a port twice.
	LabelProfile = "profile"
	// LabelState is a state's name as every other format spells it (results.State.String).
	LabelState = "state"
	// LabelExpect is the expectation: "open", "closed" or "reachable".
	LabelExpect = "expect"
	// LabelStatus is a check's outcome (Status): met, failed, untested,
	// undetermined, or empty for a port without a check.
	LabelStatus = "status"
	// LabelReason is a reason of the vocabulary (results.Reasons), or "other".
	LabelReason = "reason"
	// LabelSourceAddress is the local address a host was scanned from.
	LabelSourceAddress = "source_address"
	// LabelKind is a drift kind's name (results.DriftKind.String).
	LabelKind = "kind"
	// LabelVantage names where a host was checked from (results.Vantage): a
	// policy's source, or an exporter's --name. It is the first label of every
	// per-port and per-host series when the results carry one, and absent
	// otherwise, as from a plain scan.
	LabelVantage = "vantage"
	// LabelEnd is how a trace ended (results.TraceEnd).
	LabelEnd = "end"
	// LabelRecord is a DNS SRV record's name ("_ldap._tcp.dc._msdcs.lab.example").
	LabelRecord = "record"
)

// MetricHelp is the HELP text of each metric above.
var MetricHelp = map[string]string{
	MetricPortState:         "Port state from the latest portreach run: 1 for the state the port is in, 0 for the others.",
	MetricPortUp:            "1 when the port is open (a service answered), else 0.",
	MetricPortRTT:           "Round-trip time of the answer that decided the port's state, in seconds.",
	MetricExpectationFailed: "1 when the port fails what its profile entry requires (open, closed or reachable), else 0.",
	MetricPortReason:        "Always 1: the reason label says why the port got its state or its check its outcome (status label), from a fixed vocabulary.",
	MetricPortCertExpiry:    "Earliest not-after of the certificates the port's TLS service sent, as a Unix time in seconds.",
	MetricPortDropHop:       "Hop at which the port's own packets stop (--trace): the last that answered before the silence (0: none did), the rejecting hop, or the host's hop when the host drops them; the end label says which.",
	MetricDCClockOffset:     "Seconds the server's clock is ahead of this machine's (negative: behind), from a Kerberos error or an NTP reply.",
	MetricDCRecord:          "Always 1: the record label is a DNS SRV record that named the host, a domain controller the DC locator found.",
	MetricHostFailed:        "1 when the host has at least one failed expectation, else 0.",
	MetricHostSource:        "Always 1: the source_address label is the local address the host was scanned from, as its firewall sees it.",
	MetricRunFailed:         "1 when at least one expectation failed in the latest run, else 0.",
	MetricRunIncomplete:     "1 when the latest run stopped (interrupted or --max-time) before every port finished, else 0.",
	MetricLastRun:           "When the latest portreach run finished, as a Unix time in seconds.",
	MetricRunDuration:       "How long the latest portreach run took, in seconds.",
	MetricDriftChanges:      "Differences from the baseline report in the latest run, by kind.",
}

// WritePrometheus writes rep in the Prometheus text exposition format (version
// 0.0.4), for node_exporter's textfile collector, through client_golang's text
// encoder (expfmt), as an exporter serves it: one HELP and TYPE line per
// metric family that has samples, then its samples in results.Sort order; no
// sample timestamps (the collector refuses them; the scrape time is the sample
// time and MetricLastRun says when the run was). Every metric is a gauge.
//
// A port reported twice for one host (a profile entry and a port a reply
// revealed, such as SQL Server's 1433; two RPC interfaces registered on one
// port) is written once, with the first result's state (the first failing one's,
// if any fails) and the profiles of both, since a series must be unique.
//
// Cardinality: MetricPortState has one series per port and state, so a scan of
// N ports writes 8×N of them; textfile exports suit audits of role profiles,
// not sweeps of every port.
func WritePrometheus(w io.Writer, rep *results.Report) error {
	p := NewPrometheusWriter(w)
	for _, r := range results.Sorted(rep.Results) {
		if err := p.Write(r); err != nil {
			return err
		}
	}
	return p.Close(rep)
}

// PrometheusWriter is the one renderer of portreach's metrics: it builds the
// series WritePrometheus writes from results written one at a time, keeping
// per port only what the metrics print (its state, RTT, check, reason labels,
// certificate expiry, profiles) and one summary per host, not the results.
// Close writes them as a textfile. It is also a prometheus.Collector of the
// per-port and per-host series, which is how the exporter (package exporter)
// serves a probe's results: the same series, from the same code. A
// PrometheusWriter is safe for concurrent use.
type PrometheusWriter struct {
	mu     sync.Mutex
	w      io.Writer
	hosts  map[hostKey]*results.Host
	index  map[hostKey]int32 // a host's index in keys
	keys   []hostKey
	ports  []promPort
	kinds  map[promKind]*promKind // interned: few ports differ in these
	failed bool
	done   bool // ports sorted and each port's results merged (finish)
}

// promPort is what the metrics print of one result: 32 bytes.
type promPort struct {
	host int32 // index in PrometheusWriter.keys
	port uint16
	*promKind
	rtt  time.Duration
	more *promMore // nil for a port without a check, follow-up or certificate
}

// promKind is what many ports share.
type promKind struct {
	proto          results.Proto
	state          results.State
	fails, checked bool
	status, reason string
}

// promMore is what few ports carry: a check, a follow-up's origin, a
// certificate.
type promMore struct {
	under, via string
	profiles   []string
	expect     results.Expectation
	cert       int64 // Unix seconds, when hasCert
	hasCert    bool
	dropHop    int              // results.Trace.DropHop, when end is set
	end        results.TraceEnd // the trace's end; "" for none that stops somewhere
	clock      float64          // the server's clock offset, when hasClock
	hasClock   bool
}

// NewPrometheusWriter returns a writer that renders to w on Close. A writer
// used only as a prometheus.Collector is never closed; w may then be nil.
func NewPrometheusWriter(w io.Writer) *PrometheusWriter {
	return &PrometheusWriter{w: w, hosts: map[hostKey]*results.Host{}, index: map[hostKey]int32{}, kinds: map[promKind]*promKind{}}
}

// Write counts r in its host's summary and keeps what the metrics print of it.
func (p *PrometheusWriter) Write(r results.Result) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	// A series has no rule label: a port two rules of a policy check from one
	// source is one series, merged as a port reported twice is (finish).
	r.Rule = ""
	summarize(p.hosts, &r)
	k := r.Key()
	h, ok := p.index[k]
	if !ok {
		h = int32(len(p.keys))
		p.index[k] = h
		p.keys = append(p.keys, k)
	}
	status, reason := ReasonLabels(&r)
	kind := promKind{proto: r.Proto, state: r.State, fails: results.Fails(&r), checked: results.Checked(&r), status: status, reason: reason}
	pk := p.kinds[kind]
	if pk == nil {
		pk = &kind
		p.kinds[kind] = pk
	}
	pp := promPort{host: h, port: r.Port, promKind: pk, rtt: r.RTT}
	t, hasCert := results.CertExpiry(&r)
	dropHop := -1
	if r.Trace != nil {
		dropHop = r.Trace.DropHop()
	}
	if r.Check != nil || r.Under != "" || r.Via != "" || hasCert || dropHop >= 0 || r.ClockOffset != nil {
		pp.more = &promMore{under: r.Under, via: r.Via, hasCert: hasCert}
		if dropHop >= 0 {
			pp.more.dropHop, pp.more.end = dropHop, r.Trace.End
		}
		if r.ClockOffset != nil {
			pp.more.clock, pp.more.hasClock = *r.ClockOffset, true
		}
		if r.Check != nil {
			pp.more.profiles = slices.Clone(r.Check.Profiles)
			pp.more.expect = r.Check.Expect
		}
		if hasCert {
			pp.more.cert = t.Unix()
		}
	}
	p.failed = p.failed || pp.fails
	p.ports = append(p.ports, pp)
	p.done = false
	return nil
}

// extra returns what pp carries beyond the common fields: nothing (a shared,
// read-only zero value) for most ports.
func (pp *promPort) extra() *promMore {
	if pp.more == nil {
		return &noMore
	}
	return pp.more
}

var noMore promMore

// Close writes the metrics of the results written, with rep's Started,
// Finished, Interrupted, Incomplete and Drift (its Results are not read).
func (p *PrometheusWriter) Close(rep *results.Report) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	bw := bufio.NewWriter(p.w)
	t := &textfile{w: bw}
	p.emit(t, rep)
	t.flush()
	if t.err != nil {
		return t.err
	}
	return bw.Flush()
}

// Describe is prometheus.Collector's. It sends no descriptor: a PrometheusWriter is an unchecked collector (client_golang's
// term), since its families carry LabelVantage or not depending on the
// results written, and a registry refuses one name described with two label
// sets. The registry still checks what it gathers for consistency.
func (p *PrometheusWriter) Describe(chan<- *prometheus.Desc) {}

// Collect sends the per-port and per-host series of the results written so
// far (prometheus.Collector); the run's series are the collector's owner's.
func (p *PrometheusWriter) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emit(&collected{ch: ch}, nil)
}

// finish puts the ports in results.Sort order and merges the results of one
// port of one host, once.
func (p *PrometheusWriter) finish() {
	if p.done {
		return
	}
	p.done = true
	rank := make([]int, len(p.keys))
	for i, h := range sortedHosts(p.hosts) {
		rank[p.index[h.Key()]] = i
	}
	// Sort order (see results.Sort), stable: results equal in it keep the order they came in.
	slices.SortStableFunc(p.ports, func(a, b promPort) int {
		if c := cmp.Compare(rank[a.host], rank[b.host]); c != 0 {
			return c
		}
		if c := results.CompareProto(a.proto, b.proto); c != 0 {
			return c
		}
		if c := cmp.Compare(a.port, b.port); c != 0 {
			return c
		}
		if c := cmp.Compare(a.extra().under, b.extra().under); c != 0 {
			return c
		}
		return cmp.Compare(a.extra().via, b.extra().via)
	})
	// A port reported twice for one host is one series: the first result's
	// state (the first failing one's, if any fails) with the profiles of
	// both. This rule is the textfile's and the exporter's alike.
	ports := p.ports[:0]
	for _, pp := range p.ports {
		n := len(ports)
		if n == 0 || ports[n-1].host != pp.host || ports[n-1].port != pp.port || ports[n-1].proto != pp.proto {
			ports = append(ports, pp)
			continue
		}
		last := &ports[n-1]
		profs := append(slices.Clone(last.extra().profiles), pp.extra().profiles...)
		if pp.fails && !last.fails {
			*last = pp // a failing check on the port is not hidden by a passing one
		}
		more := *last.extra()
		more.profiles = profs
		last.more = &more
	}
	p.ports = ports
	for i := range ports {
		if m := ports[i].more; m != nil {
			slices.Sort(m.profiles)
			m.profiles = slices.Compact(m.profiles)
		}
	}
}

// A promFamily is one metric family: its name, its labels in the order
// samples give their values, and client_golang's descriptor of it.
type promFamily struct {
	name   string
	labels []string
	desc   *prometheus.Desc
}

func newFamily(name string, labels ...string) *promFamily {
	return &promFamily{name: name, labels: labels, desc: prometheus.NewDesc(name, MetricHelp[name], labels, nil)}
}

// withVantage is f with LabelVantage first.
func withVantage(f *promFamily) *promFamily {
	return newFamily(f.name, append([]string{LabelVantage}, f.labels...)...)
}

// The families, in the order a textfile lists them.
var (
	famPortState = newFamily(MetricPortState, LabelHost, LabelAddress, LabelPort, LabelProto, LabelProfile, LabelState)
	famPortUp    = newFamily(MetricPortUp, LabelHost, LabelAddress, LabelPort, LabelProto, LabelProfile)
	famPortRTT   = newFamily(MetricPortRTT, LabelHost, LabelAddress, LabelPort, LabelProto, LabelProfile)
	famFailed    = newFamily(MetricExpectationFailed, LabelHost, LabelAddress, LabelPort, LabelProto, LabelProfile, LabelExpect)
	famReason    = newFamily(MetricPortReason, LabelHost, LabelAddress, LabelPort, LabelProto, LabelProfile, LabelStatus, LabelReason)
	famCert      = newFamily(MetricPortCertExpiry, LabelHost, LabelAddress, LabelPort, LabelProto, LabelProfile)
	famDropHop   = newFamily(MetricPortDropHop, LabelHost, LabelAddress, LabelPort, LabelProto, LabelProfile, LabelEnd)
	famClock     = newFamily(MetricDCClockOffset, LabelHost, LabelAddress, LabelPort, LabelProto, LabelProfile)
	famHost      = newFamily(MetricHostFailed, LabelHost, LabelAddress)
	famSource    = newFamily(MetricHostSource, LabelHost, LabelAddress, LabelSourceAddress)
	famRecord    = newFamily(MetricDCRecord, LabelHost, LabelAddress, LabelRecord)
	famRunFailed = newFamily(MetricRunFailed)
	famRunIncomp = newFamily(MetricRunIncomplete)
	famLastRun   = newFamily(MetricLastRun)
	famDuration  = newFamily(MetricRunDuration)
	famDrift     = newFamily(MetricDriftChanges, LabelKind)

	portFamilies = []*promFamily{famPortState, famPortUp, famPortRTT, famFailed, famReason, famCert, famDropHop, famClock}
	hostFamilies = []*promFamily{famHost, famSource, famRecord}

	// vantaged are the per-port and per-host families with LabelVantage, for
	// results that say where they were measured from.
	vantaged = func() map[*promFamily]*promFamily {
		m := map[*promFamily]*promFamily{}
		for _, f := range append(append([]*promFamily{}, portFamilies...), hostFamilies...) {
			m[f] = withVantage(f)
		}
		return m
	}()
)

// A promSink takes the series emit renders: a family, then its samples, each
// with the values of the family's labels in order (a slice the sink must not
// keep).
type promSink interface {
	family(f *promFamily)
	sample(v float64, values []string)
}

// emit renders the series of the results written into s: per port and per
// host, and, when run is not nil, the run's.
func (p *PrometheusWriter) emit(s promSink, run *results.Report) {
	p.finish()
	ports := p.ports
	hosts := sortedHosts(p.hosts)
	// One label buffer for every sample, each host's labels made once: a
	// sweep of every port writes millions of samples. Names from users are
	// printable, as in every text format.
	targets, addrs := make([]string, len(p.keys)), make([]string, len(p.keys))
	vantages := make([]string, len(p.keys))
	vantage := false // any result says where it was measured from
	for i, k := range p.keys {
		targets[i], addrs[i], vantages[i] = printable(k.Target), addrLabel(k.Addr), printable(k.Vantage)
		vantage = vantage || k.Vantage != ""
	}
	if vantage {
		s = &vantageSink{s}
	}
	buf := make([]string, 0, 9)
	// start is a host's first labels: its vantage point when there is one.
	start := func(host int32) []string {
		if vantage {
			return append(buf[:0], vantages[host])
		}
		return buf[:0]
	}
	hostIndex := func(h *results.Host) int32 { return p.index[h.Key()] }
	labels := func(pp *promPort, more ...string) []string {
		return append(append(start(pp.host), targets[pp.host], addrs[pp.host], portLabel(pp.port),
			string(pp.proto), printable(strings.Join(pp.extra().profiles, ","))), more...)
	}
	s.family(famPortState)
	for i := range ports {
		l := labels(&ports[i], "") // one port's labels for its 8 samples
		for _, st := range results.States {
			l[len(l)-1] = st.String()
			s.sample(boolValue(ports[i].state == st), l)
		}
	}
	s.family(famPortUp)
	for i := range ports {
		s.sample(boolValue(ports[i].state == results.Open), labels(&ports[i]))
	}
	s.family(famPortRTT)
	for i := range ports {
		if ports[i].rtt > 0 {
			s.sample(ports[i].rtt.Seconds(), labels(&ports[i]))
		}
	}
	s.family(famFailed)
	for i := range ports {
		if ports[i].checked {
			s.sample(boolValue(ports[i].fails), labels(&ports[i], string(ports[i].more.expect)))
		}
	}
	s.family(famReason)
	for i := range ports {
		s.sample(1, labels(&ports[i], ports[i].status, ports[i].reason))
	}
	s.family(famCert)
	for i := range ports {
		if m := ports[i].more; m != nil && m.hasCert {
			s.sample(float64(m.cert), labels(&ports[i]))
		}
	}
	s.family(famDropHop)
	for i := range ports {
		if m := ports[i].more; m != nil && m.end != "" {
			s.sample(float64(m.dropHop), labels(&ports[i], string(m.end)))
		}
	}
	s.family(famClock)
	for i := range ports {
		if m := ports[i].more; m != nil && m.hasClock {
			s.sample(m.clock, labels(&ports[i]))
		}
	}
	s.family(famHost)
	for _, h := range hosts {
		s.sample(boolValue(h.Verdict == results.VerdictFail), append(start(hostIndex(&h)), printable(h.Target), addrLabel(h.Addr)))
	}
	s.family(famSource)
	for _, h := range hosts {
		if h.Source.IsValid() {
			s.sample(1, append(start(hostIndex(&h)), printable(h.Target), addrLabel(h.Addr), h.Source.String()))
		}
	}
	s.family(famRecord)
	for _, h := range hosts {
		for _, rec := range h.Records {
			s.sample(1, append(start(hostIndex(&h)), printable(h.Target), addrLabel(h.Addr), printable(rec)))
		}
	}
	if run == nil {
		return
	}
	s.family(famRunFailed)
	s.sample(boolValue(p.failed), nil)
	s.family(famRunIncomp)
	s.sample(boolValue(run.Interrupted || run.Incomplete), nil)
	s.family(famLastRun)
	s.sample(float64(run.Finished.UnixMicro())/1e6, nil)
	s.family(famDuration)
	s.sample(max(0, run.Finished.Sub(run.Started).Seconds()), nil)
	if run.Drift != nil {
		s.family(famDrift)
		n := map[results.DriftKind]int{}
		for _, c := range run.Drift.Changes {
			n[c.Kind]++
		}
		for _, k := range results.DriftKinds {
			s.sample(float64(n[k]), append(buf[:0], string(k)))
		}
	}
}

// vantageSink renders the per-port and per-host families with LabelVantage
// (their samples' values begin with it); the run's families are unchanged.
type vantageSink struct{ promSink }

func (v *vantageSink) family(f *promFamily) {
	if vf, ok := vantaged[f]; ok {
		f = vf
	}
	v.promSink.family(f)
}

// collected sends each sample as a client_golang constant metric, whose
// registry then serves the exposition formats a scraper asks for.
type collected struct {
	ch  chan<- prometheus.Metric
	fam *promFamily
}

func (c *collected) family(f *promFamily) { c.fam = f }

func (c *collected) sample(v float64, values []string) {
	m, err := prometheus.NewConstMetric(c.fam.desc, prometheus.GaugeValue, v, values...)
	if err != nil {
		m = prometheus.NewInvalidMetric(c.fam.desc, err)
	}
	c.ch <- m
}

// textfile writes the samples through expfmt's text encoder, the one
// client_golang's registry serves the text format with, a batch at a time:
// a sweep of every port is never held as protocol buffers. The encoder writes
// a family's HELP and TYPE lines with each batch, so batches after a family's
// first drop its TYPE line (and have no HELP). A family without samples is
// left out, as the encoder (and an exporter's registry) leaves it out.
type textfile struct {
	w      *bufio.Writer
	fam    *promFamily
	mf     dto.MetricFamily
	headed bool // the family's HELP and TYPE lines are written
	n      int  // samples in the batch
	batch  [256]textSample
	more   bytes.Buffer // a batch after the first, before its TYPE line is dropped
	err    error
}

// textSample is one sample of a batch; its fields are reused.
type textSample struct {
	m      dto.Metric
	gauge  dto.Gauge
	value  float64
	pairs  [9]dto.LabelPair
	labels [9]*dto.LabelPair
	values [9]string
}

func (t *textfile) family(f *promFamily) {
	t.flush()
	t.fam, t.headed = f, false
	help := MetricHelp[f.name]
	t.mf.Name, t.mf.Help, t.mf.Type = &f.name, &help, dto.MetricType_GAUGE.Enum()
}

func (t *textfile) sample(v float64, values []string) {
	s := &t.batch[t.n]
	s.value = v
	s.gauge.Value = &s.value
	s.m.Gauge = &s.gauge
	for i, val := range values {
		s.values[i] = val
		s.pairs[i].Name, s.pairs[i].Value = &t.fam.labels[i], &s.values[i]
		s.labels[i] = &s.pairs[i]
	}
	s.m.Label = s.labels[:len(values)]
	t.mf.Metric = append(t.mf.Metric, &s.m)
	if t.n++; t.n == len(t.batch) {
		t.flush()
	}
}

// flush encodes the batch.
func (t *textfile) flush() {
	if t.n == 0 || t.err != nil {
		return
	}
	if !t.headed {
		_, t.err = expfmt.MetricFamilyToText(t.w, &t.mf)
		t.headed, t.mf.Help = true, nil
	} else {
		t.more.Reset()
		if _, t.err = expfmt.MetricFamilyToText(&t.more, &t.mf); t.err == nil {
			_, rest, _ := bytes.Cut(t.more.Bytes(), []byte("\n")) // the TYPE line
			_, t.err = t.w.Write(rest)
		}
	}
	t.mf.Metric, t.n = t.mf.Metric[:0], 0
}

// ReasonLabels returns the status and reason labels of r's MetricPortReason
// series: the check's outcome and its results.Why, or for a port without a check no
// status and the port's own reason. A reason outside the vocabulary is "other",
// so a report from another version cannot widen the label's values.
func ReasonLabels(r *results.Result) (status, reason string) {
	status, why := string(results.Judge(r).Status), results.Why(r)
	if !why.Known() {
		return status, "other"
	}
	return status, string(why)
}

func addrLabel(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func portLabel(port uint16) string {
	if port == 0 {
		return ""
	}
	return strconv.Itoa(int(port))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
