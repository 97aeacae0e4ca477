//go:build linux

package scan

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// slowDaemonTimeout is the --timeout for scans of the test hosts' mail daemons:
// Dovecot's implicit-TLS handshake and Postfix's greeting can take longer than
// the default second on a loaded machine, and these tests check what the
// services say, not how fast they say it.
const slowDaemonTimeout = 5 * time.Second

// serviceTCP is a TCP port as a profile entry that names a service plans it.
func serviceTCP(port uint16, service string, expect results.Expectation) Port {
	return Port{Proto: results.TCP, Lo: port, Check: &results.Check{Profiles: []string{"test"}, Service: service, Expect: expect}}
}

// confirmed returns a confirmed port's detail after checking its state, service
// and check outcome (why == "" for a met check).
func confirmed(t *testing.T, got map[string]results.Result, port uint16, service string, why results.Reason) *probes.ServiceDetail {
	t.Helper()
	r := expectResult(t, got, results.TCP, port, service, "", results.Open)
	o := results.Judge(&r)
	switch {
	case why == "" && o.Status == results.StatusFailed:
		t.Errorf("%d/tcp: check failed (%s), want met (or none, optional)", port, o.Why)
	case why != "" && (o.Status != results.StatusFailed || o.Why != why):
		t.Errorf("%d/tcp: check %s (%s), want failed (%s)", port, o.Status, o.Why, why)
	}
	d, ok := r.Details.(*probes.ServiceDetail)
	if !ok {
		t.Fatalf("%d/tcp: details %T", port, r.Details)
	}
	return d
}

// TestConfirmNginxIntegration: nginx serves HTTPS with a certificate valid for
// 90 days on 443, one expiring in 3 days on 8443, one expired 2 days ago on
// 5986, and plain HTTP with a 401 Negotiate/NTLM on 80. The expired and the
// expiring certificates fail their checks; the port stays open. Debian
// package: nginx-light.
func TestConfirmNginxIntegration(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	ca := testnet.NewCA(t)
	dir := testnet.Dir(t, "")
	now := time.Now()
	ip := net.IP(h.Addr.AsSlice())
	good, goodKey := ca.Issue(t, dir, "www.lab.example", now.Add(90*24*time.Hour), ip)
	soon, soonKey := ca.Issue(t, dir, "soon.lab.example", now.Add(3*24*time.Hour+time.Hour), ip)
	old, oldKey := ca.Issue(t, dir, "old.lab.example", now.Add(-2*24*time.Hour), ip)
	tlsServer := func(port int, cert, key string) string {
		return fmt.Sprintf(`server { listen %d ssl; ssl_certificate %s; ssl_certificate_key %s; location / { return 200 "ok\n"; } }`, port, cert, key)
	}
	testnet.StartNginx(t, h,
		tlsServer(443, good, goodKey), tlsServer(8443, soon, soonKey), tlsServer(5986, old, oldKey),
		`server { listen 80; server_tokens off; location / { add_header WWW-Authenticate Negotiate always; add_header WWW-Authenticate NTLM always; return 401; } }`)
	for _, p := range []uint16{443, 8443, 5986, 80} {
		h.WaitTCP(t, p)
	}
	transcript(t, h.Addr, 80, "GET / HTTP/1.1\r\nHost: 198.18.0.2\r\nUser-Agent: portreach\r\nAccept: */*\r\nConnection: close\r\n\r\n")
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	s := &Scanner{Confirm: Confirm{Checked: true, Roots: roots}}
	got := scanDaemon(t, s, h.Addr,
		serviceTCP(443, "HTTPS", results.ExpectOpen), serviceTCP(8443, "HTTPS", results.ExpectOpen),
		serviceTCP(5986, "WinRM", results.ExpectOpen), serviceTCP(80, "HTTP", results.ExpectOpen))

	d := confirmed(t, got, 443, "https", "")
	if d.HTTP == nil || d.HTTP.Status != 200 || d.TLS == nil || !d.TLS.Verified || !d.TLS.NameMatches || d.TLS.Legacy != "" ||
		d.TLS.Subject != "CN=www.lab.example" || d.TLS.DaysLeft != 89 || !slices.Contains(d.TLS.SANs, "www.lab.example") {
		t.Errorf("443: %+v %+v", d.HTTP, d.TLS)
	}
	if d := confirmed(t, got, 8443, "https", results.ReasonCertExpiring); d.TLS.DaysLeft != 3 {
		t.Errorf("8443: %d days left", d.TLS.DaysLeft)
	}
	// Two days and a few milliseconds ago: DaysLeft rounds down, to -3.
	if d := confirmed(t, got, 5986, "winrms", results.ReasonCertExpired); d.TLS.DaysLeft != -3 || d.TLS.Verified {
		t.Errorf("5986: %d days left, verified %v", d.TLS.DaysLeft, d.TLS.Verified)
	}
	d = confirmed(t, got, 80, "http", "")
	if d.HTTP == nil || d.HTTP.Status != 401 || !slices.Equal(d.HTTP.AuthSchemes, []string{"Negotiate", "NTLM"}) {
		t.Errorf("80: %+v", d.HTTP)
	}
}

