//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/exporter"
	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/listeners"
	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// startProcess starts a daemon on this machine (not in a test host), stopped by
// PID when the test ends; its standard error goes to the returned reader.
func startProcess(t *testing.T, name string, args ...string) io.Reader {
	t.Helper()
	stderr, _ := startProcessPID(t, name, args...)
	return stderr
}

// startProcessPID is startProcess that also returns the daemon's PID.
func startProcessPID(t *testing.T, name string, args ...string) (io.Reader, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return stderr, cmd.Process.Pid
}

// TestServeEndToEnd runs the built "portreach serve" against a test host with
// open, closed and dropped ports, scrapes it over HTTP on loopback, and — when
// Debian's prometheus is installed — lets a real Prometheus server scrape it.
func TestServeEndToEnd(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	for _, p := range []uint16{88, 389, 3268} {
		testnet.ServeTCP(t, h, p)
	}
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 445 drop
		tcp dport 40000-40999 drop
	}
}`)
	// Closed UDP ports answer with ICMP port unreachable; lift the host's ICMP
	// rate limit so a profile's worth of them is decided at once.
	h.Exec(t, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0")

	bin := portreachBin(t)
	// --no-confirm: the listeners accept and say nothing (a profile scrape
	// would otherwise find no Kerberos or LDAP behind them).
	stderr := startProcess(t, bin, "serve", "--listen", "127.0.0.1:0", "--allow", h.Addr.String()+"/32", "--timeout", "500ms", "--no-confirm")
	addr := readListenAddr(t, stderr)
	logs := make(chan string, 1)
	go func() { b, _ := io.ReadAll(stderr); logs <- string(b) }()
	defer func() {
		if t.Failed() {
			t.Logf("portreach serve's standard error:\n%s", drain(logs))
		}
	}()
	base := "http://" + addr
	target := h.Addr.String()

	t.Run("profile", func(t *testing.T) {
		s := scrapeURL(t, base+"/probe?target="+target+"&profile=domain-controller", "10")
		if s.status != 200 {
			t.Fatalf("status %d: %s", s.status, s.body)
		}
		for _, c := range []struct {
			proto  results.Proto
			port   uint16
			state  string
			failed float64
		}{
			{results.TCP, 88, "open", 0},
			{results.TCP, 389, "open", 0},
			{results.TCP, 445, "filtered", 1},
			{results.TCP, 135, "closed", 1},
			{results.UDP, 88, "closed", 1},
		} {
			labels := plus(port(target, c.proto, c.port), report.LabelAddress, target, report.LabelProfile, "domain-controller")
			if got := s.value(t, report.MetricPortState, plus(labels, report.LabelState, c.state)); got != 1 {
				t.Errorf("%d/%s: state %s = %v", c.port, c.proto, c.state, got)
			}
			if got := s.value(t, report.MetricExpectationFailed, plus(labels, report.LabelExpect, "open")); got != c.failed {
				t.Errorf("%d/%s: expectation failed = %v, want %v", c.port, c.proto, got, c.failed)
			}
		}
		if got := s.value(t, report.MetricPortRTT, port(target, results.TCP, 389)); got <= 0 {
			t.Errorf("389/tcp rtt %v", got)
		}
		if got := s.value(t, exporter.MetricProbeSuccess, nil); got != 0 {
			t.Errorf("probe success %v", got)
		}
		if got := s.value(t, report.MetricRunIncomplete, nil); got != 0 {
			t.Errorf("incomplete %v: the scan did not finish in 9.5s", got)
		}
	})

	t.Run("scrape timeout bounds a dropped range", func(t *testing.T) {
		// 1000 dropped ports with a 60s timeout would take a minute or more.
		start := time.Now()
		s := scrapeURL(t, base+"/probe?target="+target+"&ports=T:40000-40999&timeout=60s", "2")
		t.Logf("wall %v", time.Since(start))
		if s.status != 200 {
			t.Fatalf("status %d: %s", s.status, s.body)
		}
		if got := s.value(t, exporter.MetricProbeTimeout, nil); got != 1.8 {
			t.Errorf("bound %v, want 1.8", got)
		}
		// Not a speed target: unbounded, the scan would take 60 s or more; well
		// under that, the 1.8 s bound (checked exactly above) was applied. The
		// answer timeout is that long so that a loaded machine finishing the
		// cut-off scan slowly cannot be mistaken for an unbounded scan.
		if d := s.value(t, exporter.MetricProbeDuration, nil); d >= 30 {
			t.Errorf("probe took %vs: the 2s scrape timeout was not applied", d)
		}
		if got := s.value(t, report.MetricRunIncomplete, nil); got != 1 {
			t.Errorf("incomplete %v", got)
		}
		if n := len(s.values(report.MetricPortUp, map[string]string{report.LabelHost: target})); n != 1000 {
			t.Errorf("%d port series, want 1000", n)
		}
	})

	t.Run("allow-list", func(t *testing.T) {
		s := scrapeURL(t, base+"/probe?target="+h.Peer.String()+"&ports=22", "")
		if s.status != 403 || !strings.Contains(s.body, "is not in the allow-list ("+h.Addr.String()+"/32)") {
			t.Errorf("neighbour of the allowed host: %d %q", s.status, s.body)
		}
		m := scrapeURL(t, base+"/metrics", "")
		if got := m.value(t, "portreach_exporter_probes_total", map[string]string{"outcome": "refused"}); got != 1 {
			t.Errorf("refused probes %v", got)
		}
	})

	t.Run("prometheus", func(t *testing.T) {
		promBin, err := exec.LookPath("prometheus")
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("prometheus not installed (it is in .ci/packages.txt); CI=true: not skipping")
			}
			t.Skip("prometheus not installed (Debian package prometheus)")
		}
		runPrometheus(t, promBin, addr, target)
	})
}

// runPrometheus runs a Prometheus server on loopback, with its own data
// directory and a configuration that scrapes only the exporter (no remote
// write, no alertmanager), and asks its HTTP API for the series.
func runPrometheus(t *testing.T, promBin, exporterAddr, target string) {
	dir := t.TempDir()
	// The scrape config of docs/exporter.md: the target becomes ?target= and
	// the instance label, and the scrape goes to the exporter.
	config := fmt.Sprintf(`global:
  scrape_interval: 2s
  scrape_timeout: 2s
