package probes

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// tlsChain makes a root, an intermediate that expires at interAfter and a leaf
// for mail.lab.example and 198.18.0.2 that expires at leafAfter.
func tlsChain(t *testing.T, interAfter, leafAfter time.Time) (root *x509.Certificate, chain []*x509.Certificate) {
	t.Helper()
	mk := func(tmpl, parent *x509.Certificate, pub, signer *ecdsa.PrivateKey) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &pub.PublicKey, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	start := leafAfter.Add(-400 * 24 * time.Hour)
	rk, ik, lk := key(), key(), key()
	ca := func(n int64, cn string, after time.Time) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: cn}, NotBefore: start, NotAfter: after,
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	rootT := ca(1, "Root", leafAfter.Add(3650*24*time.Hour))
	root = mk(rootT, rootT, rk, rk)
	inter := mk(ca(2, "Intermediate", interAfter), root, ik, rk)
	leaf := mk(&x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "mail.lab.example"},
		DNSNames: []string{"mail.lab.example"}, IPAddresses: []net.IP{net.IPv4(198, 18, 0, 2)},
		NotBefore: start, NotAfter: leafAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, inter, lk, ik)
	return root, []*x509.Certificate{leaf, inter}
}

func TestDescribeTLS(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	root, chain := tlsChain(t, now.Add(10*24*time.Hour), now.Add(90*24*time.Hour))
	roots := x509.NewCertPool()
	roots.AddCert(root)
	cs := tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256, PeerCertificates: chain}

	d := DescribeTLS(cs, "mail.lab.example", roots, now)
	if d.Version != "TLS 1.3" || d.Cipher != "TLS_AES_128_GCM_SHA256" || d.Subject != "CN=mail.lab.example" || d.Issuer != "CN=Intermediate" ||
		!d.Verified || !d.NameMatches || len(d.SANs) != 2 || d.SANs[1] != "198.18.0.2" || len(d.FingerprintSHA256) != 64 {
		t.Errorf("%+v", d)
	}
	// The intermediate expires first: that is the expiry that counts.
	if !d.NotAfter.Equal(now.Add(90*24*time.Hour)) || !d.EarliestNotAfter.Equal(now.Add(10*24*time.Hour)) || d.DaysLeft != 10 {
		t.Errorf("not after %v, earliest %v, %d days", d.NotAfter, d.EarliestNotAfter, d.DaysLeft)
	}
	if got, ok := (&ServiceDetail{TLS: d}).CertExpiry(); !ok || !got.Equal(d.EarliestNotAfter) {
		t.Errorf("CertExpiry %v %v", got, ok)
	}
	// By address, another name, without the root, after expiry.
	if d := DescribeTLS(cs, "198.18.0.2", roots, now); !d.NameMatches {
		t.Errorf("by address: %+v", d)
	}
	if d := DescribeTLS(cs, "owa.lab.example", roots, now); d.NameMatches || !d.Verified {
		t.Errorf("other name: %+v", d)
	}
	if d := DescribeTLS(cs, "mail.lab.example", x509.NewCertPool(), now); d.Verified || d.VerifyError == "" {
		t.Errorf("unknown root: %+v", d)
	}
	if d := DescribeTLS(cs, "mail.lab.example", roots, now.Add(11*24*time.Hour)); d.Verified || d.DaysLeft != -1 {
		t.Errorf("expired intermediate: verified %v, %d days", d.Verified, d.DaysLeft)
	}
	// Before the chain's validity starts (tlsChain: 400 days before the
	// leaf's end): not valid yet.
	start := now.Add((90 - 400) * 24 * time.Hour)
	if d.NotYetValid || !d.NotBefore.Equal(start) || !d.LatestNotBefore.Equal(start) {
		t.Errorf("valid now: not valid yet %v, not before %v, latest %v", d.NotYetValid, d.NotBefore, d.LatestNotBefore)
	}
	if d := DescribeTLS(cs, "mail.lab.example", roots, start.Add(-time.Minute)); !d.NotYetValid || d.Verified ||
		d.summary() != "TLS 1.3, CN=mail.lab.example, NOT VALID BEFORE "+start.Format("2006-01-02 15:04 MST") {
		t.Errorf("not valid yet: %v, verified %v, %q", d.NotYetValid, d.Verified, d.summary())
	}
	if d := DescribeTLS(tls.ConnectionState{Version: tls.VersionTLS12}, "x", roots, now); d.VerifyError == "" || d.FingerprintSHA256 != "" {
		t.Errorf("no certificate: %+v", d)
	}
}

func TestDaysLeftAndServerName(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		after time.Duration
		want  int
	}{{36 * time.Hour, 1}, {23 * time.Hour, 0}, {0, 0}, {-time.Minute, -1}, {-24 * time.Hour, -1}, {-25 * time.Hour, -2}} {
		if got := DaysLeft(now.Add(c.after), now); got != c.want {
			t.Errorf("%v: %d, want %d", c.after, got, c.want)
		}
	}
	for in, want := range map[string]string{"mail.lab.example.": "mail.lab.example", "198.18.0.2": "", "2001:db8::1": "", "[2001:db8::1]": ""} {
		if got := ServerName(in); got != want {
			t.Errorf("ServerName(%q) = %q, want %q", in, got, want)
		}
	}
}

