package probes

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"
)

// TLS ports: the services that speak TLS from the first byte. Their dialogs
// start after the scanner's handshake; the STARTTLS ones (smtp, imap, pop3,
// ldap) ask for it mid-conversation.
var (
	// HTTPS is HTTP over TLS (RFC 9110 §4.2.2): 443, 8443.
	HTTPS = &Service{Name: "https", Ports: []uint16{443, 8443}, TLS: true, Drift: tlsDrift("http.server"), New: newHTTPDialog("https", "/")}
	// HTTPSEWS is Exchange's web services over HTTPS, for profiles that name
	// it on 443: GET /EWS/Exchange.asmx, which Exchange answers with 401 and
	// the schemes it accepts (Negotiate, NTLM), where GET / only redirects to
	// Outlook on the web. It is the default for no port.
	HTTPSEWS = &Service{Name: "https-ews", TLS: true, Drift: tlsDrift("http.server"), New: newHTTPDialog("https-ews", "/EWS/Exchange.asmx")}
	// WinRMS is WinRM over HTTPS on 5986 (see WinRM).
	WinRMS = &Service{Name: "winrms", Ports: []uint16{5986}, TLS: true, Drift: tlsDrift(), New: newHTTPDialog("winrms", "/wsman")}
	// IMAPS is IMAP over implicit TLS (RFC 8314 §3.3): 993.
	IMAPS = &Service{Name: "imaps", Ports: []uint16{993}, TLS: true, Drift: tlsDrift("banner"), New: newIMAPDialog("imaps")}
	// POP3S is POP3 over implicit TLS (RFC 8314 §3.3): 995.
	POP3S = &Service{Name: "pop3s", Ports: []uint16{995}, TLS: true, Drift: tlsDrift("banner"), New: newPOP3Dialog("pop3s")}
	// SMTPS is message submission over implicit TLS (RFC 8314 §3.3): 465.
	SMTPS = &Service{Name: "smtps", Ports: []uint16{465}, TLS: true, Drift: tlsDrift("banner"), New: newSMTPDialog("smtps")}
	// TLS is any TLS service whose protocol inside is not spoken (SIP/TLS 5061,
	// EdgeSync's LDAPS 50636 when named by a profile): the handshake only.
	TLS = &Service{Name: "tls", Ports: []uint16{5061}, TLS: true, Drift: tlsDrift(), New: func(io.Reader, string) (Dialog, error) { return &tlsOnly{}, nil }}
)

// tlsDrift is the drift of a TLS service: a new certificate, plus the fields given.
func tlsDrift(more ...string) []DriftField {
	out := []DriftField{{Path: "tls.fingerprint_sha256", Meaning: "the server presents another certificate (renewed, replaced, or another server answers)"}}
	for _, m := range more {
		switch m {
		case "banner":
			out = append(out, DriftField{Path: "banner", Meaning: "the greeting changed: other software or another server answers"})
		case "http.server":
			out = append(out, DriftField{Path: "http.server", Meaning: "the HTTP Server header changed: other software or another server answers"})
		}
	}
	return out
}

type tlsOnly struct{ d ServiceDetail }

func (t *tlsOnly) Next([]byte) (Step, error) { t.d.Service = "tls"; return Step{Done: true}, nil }
func (t *tlsOnly) Detail() *ServiceDetail    { return &t.d }

