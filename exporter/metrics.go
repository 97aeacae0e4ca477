package exporter

import (
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/portreach/portreach/results"
)

// Names of the probe-wide series of a /probe answer. The per-port series use the
// names the node_exporter textfile output uses (results.MetricPortState and the
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

func labelsOf(r *results.Result) (portKey, string) {
	k := portKey{host: r.Target, proto: string(r.Proto)}
	if r.Addr.IsValid() {
		k.addr = r.Addr.String()
	}
	if r.Port != 0 {
		k.port = strconv.Itoa(int(r.Port))
	}
	var profile string
	if r.Check != nil {
		ps := slices.Clone(r.Check.Profiles)
		slices.Sort(ps)
		profile = strings.Join(slices.Compact(ps), ",")
	}
	return k, profile
}

// probeRegistry renders one probe's results: for every port its state (one 0/1
// series per state), whether it is up, its round-trip time and, for checked
// ports, whether its expectation failed; for every host whether it failed; and
// the probe's success, duration and time bound.
func probeRegistry(rs []results.Result, sum probeSummary) (*prometheus.Registry, error) {
	portLabels := []string{results.LabelHost, results.LabelAddress, results.LabelPort, results.LabelProto, results.LabelProfile}
	state := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: results.MetricPortState,
		Help: "1 for the state the port is in (open, closed, filtered, open|filtered, not-tested, skipped, error, unknown), 0 for the others.",
	}, append(slices.Clone(portLabels), results.LabelState))
	up := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: results.MetricPortUp,
		Help: "1 when the port is open (a service answered), else 0.",
	}, portLabels)
	rtt := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: results.MetricPortRTT,
		Help: "Round-trip time of the answer that decided the port's state, in seconds; absent when nothing answered.",
	}, portLabels)
	failed := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: results.MetricExpectationFailed,
		Help: "1 when the port fails what its profile entry requires (open or closed), else 0; only for checked ports.",
	}, append(slices.Clone(portLabels), results.LabelExpect))
	hostFailed := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: results.MetricHostFailed,
		Help: "1 when the host has a failed expectation or did not resolve, else 0.",
	}, []string{results.LabelHost, results.LabelAddress})
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
		Name: results.MetricRunIncomplete,
		Help: "1 when the time bound cut the scan short: unfinished ports are in state unknown.",
	})

	seen := map[portKey]int{}
	hosts := map[[2]string]bool{}
	var hostOrder [][2]string
	for i := range rs {
		r := &rs[i]
		k, _ := labelsOf(r)
		if j, dup := seen[k]; dup && (rs[j].Check != nil || r.Check == nil) {
			continue // the profile's own entry wins over a follow-up of the same port
		}
		seen[k] = i
		h := [2]string{k.host, k.addr}
		if _, ok := hosts[h]; !ok {
			hostOrder = append(hostOrder, h)
		}
		hosts[h] = hosts[h] || results.Fails(r) || (r.State == results.Error && r.Check == nil)
	}
	idx := make([]int, 0, len(seen))
	for _, i := range seen {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		r := &rs[i]
		k, profile := labelsOf(r)
		lv := []string{k.host, k.addr, k.port, k.proto, profile}
		for _, s := range results.States {
			state.WithLabelValues(append(slices.Clone(lv), s.String())...).Set(b2f(r.State == s))
		}
		up.WithLabelValues(lv...).Set(b2f(r.State == results.Open))
		if r.RTT > 0 {
			rtt.WithLabelValues(lv...).Set(r.RTT.Seconds())
		}
		if results.Checked(r) {
			failed.WithLabelValues(append(lv, string(r.Check.Expect))...).Set(b2f(results.Fails(r)))
		}
	}
	for _, h := range hostOrder {
		hostFailed.WithLabelValues(h[0], h[1]).Set(b2f(hosts[h]))
	}
	success.Set(b2f(sum.success))
	duration.Set(sum.duration.Seconds())
	bound.Set(sum.bound.Seconds())
	incomplete.Set(b2f(sum.incomplete))

	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{state, up, rtt, failed, hostFailed, success, duration, bound, incomplete} {
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
