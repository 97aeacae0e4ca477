package scan

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

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

// A renewed certificate, another banner and another SMB dialect are drift.
func TestDriftServiceDetails(t *testing.T) {
	res := func(port uint16, svc string, d *probes.ServiceDetail) results.Result {
		return results.Result{Target: "mail", Addr: netip.MustParseAddr("198.18.0.2"), Proto: results.TCP, Port: port,
			State: results.Open, Probe: svc, Details: d}
	}
	base := &results.Report{Results: []results.Result{
		res(25, "smtp", &probes.ServiceDetail{Service: "smtp", Banner: "220 mail ESMTP Postfix", TLS: &probes.TLSDetail{FingerprintSHA256: "aa", DaysLeft: 40}}),
		res(445, "smb", &probes.ServiceDetail{Service: "smb", SMB: &probes.SMBDetail{Dialect: "3.1.1", SigningRequired: true}}),
	}}
	cur := &results.Report{Results: []results.Result{
		res(25, "smtp", &probes.ServiceDetail{Service: "smtp", Banner: "220 mail ESMTP Exchange", TLS: &probes.TLSDetail{FingerprintSHA256: "bb", DaysLeft: 39}}),
		res(445, "smb", &probes.ServiceDetail{Service: "smb", SMB: &probes.SMBDetail{Dialect: "2.1", SigningRequired: true}}),
	}}
	var got []string
	for _, c := range results.Diff(base, cur, DriftRules()).Changes {
		got = append(got, fmt.Sprintf("%d %s %s: %v → %v", c.Port, c.Probe, c.Path, c.Before, c.After))
	}
	want := []string{
		"25 smtp banner: 220 mail ESMTP Postfix → 220 mail ESMTP Exchange",
		"25 smtp tls.fingerprint_sha256: aa → bb",
		"445 smb smb.dialect: 3.1.1 → 2.1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
