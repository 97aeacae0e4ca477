//go:build linux

package scan

import (
	"context"
	"crypto/x509"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// TestLDAPSCertificatesIntegration: LDAPS ports of a test host, each serving a
// certificate made here for the DC labdc.lab.example, scanned by that name with
// --ca-file naming the lab's CA: each of Microsoft's LDAPS rules fails where
// its certificate breaks it, and only there.
func TestLDAPSCertificatesIntegration(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	ca, other := testnet.NewCA(t), testnet.NewCA(t)
	dir := t.TempDir()
	const dc = "labdc.lab.example"
	year := time.Now().Add(365 * 24 * time.Hour)
	serverAuth := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	certs := []struct {
		port uint16
		ca   *testnet.CA
		cert testnet.Cert
		want results.Reason // "": the check passes
	}{
		{6361, ca, testnet.Cert{CN: dc, DNSNames: []string{dc}, EKU: serverAuth, NotAfter: year}, ""},
		{6362, ca, testnet.Cert{CN: dc, DNSNames: []string{dc}, NotAfter: year}, results.ReasonCertNoServerAuth},
		{6363, ca, testnet.Cert{CN: "web.lab.example", DNSNames: []string{"web.lab.example"}, EKU: serverAuth, NotAfter: year}, results.ReasonCertNameMismatch},
		{6364, ca, testnet.Cert{DNSNames: []string{dc}, EKU: serverAuth, NotAfter: year}, ""}, // SAN only
		{6365, ca, testnet.Cert{CN: dc, EKU: serverAuth, NotAfter: year}, ""},                 // CN only
		{6366, ca, testnet.Cert{CN: dc, DNSNames: []string{dc}, EKU: serverAuth, NotAfter: time.Now().Add(-24 * time.Hour)}, results.ReasonCertExpired},
		{6367, other, testnet.Cert{CN: dc, DNSNames: []string{dc}, EKU: serverAuth, NotAfter: year}, results.ReasonCertUntrusted},
	}
	var ports []Port
	for _, c := range certs {
		cert, key := c.ca.IssueCert(t, dir, c.cert)
		testnet.ServeTLS(t, h, c.port, cert, key)
		ports = append(ports, Port{Proto: results.TCP, Lo: c.port, Probe: "ldaps", Check: &results.Check{Service: "LDAP SSL", Expect: results.ExpectOpen}})
	}
	for _, c := range certs {
		h.WaitTCP(t, c.port)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	s := &Scanner{Timeout: 2 * time.Second, Confirm: Confirm{Checked: true, Roots: roots}}
	got := map[uint16]results.Result{}
	err := s.Scan(context.Background(), Plan{Targets: slices.Values([]Target{{Name: dc, Addr: h.Addr}}), Ports: ports}, func(r results.Result) {
		got[r.Port] = r
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range certs {
		r := got[c.port]
		d, _ := r.Details.(*probes.ServiceDetail)
		if r.State != results.Open || d == nil || d.TLS == nil || d.TLS.FingerprintSHA256 == "" {
			t.Errorf("%d: %s %s %q: no certificate read", c.port, r.State, r.Reason, r.Detail)
			continue
		}
		why := results.Reason("")
		if results.Fails(&r) {
			why = results.Why(&r)
		}
		if why != c.want {
			t.Errorf("%d (%+v): %q %q, want %q", c.port, c.cert, why, r.Detail, c.want)
		}
		if c.want != "" && c.want != results.ReasonCertExpired && !strings.Contains(r.Detail, "LDAPS certificate rule: ") {
			t.Errorf("%d: %q does not name the rule", c.port, r.Detail)
		}
	}
}