// TLSDetail describes a TLS session and the server's certificate.
type TLSDetail struct {
	// Error is why the handshake failed; the other fields are then empty.
	Error string `json:"error,omitempty"`
	// Version is the negotiated version ("TLS 1.3") and Cipher the suite.
	Version string `json:"version,omitempty"`
	Cipher  string `json:"cipher,omitempty"`
	// Legacy says why the session is one current clients refuse by default
	// (Go's among them, and Windows since TLS 1.0 and 1.1 were turned off): a
	// version before TLS 1.2, RSA key exchange (no forward secrecy), 3DES, RC4,
	// CBC with SHA-256; "" for a current one. Confirmation offers them so as
	// to read an older server's certificate.
	Legacy string `json:"legacy,omitempty"`
	// Subject, SANs and Issuer are the leaf certificate's, as a peer's text
	// is shown: without control characters, each cut to 256 bytes, and the
	// first 64 names (SANsOmitted counts the others).
	Subject     string   `json:"subject,omitempty"`
	SANs        []string `json:"sans,omitempty"`
	SANsOmitted int      `json:"sans_omitted,omitempty"`
	Issuer      string   `json:"issuer,omitempty"`
	// CommonName is the subject's common name, which Microsoft's LDAPS rules
	// accept in place of a SAN dNSName for the DC's name.
	CommonName string `json:"common_name,omitempty"`
	// ExtKeyUsage names the leaf's extended key usages (RFC 5280 §4.2.1.12):
	// "server-auth" (1.3.6.1.5.5.7.3.1), "client-auth", …, or the OID of one
	// Go does not name; empty when the certificate has no EKU extension.
	ExtKeyUsage []string `json:"ext_key_usage,omitempty"`
	// NotAfter is the leaf's expiry; EarliestNotAfter the earliest of every
	// certificate the server sent (an expired intermediate breaks clients too),
	// and DaysLeft the whole days from the scan to it, negative once expired.
	NotAfter         time.Time `json:"not_after,omitzero"`
	EarliestNotAfter time.Time `json:"earliest_not_after,omitzero"`
	DaysLeft         int       `json:"days_left"`
	// NotBefore is the leaf's start of validity; LatestNotBefore the latest of
	// every certificate the server sent, and NotYetValid says that the scan
	// came before it (a certificate installed early, or issued by a CA whose
	// clock runs ahead): clients refuse it as they refuse an expired one.
	NotBefore       time.Time `json:"not_before,omitzero"`
	LatestNotBefore time.Time `json:"latest_not_before,omitzero"`
	NotYetValid     bool      `json:"not_yet_valid,omitempty"`
	// FingerprintSHA256 is the SHA-256 of the leaf certificate's DER, in hex.
	FingerprintSHA256 string `json:"fingerprint_sha256,omitempty"`
	// Verified is set when the chain verifies against the system's roots (and
	// --ca-file) at scan time; VerifyError says why it does not.
	Verified    bool   `json:"verified"`
	VerifyError string `json:"verify_error,omitempty"`
	// Name is the name the certificate was checked against (the target as
	// given, a host name or an address); NameMatches whether it is valid for it.
	Name        string `json:"name,omitempty"`
	NameMatches bool   `json:"name_matches"`
}

func (t *TLSDetail) summary() string {
	if t.Error != "" {
		return "TLS failed: " + t.Error
	}
	s := fmt.Sprintf("%s, %s", t.Version, t.Subject)
	if t.Legacy != "" {
		s = fmt.Sprintf("%s %s (legacy: %s), %s", t.Version, t.Cipher, t.Legacy, t.Subject)
	}
	if t.DaysLeft < 0 {
		return s + ", EXPIRED " + t.EarliestNotAfter.Format("2006-01-02")
	}
	if t.NotYetValid {
		return s + ", NOT VALID BEFORE " + t.LatestNotBefore.Format("2006-01-02 15:04 MST")
	}
	return s + fmt.Sprintf(", expires %s (%d days)", t.EarliestNotAfter.Format("2006-01-02"), t.DaysLeft)
}

// DescribeTLS reads a finished handshake: the session's parameters and the
// server's certificate, verified against roots (nil: the system's) at now and
// matched against name (the target as the user gave it; "" skips the match).
// It is pure: the scanner passes its clock and roots in.
func DescribeTLS(cs tls.ConnectionState, name string, roots *x509.CertPool, now time.Time) *TLSDetail {
	t := &TLSDetail{Version: tls.VersionName(cs.Version), Cipher: tls.CipherSuiteName(cs.CipherSuite), Name: name,
		Legacy: legacyTLS(cs.Version, cs.CipherSuite)}
	if len(cs.PeerCertificates) == 0 {
		t.VerifyError = "the server sent no certificate"
		return t
	}
	leaf := cs.PeerCertificates[0]
	t.Subject = peerText([]byte(leaf.Subject.String()))
	t.Issuer = peerText([]byte(leaf.Issuer.String()))
	names := make([]string, 0, len(leaf.DNSNames)+len(leaf.IPAddresses))
	names = append(names, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	for _, n := range names[:min(len(names), maxListed)] {
		t.SANs = append(t.SANs, peerText([]byte(n)))
	}
	t.SANsOmitted = len(names) - len(t.SANs)
	t.CommonName = peerText([]byte(leaf.Subject.CommonName))
	t.ExtKeyUsage = extKeyUsageNames(leaf)
	t.NotAfter = leaf.NotAfter.UTC()
	t.EarliestNotAfter = t.NotAfter
	for _, c := range cs.PeerCertificates[1:] {
		if c.NotAfter.Before(t.EarliestNotAfter) {
			t.EarliestNotAfter = c.NotAfter.UTC()
		}
	}
	t.DaysLeft = DaysLeft(t.EarliestNotAfter, now)
	t.NotBefore = leaf.NotBefore.UTC()
	t.LatestNotBefore = t.NotBefore
	for _, c := range cs.PeerCertificates[1:] {
		if c.NotBefore.After(t.LatestNotBefore) {
			t.LatestNotBefore = c.NotBefore.UTC()
		}
	}
	t.NotYetValid = now.Before(t.LatestNotBefore)
	sum := sha256.Sum256(leaf.Raw)
	t.FingerprintSHA256 = hex.EncodeToString(sum[:])

	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now}
	if _, err := leaf.Verify(opts); err != nil {
		t.VerifyError = peerText([]byte(err.Error())) // it may quote the certificate's names
	} else {
		t.Verified = true
	}
	if name != "" {
		host := strings.TrimSuffix(strings.Trim(name, "[]"), ".")
		t.NameMatches = leaf.VerifyHostname(host) == nil
	}
	return t
}

