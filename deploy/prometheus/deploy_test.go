//go:build linux

// Package prometheus_test checks the Prometheus and Alertmanager files of
// deploy/prometheus with the real tools: promtool (Debian package prometheus)
// checks the configurations and rules and runs the rules' unit tests, amtool
// (prometheus-alertmanager) checks the routing. Both are in .ci/packages.txt;
// without them the tests skip, except under CI=true. The end-to-end test that
// runs prometheus.yml against exporters is
// cmd/portreach/prometheus_integration_test.go.
package prometheus_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/profiles"
)

// run runs a tool in this directory and returns its output; a failure fails
// the test with the output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	testnet.Need(t, name)
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPromtoolCheckConfig(t *testing.T) {
	out := run(t, "promtool", "check", "config", "prometheus.yml")
	// The rule file it names is checked with it, and the target files too.
	for _, want := range []string{"SUCCESS: 1 rule files found", "SUCCESS: prometheus.yml is valid", "SUCCESS: 12 rules found"} {
		if !strings.Contains(out, want) {
			t.Errorf("promtool check config prometheus.yml: no %q in\n%s", want, out)
		}
	}
	out = run(t, "promtool", "check", "config", "--agent", "prometheus-agent.yml")
	if !strings.Contains(out, "SUCCESS: prometheus-agent.yml is valid") {
		t.Errorf("promtool check config --agent prometheus-agent.yml:\n%s", out)
	}
}

