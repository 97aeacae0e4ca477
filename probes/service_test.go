package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// converse drives a dialog as the scanner does, without a connection: replies
// are what the server sends after each of the dialog's sends (the first one
// after the connect), delivered one byte at a time so that every partial read
// is seen. It returns what the dialog sent and asked for, in order.
func converse(t testing.TB, d Dialog, replies ...[]byte) (sent []string, err error) {
	step, err := d.Next(nil)
	for err == nil {
		if len(step.Send) > 0 {
			sent = append(sent, string(step.Send))
		}
		if step.StartTLS {
			sent = append(sent, "<starttls>")
			step, err = d.Next(nil)
			continue
		}
		if step.Done || len(replies) == 0 {
			return sent, nil
		}
		r := replies[0]
		replies = replies[1:]
		for i := 1; i <= len(r) && err == nil; i++ {
			step, err = d.Next(r[:i])
			if err == nil && i < len(r) && (step.Send != nil || step.StartTLS) {
				t.Fatalf("dialog moved on after %d of %d bytes: %q", i, len(r), r[:i])
			}
		}
	}
	return sent, err
}

func newDialog(t testing.TB, s *Service) Dialog {
	d, err := s.New(&ikeCounter{}, "mail.lab.example")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSMTPDialog(t *testing.T) {
	d := newDialog(t, SMTP)
	sent, err := converse(t, d, capture(t, "smtp_postfix_greeting.hex"), capture(t, "smtp_postfix_ehlo.hex"), capture(t, "smtp_postfix_starttls.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"EHLO portreach.invalid\r\n", "STARTTLS\r\n", "<starttls>"}; !slices.Equal(sent, want) {
		t.Errorf("sent %q, want %q", sent, want)
	}
	got := d.Detail()
	if got.Banner != "220 mail.lab.example ESMTP portreach test" || !got.StartTLS ||
		!slices.Equal(got.Capabilities[:3], []string{"PIPELINING", "SIZE", "VRFY"}) || !slices.Contains(got.Capabilities, "CHUNKING") {
		t.Errorf("detail %+v", got)
	}
	// Over implicit TLS (465) the dialog does not ask for STARTTLS again.
	d = newDialog(t, SMTPS)
	sent, _ = converse(t, d, capture(t, "smtp_postfix_greeting.hex"), capture(t, "smtp_postfix_ehlo.hex"))
	if want := []string{"EHLO portreach.invalid\r\n", "QUIT\r\n"}; !slices.Equal(sent, want) {
		t.Errorf("smtps sent %q, want %q", sent, want)
	}
}

func TestIMAPDialog(t *testing.T) {
	d := newDialog(t, IMAP)
	sent, err := converse(t, d, capture(t, "imap_dovecot_greeting.hex"), capture(t, "imap_dovecot_capability.hex"), capture(t, "imap_dovecot_starttls.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a1 CAPABILITY\r\n", "a2 STARTTLS\r\n", "<starttls>"}; !slices.Equal(sent, want) {
		t.Errorf("sent %q, want %q", sent, want)
	}
	got := d.Detail()
	if !strings.HasPrefix(got.Banner, "* OK [CAPABILITY IMAP4rev1") || !got.StartTLS || !slices.Contains(got.Capabilities, "IMAP4REV1") {
		t.Errorf("detail %+v", got)
	}
}

func TestPOP3Dialog(t *testing.T) {
	d := newDialog(t, POP3)
	sent, err := converse(t, d, capture(t, "pop3_dovecot_greeting.hex"), capture(t, "pop3_dovecot_capa.hex"), capture(t, "pop3_dovecot_stls.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"CAPA\r\n", "STLS\r\n", "<starttls>"}; !slices.Equal(sent, want) {
		t.Errorf("sent %q, want %q", sent, want)
	}
	got := d.Detail()
	if got.Banner != "+OK Dovecot (Debian) ready." || !got.StartTLS || !slices.Equal(got.Capabilities, []string{"CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS", "SASL"}) {
		t.Errorf("detail %+v", got)
	}
}

func TestHTTPDialog(t *testing.T) {
	d := newDialog(t, HTTP)
	sent, err := converse(t, d, capture(t, "http_nginx_401.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"GET / HTTP/1.1\r\nHost: mail.lab.example\r\nUser-Agent: portreach\r\nAccept: */*\r\nConnection: close\r\n\r\n"}; !slices.Equal(sent, want) {
		t.Errorf("sent %q, want %q", sent, want)
	}
	h := d.Detail().HTTP
	if h == nil || h.Status != 401 || h.Server != "nginx" || !slices.Equal(h.AuthSchemes, []string{"Negotiate", "NTLM"}) {
		t.Errorf("detail %+v", h)
	}
	if got := d.Detail().Summary(); got != `HTTP 401 "nginx" auth Negotiate/NTLM` {
		t.Errorf("summary %q", got)
	}
	// An IPv6 address is bracketed in Host (RFC 9110 §7.2, RFC 3986 §3.2.2).
	d, _ = HTTP.New(nil, "2001:db8::1")
	if st, _ := d.Next(nil); !bytes.Contains(st.Send, []byte("Host: [2001:db8::1]\r\n")) {
		t.Errorf("IPv6 Host: %q", st.Send)
	}
}

// Another service's first words are a wrong-service error naming what answered.
func TestWrongService(t *testing.T) {
	for _, c := range []struct {
		svc   *Service
		reply string
		want  string
	}{
		{SMTP, "capture:http_nginx_401.hex", "it answered HTTP"},
		{IMAP, "capture:pop3_dovecot_greeting.hex", "it answered POP3"},
		{POP3, "capture:imap_dovecot_greeting.hex", "it answered IMAP"},
		{HTTP, "capture:smtp_postfix_greeting.hex", "it answered SMTP or FTP (220 greeting)"},
		{FTP, "capture:pop3_dovecot_greeting.hex", "it answered POP3"},
		{NNTP, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "it answered SSH"},
		{SMTP, "\x00\x00\x00\x55\xfeSMB\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00", "it answered SMB"},
	} {
		reply := []byte(c.reply)
		if name, ok := strings.CutPrefix(c.reply, "capture:"); ok {
			reply = capture(t, name)
		}
		_, err := converse(t, newDialog(t, c.svc), reply)
		if !errors.Is(err, ErrWrongService) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s fed %.20q: %v, want %q", c.svc.Name, reply, err, c.want)
		}
	}
}

// TestServiceConformance holds every registered TCP service to the rules the
// scanner relies on, as TestConformance does for the UDP probes.
func TestServiceConformance(t *testing.T) {
	names := map[string]bool{}
	for _, p := range All() {
		names[p.Name] = true
	}
	ports := map[uint16]string{}
	for _, s := range Services() {
		if s.Name == "" || s.New == nil {
			t.Errorf("%q: needs a name and New", s.Name)
			continue
		}
		if names[s.Name] {
			t.Errorf("%s: name taken by another probe or service", s.Name)
		}
		names[s.Name] = true
		if got, _ := ServiceByName(s.Name); got != s {
			t.Errorf("%s: ServiceByName finds another", s.Name)
		}
		for _, port := range s.Ports {
			if other, ok := ports[port]; ok {
				t.Errorf("%s: port %d is already %s's", s.Name, port, other)
			}
			ports[port] = s.Name
		}
		for _, f := range s.Drift {
			if err := detailPathValid(reflect.TypeOf(s.Detail()), f.Path); err != nil || f.Meaning == "" {
				t.Errorf("%s: drift field %+v: %v", s.Name, f, err)
			}
		}
		// Without randomness: an error, or a dialog that needs none.
		if d, err := s.New(bytes.NewReader(nil), "h"); err == nil && d == nil {
			t.Errorf("%s: no dialog and no error", s.Name)
		}
		d := newDialog(t, s)
		if d.Detail() == nil {
			t.Errorf("%s: nil detail", s.Name)
		}
		if s == TLS {
			continue // the handshake is all it does
		}
		step, err := d.Next(nil)
		if err != nil || step.Done {
			t.Errorf("%s: first step %+v, %v", s.Name, step, err)
			continue
		}
		// Garbage is never the service: the dialog says so once it has seen
		// enough (a line, or identifyAfter bytes). (A dialog still waiting when
		// the server stops is the scanner's wrong-service too.)
		for _, g := range garbage {
			d := newDialog(t, s)
			st, _ := d.Next(nil)
			g = append(append([]byte(nil), g...), "\r\n\r\n"...)
			for len(g) < identifyAfter {
				g = append(g, "\r\n"...)
			}
			if _, err := d.Next(g); err == nil {
				t.Errorf("%s: took garbage %x (after sending %q)", s.Name, g, st.Send)
			}
		}
	}
}

func FuzzServiceDialogs(f *testing.F) {
	for _, c := range []string{"smtp_postfix_greeting.hex", "smtp_postfix_ehlo.hex", "imap_dovecot_greeting.hex",
		"imap_dovecot_capability.hex", "pop3_dovecot_greeting.hex", "pop3_dovecot_capa.hex", "http_nginx_401.hex",
		"smb_samba_negotiate.hex", "netbios-ssn_samba_session.hex", "ldap_samba_rootdse.hex", "ldap_samba_starttls.hex",
		"kerberos-tcp_samba_error.hex", "dns-tcp_samba.hex", "rdp_xrdp_negotiate.hex", "rdp_redemption_legacy.hex",
		"tds_spec_prelogin.hex"} {
		f.Add(capture(f, c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range Services() {
			// The input as the first reply, then as the second after a real
			// greeting, so that later states are reached too; whole, and a
			// few bytes at a time as reads deliver it (each call handing the
			// dialog what came before again: the incremental parsers'
			// bookkeeping).
			for _, first := range [][]byte{nil, []byte("220 x\r\n"), []byte("* OK x\r\n"), []byte("+OK x\r\n")} {
				for _, step := range []int{len(b), max(1, len(b)/7)} {
					d, err := s.New(bytes.NewReader(make([]byte, 256)), "h")
					if err != nil {
						t.Fatal(err)
					}
					if _, err := d.Next(nil); err != nil {
						continue
					}
					if first != nil {
						if _, err := d.Next(first); err != nil {
							continue
						}
					}
					for k := step; ; k += step {
						st, err := d.Next(b[:min(k, len(b))])
						if err != nil || st.Done || st.StartTLS || len(st.Send) > 0 || k >= len(b) {
							break
						}
					}
					det := d.Detail()
					_ = det.Summary()
					if _, err := json.Marshal(det); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	})
}

// zeroDialog is the dialog the Samba captures answered: every random byte zero.
func zeroDialog(t testing.TB, s *Service) Dialog {
	d, err := s.New(bytes.NewReader(make([]byte, 256)), "198.18.0.2")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSMBNegotiateBytes(t *testing.T) {
	req := smbNegotiate([16]byte{}, [32]byte{})
	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		{"direct TCP header", req[:4], "0000009e"},
		{"SMB2 header: magic, size 64, NEGOTIATE, 1 credit", req[4:20], "fe534d42 4000 0000 00000000 0000 0100"},
		{"StructureSize 36, 5 dialects, signing enabled", req[68:74], "2400 0500 0100"},
		{"context offset 112, one context", req[96:102], "70000000 0100"},
		{"dialects 2.0.2 to 3.1.1, padding", req[104:116], "0202 1002 0003 0203 1103 0000"},
		{"preauth context: SHA-512, 32-byte salt", req[116:130], "0100 2600 00000000 0100 2000 0100"},
	} {
		if want := ikeMustHex(t, c.want); !bytes.Equal(c.got, want) {
			t.Errorf("%s: got %x want %x", c.name, c.got, want)
		}
	}
	if len(req) != 4+0x9e {
		t.Errorf("%d bytes", len(req))
	}
}

func TestSambaDialogs(t *testing.T) {
	d := zeroDialog(t, SMB)
	if _, err := converse(t, d, capture(t, "smb_samba_negotiate.hex")); err != nil {
		t.Fatal(err)
	}
	if s := d.Detail().SMB; s == nil || s.Dialect != "3.1.1" || !s.SigningRequired || !slices.Contains(s.Capabilities, "LARGE_MTU") {
		t.Errorf("smb: %+v", s)
	}

	d = zeroDialog(t, NetBIOSSSN)
	sent, err := converse(t, d, capture(t, "netbios-ssn_samba_session.hex"), capture(t, "netbios-ssn_samba_negotiate.hex"))
	if err != nil || len(sent) != 2 || !strings.HasPrefix(sent[0], "\x81\x00\x00\x44\x20CKFDENECFDEFFCFGEFFCCACACACACACA\x00") {
		t.Fatalf("netbios-ssn: %q %v", sent, err)
	}
	if s := d.Detail().SMB; s == nil || s.Dialect != "3.1.1" {
		t.Errorf("netbios-ssn: %+v", s)
	}

	d = zeroDialog(t, LDAP)
	sent, err = converse(t, d, capture(t, "ldap_samba_rootdse.hex"), capture(t, "ldap_samba_starttls.hex"))
	if err != nil || len(sent) != 3 || sent[2] != "<starttls>" {
		t.Fatalf("ldap: %q %v", sent, err)
	}
	l := d.Detail().LDAP
	if l == nil || l.DNSHostName != "labdc.lab.example" || l.DefaultNamingContext != "DC=lab,DC=example" || !l.GlobalCatalogReady || l.DCFunctionality != "2008 R2" {
		t.Errorf("ldap: %+v", l)
	}

	d = zeroDialog(t, KerberosTCP)
	if _, err := converse(t, d, capture(t, "kerberos-tcp_samba_error.hex")); err != nil {
		t.Fatal(err)
	}
	if k := d.Detail().Kerberos; k == nil || k.ErrorName != "C_PRINCIPAL_UNKNOWN" {
		t.Errorf("kerberos-tcp: %+v", k)
	}

	d = zeroDialog(t, DNSTCP)
	if _, err := converse(t, d, capture(t, "dns-tcp_samba.hex")); err != nil {
		t.Fatal(err)
	}
	if n := d.Detail().DNS; n == nil || n.RootNS == nil || n.VersionBind == nil {
		t.Errorf("dns-tcp: %+v", n)
	}
}

func TestRDPDialog(t *testing.T) {
	d := zeroDialog(t, RDP)
	sent, err := converse(t, d, capture(t, "rdp_xrdp_negotiate.hex"))
	if err != nil || len(sent) != 2 || sent[0] != string(rdpConnectionRequest) || sent[1] != "<starttls>" {
		t.Fatalf("%q %v", sent, err)
	}
	if r := d.Detail().RDP; r == nil || r.Protocol != "TLS" {
		t.Errorf("%+v", r)
	}
	// [MS-RDPBCGR] 4.1.1's request bytes, without its cookie.
	if want := ikeMustHex(t, "0300 0013 0ee0 0000 0000 00 01 00 0800 0b000000"); !bytes.Equal(rdpConnectionRequest, want) {
		t.Errorf("request %x", rdpConnectionRequest)
	}
	d = zeroDialog(t, RDP)
	if sent, err := converse(t, d, capture(t, "rdp_redemption_legacy.hex")); err != nil || len(sent) != 1 || d.Detail().RDP.Protocol != "standard RDP security" {
		t.Errorf("legacy: %q %v %+v", sent, err, d.Detail().RDP)
	}
}

func TestTDSDialog(t *testing.T) {
	// [MS-TDS] 4.1's example request, with zero version and thread ID,
	// ENCRYPT_OFF and MARS off.
	want := ikeMustHex(t, "12 01 00 2F 00 00 01 00 00 00 1A 00 06 01 00 20 00 01 02 00 21 00 01 03 00 22 00 04 04 00 26 00 01 FF 00 00 00 00 00 00 00 00 00 00 00 00 00")
	if !bytes.Equal(tdsPreloginRequest, want) {
		t.Errorf("request\n got %x\nwant %x", tdsPreloginRequest, want)
	}
	d := zeroDialog(t, TDS)
	if _, err := converse(t, d, capture(t, "tds_spec_prelogin.hex")); err != nil {
		t.Fatal(err)
	}
	if s := d.Detail().Summary(); s != "SQL Server 2022 (16.0.1000.6), encryption off" {
		t.Errorf("summary %q", s)
	}
	// An option pointing outside the packet is malformed, not read.
	bad := capture(t, "tds_spec_prelogin.hex")
	bad[8+2] = 0xff
	if _, err := converse(t, zeroDialog(t, TDS), bad); !errors.Is(err, ErrWrongService) {
		t.Errorf("option beyond the packet: %v", err)
	}
}
