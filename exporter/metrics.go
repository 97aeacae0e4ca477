package exporter

import (
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// Names of the probe-wide series of a /probe answer. The per-port series use the
// names the node_exporter textfile output uses (report.MetricPortState and the
// rest), so dashboards and alerts work with either.
const (
	// MetricProbeSuccess is 1 when every expectation of the probe held, every host
	// resolved and the scan finished within its bound; else 0. The name follows
	// blackbox_exporter's probe_success, which alerting rules already key on.
	MetricProbeSuccess = "portreach_probe_success"
	// MetricProbeDuration is how long the probe took, from the request's arrival
	// (waiting for a slot included) to the end of the scan, in seconds.
	MetricProbeDuration = "portreach_probe_duration_seconds"
	// MetricProbeTimeout is the time bound the probe ran under, in seconds: the
	// scrape timeout less the margin, or --max-time without the header.
	MetricProbeTimeout = "portreach_probe_timeout_seconds"
)

// Names of the exporter's own series on /metrics.
const (
	metricProbesTotal   = "portreach_exporter_probes_total"
	metricInFlight      = "portreach_exporter_probes_in_flight"
	metricProbeSeconds  = "portreach_exporter_probe_duration_seconds"
	metricBuildInfo     = "portreach_exporter_build_info"
	metricAllowPrefixes = "portreach_exporter_allowed_networks"
	metricMaxProbes     = "portreach_exporter_max_probes"
)

// selfMetrics is the exporter's health, on /metrics.
type selfMetrics struct {
	reg      *prometheus.Registry
	probes   *prometheus.CounterVec
	inFlight prometheus.Gauge
	duration prometheus.Histogram
}

func newSelfMetrics(cfg Config) (*selfMetrics, error) {
	m := &selfMetrics{
		reg: prometheus.NewRegistry(),
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricProbesTotal,
			Help: "Probe requests served, by outcome: success, failure (scanned, an expectation failed), bad_request (400), refused (403, allow-list), busy (503), canceled, error (500).",
		}, []string{"outcome"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricInFlight,
			Help: "Probes scanning now.",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    metricProbeSeconds,
			Help:    "Duration of the probes that were answered with metrics, in seconds.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60},
		}),
	}
	for _, o := range outcomes {
		m.probes.WithLabelValues(o) // every outcome present from the start, at 0
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: metricBuildInfo,
		Help: "Always 1; the labels say which portreach and Go built the exporter.",
	}, []string{"version", "goversion"})
	info.WithLabelValues(cfg.Version, runtime.Version()).Set(1)
	allowed := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: metricAllowPrefixes,
		Help: "Networks in the target allow-list (--allow); 0 means every probe is refused.",
	})
	allowed.Set(float64(cfg.Allow.Len()))
	maxProbes := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: metricMaxProbes,
		Help: "Probes allowed to scan at once (--max-probes).",
	})
	maxProbes.Set(float64(cfg.MaxProbes))
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.probes, m.inFlight, m.duration, info, allowed, maxProbes,
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

type probeSummary struct {
	success, incomplete bool
	duration, bound     time.Duration
}

// portKey identifies a port's series: two results for one port of one host (a
// port a profile lists and an SQL Browser reply also names) make one series.
type portKey struct {
	host, addr, proto, port string
}

func keyOf(r *results.Result) portKey {
	k := portKey{host: r.Target, proto: string(r.Proto)}
	if r.Addr.IsValid() {
		k.addr = r.Addr.String()
	}
	if r.Port != 0 {
		k.port = strconv.Itoa(int(r.Port))
	}
	return k
}

