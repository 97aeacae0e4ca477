//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
)

// TestPrometheusDeploy runs deploy/prometheus as shipped: a real Prometheus
// server with its prometheus.yml (scrape jobs, relabelling, rules) and a
// Prometheus agent with its prometheus-agent.yml, scraping three
// "portreach serve" instances in three test hosts (vantage points lan, dmz and
// branch1) that check one SQL Server stand-in on 1433/tcp through different
// firewalls: lan reaches it, dmz's own firewall drops it, the target's
// firewall rejects branch1 with ICMP admin-prohibited. branch1's samples reach
// the server by the agent's remote_write. Through Prometheus' HTTP API, the
// failing check comes from dmz and branch1 and not from lan, with each
// vantage point's reason, in the raw series, the matrix recording rule and
// the pending alert.
//
// The files' addresses are replaced with the test hosts' (the exporters), and
// their intervals shortened; nothing else is changed, and the test fails when
// a text it replaces is gone. Prometheus' traffic stays on loopback and the
// test hosts: the Alertmanager section is removed and the agent writes to
// the server on loopback.
func TestPrometheusDeploy(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "prometheus")
	deploy := filepath.Join("..", "..", "deploy", "prometheus")

	target := testnet.NewHost(t)
	testnet.ServeTDSPrelogin(t, target, 1433, 16, 0, 1000, 6, 0x00)
	vantages := map[string]*testnet.Host{}
	for _, name := range []string{"lan", "dmz", "branch1"} {
		v := testnet.NewHost(t)
		testnet.Connect(t, v, target)
		vantages[name] = v
	}
	// dmz: its own firewall drops what it sends to 1433/tcp.
	vantages["dmz"].NFT(t, fmt.Sprintf(`table inet fw {
	chain out {
		type filter hook output priority 0;
		ip daddr %s tcp dport 1433 drop
	}
}`, target.Addr))
	// branch1: the target's firewall rejects it with ICMP admin-prohibited,
	// as a firewall set to refuse rather than drop does.
	target.NFT(t, fmt.Sprintf(`table inet fw {
	chain in {
		type filter hook input priority 0;
		ip saddr %s tcp dport 1433 reject with icmp type admin-prohibited
	}
}`, vantages["branch1"].Addr))

	bin := portreachBin(t)
	exporters := map[string]string{} // vantage → exporter address
	for name, v := range vantages {
		listen := v.Addr.String() + ":9469"
		v.Start(t, bin, "serve", "--listen", listen, "--allow", target.Addr.String()+"/32", "--timeout", "500ms")
		v.WaitTCP(t, 9469)
		exporters[name] = listen
	}

	dir := t.TempDir()
	targets := filepath.Join(dir, "targets")
	if err := os.Mkdir(targets, 0o755); err != nil {
		t.Fatal(err)
	}
	// The target file of the layout deploy/prometheus/targets/ shows: one
	// group, its profile and its scrape timeout (4s: a bound of 3.6s).
	testnet.WriteFile(t, filepath.Join(targets, "sql-servers.yml"), fmt.Sprintf(`- targets: [%s]
  labels:
    __param_profile: sql-server-default-instance
    __scrape_timeout__: 4s
`, target.Addr))
	copyFile(t, filepath.Join(deploy, "portreach-rules.yml"), filepath.Join(dir, "portreach-rules.yml"))
	edit(t, filepath.Join(deploy, "prometheus.yml"), filepath.Join(dir, "prometheus.yml"),
		"  scrape_interval: 1m ", "  scrape_interval: 4s ",
		// Shorter than the target group's 4s, which must win.
		"  scrape_timeout: 10s ", "  scrape_timeout: 2s ",
		"  evaluation_interval: 1m\n", "  evaluation_interval: 1s\n",
		"alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"alertmanager.example.com:9093\"]\n", "",
		"portreach-lan.example.com:9469", exporters["lan"],
		"portreach-dmz.example.com:9469", exporters["dmz"])

	stderr, pid := startProcessPID(t, "prometheus",
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:0",
		"--web.enable-remote-write-receiver",
		"--log.level=warn")
	logs := make(chan string, 1)
	go func() { b, _ := io.ReadAll(stderr); logs <- string(b) }()
	prom := listenAddrOf(t, pid, logs)

	// The agent in the same directory reads the same target files.
	edit(t, filepath.Join(deploy, "prometheus-agent.yml"), filepath.Join(dir, "prometheus-agent.yml"),
		"  scrape_interval: 1m\n", "  scrape_interval: 4s\n",
		"  scrape_timeout: 10s\n", "  scrape_timeout: 2s\n",
		"localhost:9469", exporters["branch1"],
		"https://prometheus.example.com/api/v1/write", "http://"+prom+"/api/v1/write",
		"    basic_auth:\n      username: branch1\n      password_file: /etc/prometheus/remote-write.password\n", "",
		// The agent sends what it has every second, not after 5 s.
		"remote_write:\n  - url: http://"+prom+"/api/v1/write\n",
		"remote_write:\n  - url: http://"+prom+"/api/v1/write\n    queue_config:\n      batch_send_deadline: 1s\n")
	agentErr, _ := startProcessPID(t, "prometheus", "--enable-feature=agent",
		"--config.file="+filepath.Join(dir, "prometheus-agent.yml"),
		"--storage.agent.path="+filepath.Join(dir, "agent"),
		"--web.listen-address=127.0.0.1:0",
		"--log.level=warn")
	agentLogs := make(chan string, 1)
	go func() { b, _ := io.ReadAll(agentErr); agentLogs <- string(b) }()
	defer func() {
		if t.Failed() {
			t.Logf("prometheus log:\n%s\nagent log:\n%s", drain(logs), drain(agentLogs))
		}
	}()

	byVantage := func(v vector) map[string]string {
		m := map[string]string{}
		for _, s := range v {
			m[s.Metric["vantage"]] = s.Value
		}
		return m
	}
	equal := func(want map[string]string) func(vector) bool {
		return func(v vector) bool { return fmt.Sprint(byVantage(v)) == fmt.Sprint(want) }
	}
	// The raw series: 1433/tcp fails from dmz and branch1, not from lan.
	waitQuery(t, prom, `portreach_expectation_failed{port="1433",proto="tcp",expect="open"}`,
		equal(map[string]string{"lan": "0", "dmz": "1", "branch1": "1"}))
	v := waitQuery(t, prom, `portreach_expectation_failed{port="1433",proto="tcp"} == 1`, func(v vector) bool { return len(v) == 2 })
	for _, s := range v {
		want := map[string]string{
			"job": "portreach-probe-" + s.Metric["vantage"], "instance": target.Addr.String(), "profiles": "sql-server-default-instance",
			"host": target.Addr.String(), "address": target.Addr.String(), "profile": "sql-server-default-instance", "expect": "open",
		}
		for k, w := range want {
			if s.Metric[k] != w {
				t.Errorf("%v: %s=%q, want %q", s.Metric, k, s.Metric[k], w)
			}
		}
	}
	// Each vantage point's reason.
	reasons := waitQuery(t, prom, `portreach_port_reason_info{port="1433",proto="tcp"}`, func(v vector) bool { return len(v) == 3 })
	for _, s := range reasons {
		want := map[string]string{"lan": "met", "dmz": "failed/no-response", "branch1": "failed/admin-prohibited"}[s.Metric["vantage"]]
		if got := s.Metric["status"] + "/" + s.Metric["reason"]; got != want && s.Metric["status"] != want {
			t.Errorf("vantage %s: %s, want %s", s.Metric["vantage"], got, want)
		}
	}
	// The matrix recording rule and the alert, from portreach-rules.yml.
	waitQuery(t, prom, `vantage_instance:portreach_expectation_failed:sum`,
		equal(map[string]string{"lan": "0", "dmz": "1", "branch1": "1"}))
	alerts := waitQuery(t, prom, `ALERTS{alertname="PortreachRequiredCheckFailing",alertstate="pending"}`, func(v vector) bool { return len(v) == 2 })
	for _, s := range alerts {
		want := map[string]string{"dmz": "no-response", "branch1": "admin-prohibited"}[s.Metric["vantage"]]
		if s.Metric["reason"] != want || s.Metric["port"] != "1433" {
			t.Errorf("alert %v: want port 1433, reason %s", s.Metric, want)
		}
	}
	// The probes: lan's succeeds; the target group's scrape timeout, not the
	// job's 2s, reached the exporter (4s less its margin of a tenth); the
	// exporters are up.
	waitQuery(t, prom, `portreach_probe_success`, equal(map[string]string{"lan": "1", "dmz": "0", "branch1": "0"}))
	waitQuery(t, prom, `portreach_probe_timeout_seconds`, equal(map[string]string{"lan": "3.6", "dmz": "3.6", "branch1": "3.6"}))
	waitQuery(t, prom, `up{job="portreach-exporter"}`, equal(map[string]string{"lan": "1", "dmz": "1", "branch1": "1"}))

	// Every metric the rules use is one the exporters export (but the
	// certificate's: the stand-in speaks no TLS).
	names := promLabelValues(t, prom, "__name__")
	rules, err := os.ReadFile(filepath.Join(deploy, "portreach-rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range regexp.MustCompile(`\bportreach_[a-z_]+\b`).FindAllString(string(rules), -1) {
		if n != "portreach_port_ssl_earliest_cert_expiry" && !slices.Contains(names, n) {
			t.Errorf("portreach-rules.yml uses %s, which no exporter exported", n)
		}
	}
}