// TestConfirmDovecotIntegration: Dovecot's greetings and capabilities on 143 and
// 110, STARTTLS and STLS upgraded to read the certificate, and the same
// certificate over implicit TLS on 993 and 995. Debian packages:
// dovecot-imapd, dovecot-pop3d.
func TestConfirmDovecotIntegration(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	ca := testnet.NewCA(t)
	dir := testnet.Dir(t, "")
	cert, key := ca.Issue(t, dir, "mail.lab.example", time.Now().Add(40*24*time.Hour+time.Hour), net.IP(h.Addr.AsSlice()))
	testnet.StartDovecot(t, h, cert, key)
	for _, p := range []uint16{143, 993, 110, 995} {
		h.WaitTCP(t, p)
	}
	transcript(t, h.Addr, 143, "", "a1 CAPABILITY\r\n", "a2 STARTTLS\r\n")
	transcript(t, h.Addr, 110, "", "CAPA\r\n", "STLS\r\n")
	s := &Scanner{Timeout: slowDaemonTimeout, Confirm: Confirm{Checked: true}}
	got := scanDaemon(t, s, h.Addr,
		serviceTCP(143, "IMAP", results.ExpectOptional), serviceTCP(993, "Secure IMAP", results.ExpectOpen),
		serviceTCP(110, "POP3", results.ExpectOptional), serviceTCP(995, "Secure POP3", results.ExpectOpen))
	for _, c := range []struct {
		port     uint16
		service  string
		banner   string
		starttls bool
		capa     string
	}{
		{143, "imap", "* OK", true, "IMAP4REV1"},
		{993, "imaps", "* OK", false, "IMAP4REV1"},
		{110, "pop3", "+OK", true, "UIDL"},
		{995, "pop3s", "+OK", false, "UIDL"},
	} {
		d := confirmed(t, got, c.port, c.service, "")
		if len(d.Banner) < len(c.banner) || d.Banner[:len(c.banner)] != c.banner || d.StartTLS != c.starttls ||
			!slices.Contains(d.Capabilities, c.capa) || d.TLS == nil || d.TLS.DaysLeft != 40 ||
			d.TLS.Subject != "CN=mail.lab.example" || d.TLS.Verified {
			t.Errorf("%d: %+v %+v", c.port, d, d.TLS)
		}
	}
}