// TestGenerate checks that prometheus.yml is what generate.sh writes from
// exporters.txt, and generate.sh's answers to bad lists.
func TestGenerate(t *testing.T) {
	out, err := exec.Command("sh", "generate.sh", "exporters.txt").Output()
	if err != nil {
		t.Fatalf("generate.sh exporters.txt: %v", err)
	}
	if want := read(t, "prometheus.yml"); string(out) != want {
		t.Errorf("prometheus.yml is not what generate.sh writes from exporters.txt: run ./generate.sh exporters.txt > prometheus.yml\n--- generated ---\n%s", out)
	}

	// Ten exporters: ten probe jobs, each with its own vantage and address,
	// and a configuration promtool accepts.
	dir := t.TempDir()
	var list strings.Builder
	for i := range 10 {
		fmt.Fprintf(&list, "site%d  portreach-%d.example.com:9469\n", i, i)
	}
	list.WriteString("v6 [2001:db8::5]:9469\n")
	write(t, filepath.Join(dir, "exporters.txt"), list.String())
	out, err = exec.Command("sh", "generate.sh", filepath.Join(dir, "exporters.txt")).Output()
	if err != nil {
		t.Fatalf("generate.sh: %v", err)
	}
	config := string(out)
	if n := strings.Count(config, "- job_name: portreach-probe-"); n != 11 {
		t.Errorf("%d probe jobs, want 11", n)
	}
	for _, want := range []string{
		"- job_name: portreach-probe-site7\n", "replacement: site7\n      - target_label: __address__           # the exporter\n        replacement: \"portreach-7.example.com:9469\"\n",
		"- targets: [\"portreach-7.example.com:9469\"]\n        labels: {vantage: site7}\n",
		"replacement: \"[2001:db8::5]:9469\"\n",
	} {
		if !strings.Contains(config, want) {
			t.Errorf("generated configuration lacks %q", want)
		}
	}
	write(t, filepath.Join(dir, "prometheus.yml"), config)
	write(t, filepath.Join(dir, "portreach-rules.yml"), read(t, "portreach-rules.yml"))
	if err := os.Mkdir(filepath.Join(dir, "targets"), 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "promtool", "check", "config", filepath.Join(dir, "prometheus.yml"))

	out, err = exec.Command("sh", "generate.sh", "-a", "[2001:db8::9]:9093", "exporters.txt").Output()
	if err != nil || !strings.Contains(string(out), "\n        - targets: [\"[2001:db8::9]:9093\"]\n") {
		t.Errorf("generate.sh -a: %v\n%s", err, out)
	}
	for _, c := range []struct{ list, msg string }{
		{"lan portreach-lan:9469 extra\n", "generate.sh: LIST:1: want two fields, VANTAGE ADDRESS; got 3\n"},
		{"# none\n\n", "generate.sh: LIST: no exporters listed\n"},
		{"Lan portreach-lan:9469\n", "generate.sh: LIST:1: vantage \"Lan\": use lower-case letters, digits, - and _ (it names a job and a label value)\n"},
		{"lan portreach-lan\n", "generate.sh: LIST:1: address \"portreach-lan\": want HOST:PORT, such as portreach-lan.example.com:9469 or [2001:db8::5]:9469\n"},
		{"lan a:9469\n# dmz\nlan b:9469\n", "generate.sh: LIST:3: vantage \"lan\" listed twice\n"},
		{"lan a:9469\ndmz a:9469\n", "generate.sh: LIST:2: address \"a:9469\" listed twice (as lan too)\n"},
	} {
		path := filepath.Join(dir, "bad.txt")
		write(t, path, c.list)
		cmd := exec.Command("sh", "generate.sh", path)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || len(out) != 0 {
			t.Errorf("%q: %v, output %q; want exit status 2 and no output", c.list, err, out)
		}
		if want := strings.ReplaceAll(c.msg, "LIST", path); stderr.String() != want {
			t.Errorf("%q: %q, want %q", c.list, stderr.String(), want)
		}
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	out := run(t, "promtool", "check", "rules", "--lint-fatal", "portreach-rules.yml")
	if !strings.Contains(out, "SUCCESS: 12 rules found") {
		t.Errorf("promtool check rules:\n%s", out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	out := run(t, "promtool", "test", "rules", "portreach-rules_test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules:\n%s", out)
	}
}

// TestEveryAlertTested checks that the unit tests evaluate every alert of the
// rules file at least once firing (exp_alerts listed) and once not (an
// empty exp_alerts).
func TestEveryAlertTested(t *testing.T) {
	rules := read(t, "portreach-rules.yml")
	tests := read(t, "portreach-rules_test.yml")
	alerts := regexp.MustCompile(`(?m)^\s*- alert: (\S+)$`).FindAllStringSubmatch(rules, -1)
	if len(alerts) != 7 {
		t.Errorf("%d alerts in portreach-rules.yml, want 7", len(alerts))
	}
	// An alert_rule_test entry: alertname, then exp_alerts: [] (not firing)
	// or exp_alerts: followed by a list (firing).
	evals := regexp.MustCompile(`alertname: (\S+)\n\s+exp_alerts:( \[\])?`).FindAllStringSubmatch(tests, -1)
	for _, a := range alerts {
		var firing, quiet bool
		for _, e := range evals {
			if e[1] == a[1] {
				quiet = quiet || e[2] != ""
				firing = firing || e[2] == ""
			}
		}
		if !firing || !quiet {
			t.Errorf("alert %s: tested firing %v, not firing %v; want both", a[1], firing, quiet)
		}
	}
}

// TestTargetFiles checks what promtool cannot: every target group names
// profiles by a slug the exporter knows, and a scrape timeout no longer than
// the scrape interval (Prometheus drops such a target) and long enough for the
// exporter to leave its 0.5 s margin.
func TestTargetFiles(t *testing.T) {
	files, err := filepath.Glob("targets/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no target files: %v", err)
	}
	for _, f := range files {
		checkTargetFile(t, f)
	}
}

func checkTargetFile(t *testing.T, f string) {
	t.Helper()
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	interval := scrapeInterval(t, read(t, "prometheus.yml"))
	profileRE := regexp.MustCompile(`(?m)^\s+__param_profile: (.+)$`)
	timeoutRE := regexp.MustCompile(`(?m)^\s+__scrape_timeout__: (.+)$`)
	groupRE := regexp.MustCompile(`(?m)^- targets:`)
	text := read(t, f)
	groups := len(groupRE.FindAllString(text, -1))
	profs := profileRE.FindAllStringSubmatch(text, -1)
	timeouts := timeoutRE.FindAllStringSubmatch(text, -1)
	if groups == 0 || len(profs) != groups || len(timeouts) != groups {
		t.Errorf("%s: %d target groups, %d with __param_profile, %d with __scrape_timeout__; want each in every group", f, groups, len(profs), len(timeouts))
	}
	for _, p := range profs {
		for _, slug := range strings.Split(p[1], ",") {
			if cat.Profile(strings.TrimSpace(slug)) == nil {
				t.Errorf("%s: profile %q is no profile's slug (portreach profiles lists them)", f, slug)
			}
		}
	}
	for _, m := range timeouts {
		d, err := time.ParseDuration(m[1])
		if err != nil || d > interval || d < 5*time.Second {
			t.Errorf("%s: __scrape_timeout__ %s: want a duration from 5s to the scrape interval %s", f, m[1], interval)
		}
	}
}

// TestTargetsScript checks targets.sh: the groups it writes from a list of
// servers, that promtool and checkTargetFile accept them, and its answers to
// bad lists.
func TestTargetsScript(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "servers.txt")
	write(t, list, `# host              profile                               scrape timeout
dc01.corp.example     ad-dc-2016-2025
dc02.corp.example     ad-dc-2016-2025
sql01                 sql-server-default-instance           10s
sql01                 windows-server-management-2016-2025

2001:db8::5           windows-server-management-2016-2025
`)
	out, err := exec.Command("sh", "targets.sh", list).Output()
	if err != nil {
		t.Fatalf("targets.sh: %v", err)
	}
	want := "# Written by targets.sh from " + list + `: edit that list and run it again.
- targets:
    - "dc01.corp.example"
    - "dc02.corp.example"
  labels:
    __param_profile: ad-dc-2016-2025
    __scrape_timeout__: 15s
- targets:
    - "sql01"
  labels:
    __param_profile: sql-server-default-instance
    __scrape_timeout__: 10s
- targets:
    - "sql01"
    - "2001:db8::5"
  labels:
    __param_profile: windows-server-management-2016-2025
    __scrape_timeout__: 15s
`
	if string(out) != want {
		t.Errorf("targets.sh wrote\n%s\nwant\n%s", out, want)
	}
	// promtool checks target files with the configuration that names them.
	if err := os.Mkdir(filepath.Join(dir, "targets"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "targets", "servers.yml"), string(out))
	write(t, filepath.Join(dir, "prometheus.yml"), read(t, "prometheus.yml"))
	write(t, filepath.Join(dir, "portreach-rules.yml"), read(t, "portreach-rules.yml"))
	run(t, "promtool", "check", "config", filepath.Join(dir, "prometheus.yml"))
	checkTargetFile(t, filepath.Join(dir, "targets", "servers.yml"))

	for _, c := range []struct{ list, msg string }{
		{"dc01\n", "targets.sh: LIST:1: want HOST PROFILE [SCRAPE-TIMEOUT]; got 1 fields\n"},
		{"# none\n", "targets.sh: LIST: no servers listed\n"},
		{"dc01 ad-dc-2016-2025 15\n", "targets.sh: LIST:1: scrape timeout \"15\": want whole seconds, such as 15s\n"},
		{"dc01 \"Domain controller\"\n", "targets.sh: LIST:1: profile \"\"Domain\": want a profile slug, such as ad-dc-2016-2025 (portreach profiles lists them)\n"},
		{"dc01 DC\n", "targets.sh: LIST:1: profile \"DC\": want a profile slug, such as ad-dc-2016-2025 (portreach profiles lists them)\n"},
		{"dc01/24 ad-dc-2016-2025\n", "targets.sh: LIST:1: host \"dc01/24\": want a name or an address\n"},
		{"dc01 ad-dc-2016-2025\ndc01 ad-dc-2016-2025\n", "targets.sh: LIST:2: host \"dc01\" listed twice for ad-dc-2016-2025\n"},
	} {
		path := filepath.Join(dir, "bad.txt")
		write(t, path, c.list)
		cmd := exec.Command("sh", "targets.sh", path)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || len(out) != 0 {
			t.Errorf("%q: %v, output %q; want exit status 2 and no output", c.list, err, out)
		}
		if want := strings.ReplaceAll(c.msg, "LIST", path); stderr.String() != want {
			t.Errorf("%q: %q, want %q", c.list, stderr.String(), want)
		}
	}
}