// edit copies the file from to to with each old text replaced by its new one
// (pairs), failing the test when an old text is not in the file: the test
// follows what the deploy files say. It then checks that no example.com
// address is left outside comments.
func edit(t *testing.T, from, to string, pairs ...string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("%s: no %q: the test's edits follow the file; update them", from, pairs[i])
		}
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	for _, line := range strings.Split(s, "\n") {
		if code, _, _ := strings.Cut(line, "#"); strings.Contains(code, "example.com") {
			t.Fatalf("%s: %q left after the edits: Prometheus would reach out to it", from, line)
		}
	}
	testnet.WriteFile(t, to, s)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	testnet.WriteFile(t, to, string(b))
}

// vector is an instant query's result.
type vector []struct {
	Metric map[string]string
	Value  string
}

// waitQuery runs an instant query until ok accepts its result (Prometheus
// needs a few scrapes and rule evaluations), and returns that result; after a
// minute it fails the test with the last result.
func waitQuery(t *testing.T, prom, query string, ok func(vector) bool) vector {
	t.Helper()
	var last vector
	deadline := time.Now().Add(time.Minute)
	for {
		v, err := promVector(prom, query)
		if err == nil && ok(v) {
			return v
		}
		if err == nil {
			last = v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no result as wanted after a minute; the last: %v (error %v)", query, last, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// promVector runs an instant query through Prometheus' HTTP API
// (/api/v1/query) and returns its vector.
func promVector(prom, query string) (vector, error) {
	var doc struct {
		Status, Error string
		Data          struct {
			ResultType string
			Result     []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	if err := promGet(prom, "/api/v1/query?query="+url.QueryEscape(query), &doc); err != nil {
		return nil, err
	}
	if doc.Status != "success" || doc.Data.ResultType != "vector" {
		return nil, fmt.Errorf("status %s, %s, result type %q", doc.Status, doc.Error, doc.Data.ResultType)
	}
	var v vector
	for _, r := range doc.Data.Result {
		s, _ := r.Value[1].(string)
		v = append(v, struct {
			Metric map[string]string
			Value  string
		}{r.Metric, s})
	}
	return v, nil
}

// promLabelValues returns a label's values through /api/v1/label/NAME/values.
func promLabelValues(t *testing.T, prom, label string) []string {
	t.Helper()
	var doc struct {
		Status string
		Data   []string
	}
	if err := promGet(prom, "/api/v1/label/"+label+"/values", &doc); err != nil || doc.Status != "success" {
		t.Fatalf("label values of %s: %v %s", label, err, doc.Status)
	}
	return doc.Data
}

func promGet(prom, path string, doc any) error {
	resp, err := http.Get("http://" + prom + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, doc)
}