// probeRegistry renders one probe's results: for every port its state (one 0/1
// series per state), whether it is up, its round-trip time, for checked ports
// whether its expectation failed, and its reason (report.MetricPortReason);
// for every host whether it failed; and
// the probe's success, duration and time bound.
func probeRegistry(rs []results.Result, sum probeSummary) (*prometheus.Registry, error) {
	portLabels := []string{report.LabelHost, report.LabelAddress, report.LabelPort, report.LabelProto, report.LabelProfile}
	state := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: report.MetricPortState,
		Help: report.MetricHelp[report.MetricPortState],
	}, append(slices.Clone(portLabels), report.LabelState))
	up := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: report.MetricPortUp,
		Help: report.MetricHelp[report.MetricPortUp],
	}, portLabels)
	rtt := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: report.MetricPortRTT,
		Help: report.MetricHelp[report.MetricPortRTT],
	}, portLabels)
	failed := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: report.MetricExpectationFailed,
		Help: report.MetricHelp[report.MetricExpectationFailed],
	}, append(slices.Clone(portLabels), report.LabelExpect))
	reason := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: report.MetricPortReason,
		Help: report.MetricHelp[report.MetricPortReason],
	}, append(slices.Clone(portLabels), report.LabelStatus, report.LabelReason))
	certExpiry := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: report.MetricPortCertExpiry,
		Help: report.MetricHelp[report.MetricPortCertExpiry],
	}, portLabels)
	hostFailed := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: report.MetricHostFailed,
		Help: report.MetricHelp[report.MetricHostFailed],
	}, []string{report.LabelHost, report.LabelAddress})
	hostSource := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: report.MetricHostSource,
		Help: report.MetricHelp[report.MetricHostSource],
	}, []string{report.LabelHost, report.LabelAddress, report.LabelSourceAddress})
	success := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: MetricProbeSuccess,
		Help: "1 when every expectation held, every host resolved and the scan finished in time, else 0.",
	})
	duration := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: MetricProbeDuration,
		Help: "How long the probe took, in seconds.",
	})
	bound := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: MetricProbeTimeout,
		Help: "The time bound of the probe, in seconds: the scrape timeout less a margin, or --max-time.",
	})
	incomplete := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: report.MetricRunIncomplete,
		Help: report.MetricHelp[report.MetricRunIncomplete],
	})

	// A port reported twice for one host (a profile entry and a port a reply
	// revealed, two RPC interfaces on one port) makes one series: the first
	// result in results.Sort order (the first failing one, if any fails), with
	// the profiles of both, as the textfile output (report.WritePrometheus)
	// writes it.
	type port struct {
		r        *results.Result
		key      portKey
		profiles []string
	}
	var ports []*port
	seen := map[portKey]*port{}
	for i := range rs {
		r := &rs[i]
		k := keyOf(r)
		var profs []string
		if r.Check != nil {
			profs = r.Check.Profiles
		}
		if p := seen[k]; p != nil {
			p.profiles = append(p.profiles, profs...)
			if results.Fails(r) && !results.Fails(p.r) {
				p.r = r // a failing check on the port is not hidden by a passing one
			}
			continue
		}
		p := &port{r: r, key: k, profiles: slices.Clone(profs)}
		seen[k] = p
		ports = append(ports, p)
	}
	for _, p := range ports {
		slices.Sort(p.profiles)
		lv := []string{p.key.host, p.key.addr, p.key.port, p.key.proto, strings.Join(slices.Compact(p.profiles), ",")}
		r := p.r
		for _, s := range results.States {
			state.WithLabelValues(append(slices.Clone(lv), s.String())...).Set(b2f(r.State == s))
		}
		up.WithLabelValues(lv...).Set(b2f(r.State == results.Open))
		if r.RTT > 0 {
			rtt.WithLabelValues(lv...).Set(r.RTT.Seconds())
		}
		if results.Checked(r) {
			failed.WithLabelValues(append(slices.Clone(lv), string(r.Check.Expect))...).Set(b2f(results.Fails(r)))
		}
		if t, ok := results.CertExpiry(r); ok {
			certExpiry.WithLabelValues(lv...).Set(float64(t.Unix()))
		}
		status, why := report.ReasonLabels(r)
		reason.WithLabelValues(append(lv, status, why)...).Set(1)
	}
	for _, h := range results.Summarize(rs) {
		addr := ""
		if h.Addr.IsValid() {
			addr = h.Addr.String()
		}
		hostFailed.WithLabelValues(h.Target, addr).Set(b2f(h.Verdict == results.VerdictFail))
		if h.Source.IsValid() {
			hostSource.WithLabelValues(h.Target, addr, h.Source.String()).Set(1)
		}
	}
	success.Set(b2f(sum.success))
	duration.Set(sum.duration.Seconds())
	bound.Set(sum.bound.Seconds())
	incomplete.Set(b2f(sum.incomplete))

	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{state, up, rtt, failed, reason, certExpiry, hostFailed, hostSource, success, duration, bound, incomplete} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