// TestConfirmPostfixIntegration: Postfix's 220 banner and EHLO extensions on 25
// and 587, and the certificate behind STARTTLS on both. Debian package: postfix.
func TestConfirmPostfixIntegration(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	ca := testnet.NewCA(t)
	dir := testnet.Dir(t, "")
	cert, key := ca.Issue(t, dir, "mail.lab.example", time.Now().Add(60*24*time.Hour+time.Hour))
	testnet.StartPostfix(t, h, "mail.lab.example", cert, key)
	h.WaitTCP(t, 25)
	h.WaitTCP(t, 587)
	transcript(t, h.Addr, 25, "", "EHLO portreach.invalid\r\n", "STARTTLS\r\n")
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	// Verify: the chain is good, but the certificate does not name the address
	// scanned, so with --tls-verify the check fails on the name.
	s := &Scanner{Confirm: Confirm{Checked: true, Roots: roots, Verify: true}}
	got := scanDaemon(t, s, h.Addr, serviceTCP(25, "SMTP", results.ExpectOpen), serviceTCP(587, "Authenticated SMTP", results.ExpectOpen))
	for _, port := range []uint16{25, 587} {
		d := confirmed(t, got, port, "smtp", results.ReasonCertNameMismatch)
		if r := got["tcp/"+strconv.Itoa(int(port))]; !strings.HasSuffix(r.Detail, "; not valid for "+h.Addr.String()+": it names mail.lab.example") {
			t.Errorf("%d: detail %q", port, r.Detail)
		}
		if d.Banner != "220 mail.lab.example ESMTP portreach test" || !d.StartTLS || !slices.Contains(d.Capabilities, "STARTTLS") ||
			d.TLS == nil || !d.TLS.Verified || d.TLS.NameMatches || d.TLS.DaysLeft != 60 {
			t.Errorf("%d: %+v %+v", port, d, d.TLS)
		}
	}
}

