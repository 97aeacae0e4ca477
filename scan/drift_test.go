package scan

import "testing"

func TestDriftRules(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range DriftRules() {
		seen[r.Probe+" "+r.Path] = true
	}
	for _, want := range []string{"sqlbrowser instances[name].tcp_port", "dns version", "nbstat computer_name", "smtp tls.fingerprint_sha256", "smtp banner"} {
		if !seen[want] {
			t.Errorf("no rule %q", want)
		}
	}
}