// legacyTLS says why a session of version and suite is legacy, or "" for a
// current one: a version before TLS 1.2 (RFC 8996 deprecates 1.0 and 1.1), and a
// suite among Go's insecure ones, named by its weakness.
func legacyTLS(version, suite uint16) string {
	var why []string
	if version < tls.VersionTLS12 {
		why = append(why, tls.VersionName(version))
	}
	for _, c := range tls.InsecureCipherSuites() {
		if c.ID != suite {
			continue
		}
		n := len(why)
		for part, weakness := range map[string]string{"_RC4_": "RC4", "_3DES_": "3DES", "TLS_RSA_": "RSA key exchange"} {
			if strings.Contains(c.Name, part) {
				why = append(why, weakness)
			}
		}
		slices.Sort(why[n:])
		if len(why) == n {
			why = append(why, "CBC with SHA-256") // what is left of Go's insecure list
		}
	}
	return strings.Join(why, ", ")
}

// extKeyUsages names the extended key usages Go knows (x509.ExtKeyUsage),
// as RFC 5280 §4.2.1.12 and its successors name them.
var extKeyUsages = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny: "any", x509.ExtKeyUsageServerAuth: "server-auth", x509.ExtKeyUsageClientAuth: "client-auth",
	x509.ExtKeyUsageCodeSigning: "code-signing", x509.ExtKeyUsageEmailProtection: "email-protection",
	x509.ExtKeyUsageIPSECEndSystem: "ipsec-end-system", x509.ExtKeyUsageIPSECTunnel: "ipsec-tunnel",
	x509.ExtKeyUsageIPSECUser: "ipsec-user", x509.ExtKeyUsageTimeStamping: "time-stamping",
	x509.ExtKeyUsageOCSPSigning: "ocsp-signing", x509.ExtKeyUsageMicrosoftServerGatedCrypto: "ms-server-gated-crypto",
	x509.ExtKeyUsageNetscapeServerGatedCrypto:      "netscape-server-gated-crypto",
	x509.ExtKeyUsageMicrosoftCommercialCodeSigning: "ms-commercial-code-signing", x509.ExtKeyUsageMicrosoftKernelCodeSigning: "ms-kernel-code-signing",
}

// ExtKeyServerAuth is ExtKeyUsage's name of Server Authentication.
const ExtKeyServerAuth = "server-auth"

// extKeyUsageNames lists a certificate's extended key usages, at most
// maxListed, each a peer's text.
func extKeyUsageNames(c *x509.Certificate) []string {
	var out []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := extKeyUsages[u]; ok {
			out = append(out, n)
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		out = append(out, peerText([]byte(oid.String())))
	}
	return out[:min(len(out), maxListed)]
}

// DaysLeft is the whole days from now to notAfter, rounded down: 0 on the last
// day, -1 from the first day after expiry.
func DaysLeft(notAfter, now time.Time) int {
	d := notAfter.Sub(now)
	days := int(d / (24 * time.Hour))
	if d < 0 && d%(24*time.Hour) != 0 {
		days--
	}
	return days
}

// ServerName is what the scanner sends as TLS SNI for a target as the user gave
// it: the host name, or "" for an address (RFC 6066 §3: literal addresses are
// not permitted in SNI).
func ServerName(target string) string {
	if net.ParseIP(strings.Trim(target, "[]")) != nil {
		return ""
	}
	return strings.TrimSuffix(target, ".")
}