scrape_configs:
  - job_name: portreach-dc
    metrics_path: /probe
    params:
      profile: [domain-controller]
    static_configs:
      - targets: [%[2]s]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: %[1]s
  - job_name: portreach-exporter
    static_configs:
      - targets: [%[1]s]
`, exporterAddr, target)
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	// Prometheus picks its own port (a port freed for it could be taken by any
	// other process on the machine first, and the queries would go there); the
	// port is read from this machine's listening sockets by its PID.
	stderr, pid := startProcessPID(t, promBin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:0",
		"--log.level=warn")
	logs := make(chan string, 1)
	go func() { b, _ := io.ReadAll(stderr); logs <- string(b) }()
	promAddr := listenAddrOf(t, pid, logs)

	want := []struct{ query, value string }{
		{`up{job="portreach-dc",instance="` + target + `"}`, "1"},
		{`portreach_probe_success{job="portreach-dc",instance="` + target + `"}`, "0"},
		{`portreach_port_state{job="portreach-dc",port="389",proto="tcp",state="open",profile="domain-controller"}`, "1"},
		{`portreach_port_state{job="portreach-dc",port="445",proto="tcp",state="filtered"}`, "1"},
		{`portreach_expectation_failed{job="portreach-dc",port="135",proto="tcp",expect="open"}`, "1"},
		{`count(portreach_port_up{job="portreach-dc"}) >= 15`, ""},
		{`portreach_exporter_probes_total{job="portreach-exporter",outcome="failure"} > 0`, ""},
	}
	for _, w := range want {
		var got string
		for i := 0; ; i++ {
			v, ok := promQuery(t, promAddr, w.query)
			if ok && (w.value == "" || v == w.value) {
				break
			}
			got = v
			if i == 150 {
				t.Fatalf("%s: %q after 150 queries, want %q; prometheus log:\n%s", w.query, got, w.value, drain(logs))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// listenAddrOf waits for the process pid to listen on a TCP port, and returns
// that address.
func listenAddrOf(t *testing.T, pid int, logs chan string) string {
	t.Helper()
	for i := 0; ; i++ {
		ss, err := listeners.Read()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if s.PID == pid && s.Proto == results.TCP {
				return s.Addr.String()
			}
		}
		if i == 600 {
			t.Fatalf("process %d does not listen after 600 looks; its log:\n%s", pid, drain(logs))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func drain(c chan string) string {
	select {
	case s := <-c:
		return s
	case <-time.After(time.Second):
		return "(still running)"
	}
}

// promQuery runs an instant query; ok is false when the result is empty. The
// value is the first sample's.
func promQuery(t *testing.T, addr, query string) (string, bool) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return "", false // not up yet
	}
	defer resp.Body.Close()
	var doc struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if doc.Status != "success" {
		t.Fatalf("%s: %s", query, doc.Error)
	}
	if len(doc.Data.Result) == 0 {
		return "", false
	}
	v, _ := doc.Data.Result[0].Value[1].(string)
	if _, err := strconv.ParseFloat(v, 64); err != nil {
		t.Fatalf("%s: value %q", query, v)
	}
	return v, true
}
