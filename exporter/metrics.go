package exporter

import (
	"runtime"
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
	metricMaxPerClient  = "portreach_exporter_max_probes_per_client"
	metricWaiting       = "portreach_exporter_probes_waiting"
)

// selfMetrics is the exporter's health, on /metrics.
type selfMetrics struct {
	reg      *prometheus.Registry
	probes   *prometheus.CounterVec
	inFlight prometheus.Gauge
	duration prometheus.Histogram
}

func newSelfMetrics(cfg Config, g *gate) (*selfMetrics, error) {
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
	perClient := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: metricMaxPerClient,
		Help: "Probes of one client (source address, an IPv6 client's /64) allowed to scan at once (--max-probes-per-client).",
	})
	perClient.Set(float64(cfg.MaxProbesPerClient))
	waiting := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: metricWaiting,
		Help: "Probes waiting for a slot: every slot taken, or their client's share.",
	}, func() float64 { _, w := g.counts(); return float64(w) })
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.probes, m.inFlight, m.duration, info, allowed, maxProbes, perClient, waiting,
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

// probeRegistry renders one probe's results: the per-port and per-host series
// of the textfile output (report.PrometheusWriter, the one renderer of both),
// and the probe's success, duration, time bound and whether it finished.
func probeRegistry(rs []results.Result, sum probeSummary) (*prometheus.Registry, error) {
	ports := report.NewPrometheusWriter(nil)
	for _, r := range rs {
		if err := ports.Write(r); err != nil {
			return nil, err
		}
	}
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
	success.Set(b2f(sum.success))
	duration.Set(sum.duration.Seconds())
	bound.Set(sum.bound.Seconds())
	incomplete.Set(b2f(sum.incomplete))

	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{ports, success, duration, bound, incomplete} {
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
