package exporter

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDocsPrometheusConfig checks the scrape configuration that
// docs/exporter.md tells operators to copy with Prometheus's own promtool
// (Debian package prometheus), and that every other YAML or text block in it
// is an excerpt of a file of deploy/prometheus (whose rules, configurations and
// their unit tests deploy/prometheus/deploy_test.go checks) or of deploy/serve
// (whose modules TestModulesExample loads), word for word, so the two cannot
// drift apart.
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
	blocks := regexp.MustCompile("(?s)```(?:yaml|text)\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) < 3 {
		t.Fatalf("docs/exporter.md has %d yaml and text blocks, want the scrape config and excerpts of deploy/prometheus", len(blocks))
	}
	p := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(p, blocks[0][1], 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", p).CombinedOutput(); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}

	var deploy []string
	err = filepath.WalkDir("../deploy", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".txt")) {
			b, err := os.ReadFile(path)
			deploy = append(deploy, string(b))
			return err
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks[1:] {
		if !slices.ContainsFunc(deploy, func(f string) bool { return strings.Contains(f, string(b[1])) }) {
			t.Errorf("docs/exporter.md block is in no file of deploy/:\n%s", b[1])
		}
	}
}
