package results

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
	// requires (see Fails), else 0; present only for checked ports (Checked).
	// Labels: host, address, port, proto, profile, expect.
	MetricExpectationFailed = "portreach_expectation_failed"
	// MetricHostFailed is 1 when the host has at least one failed expectation.
	// Labels: host, address.
	MetricHostFailed = "portreach_host_failed"
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
	// kind (see DriftKind); present only when the run was compared with one.
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
	// LabelState is a state's name as every other format spells it (State.String).
	LabelState = "state"
	// LabelExpect is the expectation: "open" or "closed".
	LabelExpect = "expect"
	// LabelKind is a drift kind's name (DriftKind.String).
	LabelKind = "kind"
)