// transcript logs what a server sends in answer to each of sends (nil: its
// greeting), in hex, for the captures in probes/testdata. Run with
// PORTREACH_CAPTURE=1 and -v.
func transcript(t *testing.T, addr netip.Addr, port uint16, sends ...string) {
	if os.Getenv("PORTREACH_CAPTURE") == "" {
		return
	}
	c, err := net.DialTimeout("tcp", netip.AddrPortFrom(addr, port).String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 65536)
	for _, s := range sends {
		if s != "" {
			c.Write([]byte(s))
		}
		var got []byte
		for {
			c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		t.Logf("capture %d/tcp after %q:\n%s", port, s, hex.Dump(got))
		fmt.Printf("CAPTURE %d %q %x\n", port, s, got)
	}
}

// TestConfirmSambaIntegration: a Samba AD DC's SMB negotiate on 445 and after a
// NetBIOS session request on 139, its rootDSE over LDAP (389, and StartTLS's
// certificate), LDAPS, the Global Catalog ports, and Kerberos and DNS over TCP.
// Debian packages: see testnet.StartSambaDC.
func TestConfirmSambaIntegration(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	dc := testnet.StartSambaDC(t, h)
	for _, p := range []uint16{445, 139, 389, 636, 3268, 3269, 88, 53} {
		h.WaitTCP(t, p)
	}
	for _, c := range []struct {
		port uint16
		svc  *probes.Service
	}{{445, probes.SMB}, {139, probes.NetBIOSSSN}, {389, probes.LDAP}, {88, probes.KerberosTCP}, {53, probes.DNSTCP}} {
		serviceTranscript(t, h.Addr, c.port, c.svc)
	}
	s := &Scanner{Confirm: Confirm{Checked: true, CertDays: new(0)}}
	got := scanDaemon(t, s, h.Addr,
		serviceTCP(445, "SMB", results.ExpectOpen), serviceTCP(139, "NetBIOS Session Service", results.ExpectOpen),
		serviceTCP(389, "LDAP", results.ExpectOpen), serviceTCP(636, "LDAP SSL", results.ExpectOpen),
		serviceTCP(3268, "Global catalog", results.ExpectOpen), serviceTCP(3269, "Global catalog (SSL)", results.ExpectOpen),
		serviceTCP(88, "Kerberos", results.ExpectOpen), serviceTCP(53, "DNS", results.ExpectOpen))
	for _, c := range []struct {
		port    uint16
		service string
	}{{445, "smb"}, {139, "netbios-ssn"}} {
		d := confirmed(t, got, c.port, c.service, "")
		if d.SMB == nil || d.SMB.Dialect != "3.1.1" || !d.SMB.SigningRequired {
			t.Errorf("%d: %+v", c.port, d.SMB)
		}
	}
	for _, c := range []struct {
		port     uint16
		service  string
		starttls bool
	}{{389, "ldap", true}, {636, "ldaps", false}, {3268, "ldap", true}, {3269, "ldaps", false}} {
		d := confirmed(t, got, c.port, c.service, "")
		if d.LDAP == nil || !strings.EqualFold(d.LDAP.DNSHostName, strings.ToLower(dc.Host)+"."+strings.ToLower(dc.Realm)) ||
			d.LDAP.DefaultNamingContext != "DC=lab,DC=example" || d.StartTLS != c.starttls || d.TLS == nil || d.TLS.FingerprintSHA256 == "" {
			t.Errorf("%d: %+v %+v", c.port, d.LDAP, d.TLS)
		}
	}
	// The KDC echoes the realm asked for, the probe's (as over UDP): no realm
	// is shown.
	if d := confirmed(t, got, 88, "kerberos-tcp", ""); d.Kerberos == nil || d.Kerberos.ErrorName != "C_PRINCIPAL_UNKNOWN" || d.Kerberos.Realm != "" {
		t.Errorf("88: %+v", d.Kerberos)
	}
	if d := confirmed(t, got, 53, "dns-tcp", ""); d.DNS == nil || d.DNS.RootNS == nil {
		t.Errorf("53: %+v", d.DNS)
	}
}

// TestConfirmWrongServiceIntegration: a plain TCP listener where a profile
// expects SMB is open, and its check fails with wrong-service.
func TestConfirmWrongServiceIntegration(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	testnet.ServeTCP(t, h, 445)
	got := scanDaemon(t, &Scanner{Timeout: 500 * time.Millisecond, Confirm: Confirm{Checked: true}}, h.Addr, serviceTCP(445, "SMB", results.ExpectOpen))
	r := got["tcp/445"]
	confirmed(t, got, 445, "smb", results.ReasonWrongService)
	if !strings.HasPrefix(r.Detail, "no smb reply: the port accepted the connection, then") {
		t.Errorf("detail %q", r.Detail)
	}
}

// serviceTranscript drives svc's dialog, with IDs drawn from zeros, over a plain
// connection and logs every reply in hex up to a STARTTLS, for the captures in
// probes/testdata (run with PORTREACH_CAPTURE=1 and -v). Unit tests replay them
// against a dialog made from the same zeros.
func serviceTranscript(t *testing.T, addr netip.Addr, port uint16, svc *probes.Service) {
	if os.Getenv("PORTREACH_CAPTURE") == "" {
		return
	}
	d, err := svc.New(bytes.NewReader(make([]byte, 256)), addr.String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", netip.AddrPortFrom(addr, port).String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var buf []byte
	chunk := make([]byte, 65536)
	step, err := d.Next(nil)
	for err == nil && !step.Done && !step.StartTLS {
		if len(step.Send) > 0 {
			if len(buf) > 0 {
				fmt.Printf("CAPTURE %s %d %x\n", svc.Name, port, buf)
			}
			c.Write(step.Send)
			buf = nil
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, rerr := c.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if rerr != nil {
			break
		}
		step, err = d.Next(buf)
	}
	fmt.Printf("CAPTURE %s %d %x\n", svc.Name, port, buf)
}

// TestConfirmRDPAndTDSIntegration: xrdp's negotiation (TLS chosen, its
// certificate read after it) on 3389, and a PRELOGIN stand-in built from
// [MS-TDS] on 1433 and on an instance port a plan names. Debian package: xrdp.
func TestConfirmRDPAndTDSIntegration(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	ca := testnet.NewCA(t)
	dir := testnet.Dir(t, "")
	cert, key := ca.Issue(t, dir, "rdp.lab.example", time.Now().Add(200*24*time.Hour), net.IP(h.Addr.AsSlice()))
	testnet.StartXRDP(t, h, cert, key)
	testnet.ServeTDSPrelogin(t, h, 1433, 16, 0, 1000, 6, 0x00)
	testnet.ServeTDSPrelogin(t, h, 49733, 15, 0, 2000, 5, 0x03)
	for _, p := range []uint16{3389, 1433, 49733} {
		h.WaitTCP(t, p)
	}
	instance := serviceTCP(49733, "SQL Server instance SQLEXPRESS", results.ExpectOpen)
	instance.Probe = "tds"
	got := scanDaemon(t, &Scanner{Confirm: Confirm{Checked: true}}, h.Addr,
		serviceTCP(3389, "Terminal Services", results.ExpectOpen), serviceTCP(1433, "SQL Server", results.ExpectOpen), instance)
	if d := confirmed(t, got, 3389, "rdp", ""); d.RDP == nil || d.RDP.Protocol != "TLS" || d.TLS == nil || d.TLS.Subject != "CN=rdp.lab.example" {
		t.Errorf("3389: %+v %+v", d.RDP, d.TLS)
	}
	if d := confirmed(t, got, 1433, "tds", ""); d.TDS == nil || d.TDS.Version != "16.0.1000.6" || d.TDS.Product != "SQL Server 2022" || d.TDS.Encryption != "off" {
		t.Errorf("1433: %+v", d.TDS)
	}
	if d := confirmed(t, got, 49733, "tds", ""); d.TDS == nil || d.TDS.Version != "15.0.2000.5" || d.TDS.Encryption != "required" {
		t.Errorf("49733: %+v", d.TDS)
	}

	// The ports the SQL Browser reveals are confirmed too (keeping the
	// Browser's probe name, by which drift matches them): one instance answers
	// PRELOGIN, the other port has something else behind it.
	b := testnet.NewHost(t)
	testnet.StartSQLBrowser(t, b, []testnet.SQLInstance{
		{Server: "SQL01", Name: "BTS", Version: "16.0.1000.6", TCPPort: 49733},
		{Server: "SQL01", Name: "OTHER", Version: "16.0.1000.6", TCPPort: 49800},
	})
	testnet.ServeTDSPrelogin(t, b, 49733, 16, 0, 1000, 6, 0x01)
	testnet.ServeTCP(t, b, 49800)
	b.WaitTCP(t, 49733)
	browser := Port{Proto: results.UDP, Lo: 1434, Check: &results.Check{Profiles: []string{"test"}, Service: "SQL Browser", Expect: results.ExpectOpen}}
	got = scanDaemon(t, &Scanner{Confirm: Confirm{Checked: true}}, b.Addr, browser)
	r := expectResult(t, got, results.TCP, 49733, "sqlbrowser", "instance BTS", results.Open)
	if d, ok := r.Details.(*probes.ServiceDetail); !ok || d.TDS == nil || d.TDS.Encryption != "on" || results.Fails(&r) {
		t.Errorf("49733: %+v %v", r.Details, results.Judge(&r))
	}
	r = expectResult(t, got, results.TCP, 49800, "sqlbrowser", "instance OTHER", results.Open)
	if o := results.Judge(&r); o.Status != results.StatusFailed || o.Why != results.ReasonWrongService {
		t.Errorf("49800: %+v", o)
	}
}

// TestConfirmLegacyTLSIntegration: OpenSSL serving TLS 1.2 with RSA key
// exchange only (AES128-SHA), and TLS 1.0 only, as older Windows servers' Schannel
// does (issue 18 item 6): confirmation reads their certificate, and says the
// session is legacy and why. Debian package: openssl.
func TestConfirmLegacyTLSIntegration(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	testnet.StartOpenSSL(t, h, 443, "rsakex.lab.example", "-cipher", "AES128-SHA:@SECLEVEL=0", "-no_tls1_3")
	testnet.StartOpenSSL(t, h, 8443, "tls10.lab.example", "-cipher", "AES128-SHA:@SECLEVEL=0", "-tls1")
	// A server that has a current suite too negotiates it: the legacy offer
	// downgrades nobody.
	testnet.StartOpenSSL(t, h, 9443, "both.lab.example", "-cipher", "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-no_tls1_3")
	for _, p := range []uint16{443, 8443, 9443} {
		h.WaitTCP(t, p)
	}
	both := serviceTCP(9443, "HTTPS", results.ExpectOpen)
	both.Probe = "https"
	got := scanDaemon(t, &Scanner{Confirm: Confirm{Checked: true}}, h.Addr,
		serviceTCP(443, "HTTPS", results.ExpectOpen), serviceTCP(8443, "HTTPS", results.ExpectOpen), both)
	for _, c := range []struct {
		port                     uint16
		cn, version, cipher, why string
	}{
		{443, "rsakex.lab.example", "TLS 1.2", "TLS_RSA_WITH_AES_128_CBC_SHA", "RSA key exchange"},
		{8443, "tls10.lab.example", "TLS 1.0", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS 1.0, RSA key exchange"},
		{9443, "both.lab.example", "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", ""},
	} {
		d := confirmed(t, got, c.port, "https", "")
		if d.TLS == nil || d.TLS.Version != c.version || d.TLS.Cipher != c.cipher || d.TLS.Legacy != c.why ||
			d.TLS.Subject != "CN="+c.cn || d.HTTP == nil || d.HTTP.Status != 200 {
			t.Errorf("%d: %+v %+v", c.port, d.TLS, d.HTTP)
		}
		want := c.version + " " + c.cipher + " (legacy: " + c.why + "), CN=" + c.cn
		if c.why == "" {
			want = c.version + ", CN=" + c.cn
		}
		if r := got[key(results.TCP, c.port)]; !strings.Contains(r.Detail, want) {
			t.Errorf("%d: detail %q lacks %q", c.port, r.Detail, want)
		}
	}
}

// TestConfirmPostscreenIntegration: Postfix's postscreen sends "220-" at once
// and ends its greeting only after its pregreet wait (3 s here, 6 s by
// default). Under a shorter --timeout the check fails with confirm-timeout,
// a slow greeting, never wrong-service (issue 18 item 11); a --timeout longer
// than the wait reads the whole greeting. Debian package: postfix.
func TestConfirmPostscreenIntegration(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	ca := testnet.NewCA(t)
	cert, key := ca.Issue(t, testnet.Dir(t, ""), "mail.lab.example", time.Now().Add(60*24*time.Hour))
	testnet.StartPostscreen(t, h, "mail.lab.example", cert, key, 3*time.Second)
	h.WaitTCP(t, 25)
	got := scanDaemon(t, &Scanner{Timeout: time.Second, Confirm: Confirm{Checked: true}}, h.Addr, serviceTCP(25, "SMTP", results.ExpectOpen))
	confirmed(t, got, 25, "smtp", results.ReasonConfirmTimeout)
	if r := got["tcp/25"]; !strings.Contains(r.Detail, "smtp: the reply began (") || !strings.Contains(r.Detail, "then nothing more came for 1s (--timeout)") {
		t.Errorf("--timeout 1s: detail %q", r.Detail)
	}
	got = scanDaemon(t, &Scanner{Timeout: 5 * time.Second, Confirm: Confirm{Checked: true}}, h.Addr, serviceTCP(25, "SMTP", results.ExpectOpen))
	if d := confirmed(t, got, 25, "smtp", ""); d.Banner != "220 mail.lab.example ESMTP portreach test" {
		t.Errorf("--timeout 5s: %+v", d)
	}
}
