package exporter

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestDocsPrometheusConfig checks the scrape configuration and alerting rules
// that docs/exporter.md tells operators to copy, with Prometheus's own promtool
// (Debian package prometheus): the configuration and rules must load, and the
// "required port unreachable" alert must fire after 10 minutes, not before.
func TestDocsPrometheusConfig(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not installed (Debian package prometheus, in .ci/packages.txt); CI=true: not skipping")
		}
		t.Skip("promtool not installed (Debian package prometheus)")
	}
	doc, err := os.ReadFile("../docs/exporter.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) < 2 {
		t.Fatalf("docs/exporter.md has %d yaml blocks, want the scrape config and the rules", len(blocks))
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(promtool, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
	run("check", "config", write("prometheus.yml", blocks[0][1]))
	write("rules.yml", blocks[1][1])
	run("check", "rules", filepath.Join(dir, "rules.yml"))

	const labels = `job="portreach-dc",instance="dc01",host="dc01",address="198.18.0.2",port="389",proto="tcp",profile="domain-controller"`
	run("test", "rules", write("rules_test.yml", []byte(`rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'portreach_expectation_failed{`+labels+`,expect="open"}'
        values: '0 1x15'
      - series: 'portreach_expectation_failed{job="portreach-dc",instance="dc01",host="dc01",address="198.18.0.2",port="23",proto="tcp",profile="domain-controller",expect="closed"}'
        values: '0x15'
    alert_rule_test:
      - eval_time: 10m
        alertname: RequiredPortUnreachable
        exp_alerts: []
      - eval_time: 12m
        alertname: RequiredPortUnreachable
        exp_alerts:
          - exp_labels: {severity: warning, `+yamlLabels+`, expect: open}
            exp_annotations:
              summary: "dc01 389/tcp unreachable from portreach-dc"
              description: "The domain-controller profile requires 389/tcp open on dc01 (198.18.0.2); it has not been for 10 minutes."
      - eval_time: 12m
        alertname: PortMustBeClosedIsOpen
        exp_alerts: []
`)))
}

const yamlLabels = `job: portreach-dc, instance: dc01, host: dc01, address: 198.18.0.2, port: "389", proto: tcp, profile: domain-controller`