func scrapeInterval(t *testing.T, config string) time.Duration {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  scrape_interval: (\S+)`).FindStringSubmatch(config)
	if m == nil {
		t.Fatal("prometheus.yml: no global scrape_interval")
	}
	d, err := time.ParseDuration(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAlertmanagerRoutes checks alertmanager.yml with amtool and where its
// routes send each alert: a failed check by the reason's meaning.
func TestAlertmanagerRoutes(t *testing.T) {
	out := run(t, "amtool", "check-config", "alertmanager.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("amtool check-config:\n%s", out)
	}
	for _, c := range []struct {
		labels   []string
		receiver string
	}{
		{[]string{"alertname=PortreachRequiredCheckFailing", "reason=no-response", "vantage=dmz"}, "network-team"},
		{[]string{"alertname=PortreachRequiredCheckFailing", "reason=passed-firewall", "vantage=dmz"}, "network-team"},
		{[]string{"alertname=PortreachRequiredCheckFailing", "reason=admin-prohibited"}, "network-team"},
		{[]string{"alertname=PortreachRequiredCheckFailing", "reason=host-unreachable"}, "network-team"},
		{[]string{"alertname=PortreachRequiredCheckFailing", "reason=conn-refused"}, "server-team"},
		{[]string{"alertname=PortreachRequiredCheckFailing", "reason=not-registered"}, "server-team"},
		{[]string{"alertname=PortreachRequiredCheckFailing", "reason=instance-not-listed"}, "server-team"},
		{[]string{"alertname=PortreachCertificateExpiring", "host=dc01"}, "server-team"},
		{[]string{"alertname=PortreachStateChanged"}, "network-team"},
		{[]string{"alertname=PortreachProbeFailing"}, "monitoring"},
		{[]string{"alertname=PortreachExporterDown"}, "monitoring"},
		{[]string{"alertname=PortreachScrapeFailing"}, "monitoring"},
		{[]string{"alertname=PortreachVantageSilent", "vantage=branch1"}, "monitoring"},
	} {
		args := append([]string{"config", "routes", "test", "--config.file=alertmanager.yml"}, c.labels...)
		got := strings.TrimSpace(stdout(t, "amtool", args...))
		if got != c.receiver {
			t.Errorf("%v: routed to %q, want %q", c.labels, got, c.receiver)
		}
	}
	// Every alert of the rules is one the routes were tested with.
	rules := read(t, "portreach-rules.yml")
	tested := read(t, "deploy_test.go")
	for _, a := range regexp.MustCompile(`(?m)^\s*- alert: (\S+)$`).FindAllStringSubmatch(rules, -1) {
		if !strings.Contains(tested, `"alertname=`+a[1]+`"`) {
			t.Errorf("alert %s: no routing case", a[1])
		}
	}
}

// stdout is run's standard output alone (amtool warns on standard error).
func stdout(t *testing.T, name string, args ...string) string {
	t.Helper()
	testnet.Need(t, name)
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