// A certificate's text is the peer's: a 60 KB common name, control characters
// and hundreds of names are shown bounded (issue 18 item 11).
func TestDescribeTLSBounds(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var sans []string
	for i := range 300 {
		sans = append(sans, fmt.Sprintf("host%d.lab.example", i))
	}
	sans[0] = "evil\x1b[2J.lab.example"
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: strings.Repeat("é", 30000)},
		DNSNames: sans, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	d := DescribeTLS(tls.ConnectionState{Version: tls.VersionTLS13, PeerCertificates: []*x509.Certificate{leaf}}, "other.lab.example", nil, now)
	if len(d.Subject) > maxPeerText+len("…") || !strings.HasSuffix(d.Subject, "é…") || len(d.Issuer) > maxPeerText+len("…") {
		t.Errorf("subject of %d bytes: %.40q…", len(d.Subject), d.Subject)
	}
	if len(d.SANs) != maxListed || d.SANsOmitted != 300-maxListed || d.SANs[0] != "evil[2J.lab.example" {
		t.Errorf("%d names (%d omitted), first %q", len(d.SANs), d.SANsOmitted, d.SANs[0])
	}
	if len(d.VerifyError) > maxPeerText+len("…") {
		t.Errorf("verify error of %d bytes", len(d.VerifyError))
	}
	if s := (&ServiceDetail{TLS: d}).Summary(); len(s) > 2*maxPeerText {
		t.Errorf("summary of %d bytes", len(s))
	}
	if len(d.CommonName) > maxPeerText+len("…") || d.ExtKeyUsage != nil {
		t.Errorf("common name of %d bytes, EKU %q (the certificate has no EKU extension)", len(d.CommonName), d.ExtKeyUsage)
	}
}

// The subject's common name and the extended key usages, named or by OID,
// are what Microsoft's LDAPS rules read (scan's judgeLDAPS).
func TestDescribeTLSKeyUsage(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	_, chain := tlsChain(t, now.Add(10*24*time.Hour), now.Add(90*24*time.Hour))
	d := DescribeTLS(tls.ConnectionState{Version: tls.VersionTLS13, PeerCertificates: chain}, "mail.lab.example", nil, now)
	if d.CommonName != "mail.lab.example" || len(d.ExtKeyUsage) != 1 || d.ExtKeyUsage[0] != ExtKeyServerAuth {
		t.Errorf("CN %q, EKU %q", d.CommonName, d.ExtKeyUsage)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "dc01.lab.example"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 311, 20, 2, 2}}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	d = DescribeTLS(tls.ConnectionState{Version: tls.VersionTLS12, PeerCertificates: []*x509.Certificate{leaf}}, "dc01.lab.example", nil, now)
	if strings.Join(d.ExtKeyUsage, ",") != "client-auth,1.3.6.1.4.1.311.20.2.2" {
		t.Errorf("EKU %q", d.ExtKeyUsage)
	}
}

// A legacy session says why it is one: what confirmation offers older servers
// (issue 18 item 6) and current clients refuse.
func TestLegacyTLS(t *testing.T) {
	for _, c := range []struct {
		version, suite uint16
		want           string
	}{
		{tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256, ""},
		{tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ""},
		{tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, ""},
		{tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_CBC_SHA, "RSA key exchange"},
		{tls.VersionTLS10, tls.TLS_RSA_WITH_AES_128_CBC_SHA, "TLS 1.0, RSA key exchange"},
		{tls.VersionTLS10, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "TLS 1.0"},
		{tls.VersionTLS11, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, "TLS 1.1, 3DES, RSA key exchange"},
		{tls.VersionTLS10, tls.TLS_RSA_WITH_RC4_128_SHA, "TLS 1.0, RC4, RSA key exchange"},
		{tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "CBC with SHA-256"},
	} {
		if got := legacyTLS(c.version, c.suite); got != c.want {
			t.Errorf("%s %s: %q, want %q", tls.VersionName(c.version), tls.CipherSuiteName(c.suite), got, c.want)
		}
	}
	root, chain := tlsChain(t, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
	roots := x509.NewCertPool()
	roots.AddCert(root)
	cs := tls.ConnectionState{Version: tls.VersionTLS10, CipherSuite: tls.TLS_RSA_WITH_AES_128_CBC_SHA, PeerCertificates: chain}
	if d := DescribeTLS(cs, "mail.lab.example", roots, time.Now()); d.Legacy != "TLS 1.0, RSA key exchange" ||
		!strings.HasPrefix(d.summary(), "TLS 1.0 TLS_RSA_WITH_AES_128_CBC_SHA (legacy: TLS 1.0, RSA key exchange), CN=mail.lab.example, ") {
		t.Errorf("%q %q", d.Legacy, d.summary())
	}
}
