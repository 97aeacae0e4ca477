package scan

import (
	"crypto/x509"
	"strings"
	"testing"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// Each LDAPS certificate rule fails alone, and names itself.
func TestJudgeLDAPS(t *testing.T) {
	good := func() *probes.TLSDetail {
		return &probes.TLSDetail{Version: "TLS 1.3", FingerprintSHA256: "ab", CommonName: "dc01.lab.example",
			SANs: []string{"dc01.lab.example"}, ExtKeyUsage: []string{"server-auth"}, Verified: true, DaysLeft: 300}
	}
	with := func(f func(*probes.TLSDetail)) *probes.TLSDetail { d := good(); f(d); return d }
	rootDSE := &probes.LDAPDetail{DNSHostName: "DC01.lab.example"}
	for _, tc := range []struct {
		name   string
		svc    *probes.Service
		tls    *probes.TLSDetail
		ldap   *probes.LDAPDetail
		target string
		roots  bool
		why    results.Reason
		say    string
	}{
		{"good", probes.LDAPS, good(), rootDSE, "198.18.1.2", true, "", ""},
		{"SAN only", probes.LDAPS, with(func(d *probes.TLSDetail) { d.CommonName = "" }), rootDSE, "", false, "", ""},
		{"CN only", probes.LDAP, with(func(d *probes.TLSDetail) { d.SANs = nil }), nil, "dc01.lab.example", false, "", ""},
		{"no EKU", probes.LDAPS, with(func(d *probes.TLSDetail) { d.ExtKeyUsage = nil }), rootDSE, "", false, results.ReasonCertNoServerAuth,
			"LDAPS certificate rule: Server Authentication (1.3.6.1.5.5.7.3.1) must be an Enhanced Key Usage; it has no Extended Key Usage extension"},
		{"client auth only", probes.LDAP, with(func(d *probes.TLSDetail) { d.ExtKeyUsage = []string{"client-auth"} }), rootDSE, "", false, results.ReasonCertNoServerAuth,
			"LDAPS certificate rule: Server Authentication (1.3.6.1.5.5.7.3.1) must be an Enhanced Key Usage; its Extended Key Usage is client-auth"},
		{"wrong name", probes.LDAPS, with(func(d *probes.TLSDetail) {
			d.CommonName, d.SANs = "web.lab.example", []string{"web.lab.example", "198.18.1.2"}
		}), rootDSE, "", false,
			results.ReasonCertNameMismatch, "LDAPS certificate rule: the DC's name DC01.lab.example must be the subject's CN or a SAN DNS name; the certificate names CN web.lab.example; SAN web.lab.example, 198.18.1.2"},
		{"wrong name, by target", probes.LDAPS, with(func(d *probes.TLSDetail) { d.CommonName, d.SANs = "", nil }), nil, "dc01.lab.example.", false,
			results.ReasonCertNameMismatch, "LDAPS certificate rule: the DC's name dc01.lab.example must be the subject's CN or a SAN DNS name; the certificate names no name"},
		{"no name to check", probes.LDAPS, with(func(d *probes.TLSDetail) { d.CommonName, d.SANs = "x", nil }), nil, "198.18.1.2", false, "", ""},
		{"untrusted, --ca-file", probes.LDAPS, with(func(d *probes.TLSDetail) {
			d.Verified, d.VerifyError = false, "x509: certificate signed by unknown authority"
		}), rootDSE, "", true,
			results.ReasonCertUntrusted, "LDAPS certificate rule: the chain must lead to a CA clients trust (--ca-file); x509: certificate signed by unknown authority"},
		{"untrusted, no --ca-file", probes.LDAPS, with(func(d *probes.TLSDetail) { d.Verified = false }), rootDSE, "", false, "", ""},
		{"not LDAP", probes.HTTPS, with(func(d *probes.TLSDetail) { d.ExtKeyUsage = nil }), nil, "", false, "", ""},
		{"no handshake", probes.LDAPS, &probes.TLSDetail{Error: "tls: handshake failure"}, nil, "", false, "", ""},
	} {
		r := &run{Scanner: &Scanner{}}
		if tc.roots {
			r.Confirm.Roots = x509.NewCertPool()
		}
		why, say := r.judgeLDAPS(tc.svc, &probes.ServiceDetail{TLS: tc.tls, LDAP: tc.ldap}, tc.target)
		if why != tc.why || say != tc.say {
			t.Errorf("%s: %q %q\n want %q %q", tc.name, why, say, tc.why, tc.say)
		}
		if tc.why != "" && !strings.Contains(results.Reason(tc.why).Meaning(), "LDAP") {
			t.Errorf("%s: reason %s does not say it is an LDAPS rule", tc.name, tc.why)
		}
	}
}
