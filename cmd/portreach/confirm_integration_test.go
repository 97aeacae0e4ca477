//go:build linux

package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/results"
)

// slowDaemonTimeout is the --timeout for scans of the test hosts' mail daemons:
// Dovecot's implicit-TLS handshake and Postfix's greeting can take longer than
// the default second on a loaded machine, and these tests check what the
// services say, not how fast they say it.
const slowDaemonTimeout = "5s"

// TestConfirmExchangeMailbox is issue 13's "done when": an Exchange 2016
// mailbox server stood in for by Postfix (25, 587), Dovecot (143, 993, 110,
// 995) and nginx (80, and 443 with an expired certificate). The scan shows the
// SMTP banner and its STARTTLS certificate, the IMAP and POP3 certificates with
// their days left, and fails on the expired one; with --ca-file the good
// certificates verify.
func TestConfirmExchangeMailbox(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	ca := testnet.NewCA(t)
	dir := testnet.Dir(t, "")
	ip := net.IP(h.Addr.AsSlice())
	now := time.Now()
	mail, mailKey := ca.Issue(t, dir, "mail.lab.example", now.Add(45*24*time.Hour+time.Hour), ip)
	web, webKey := ca.Issue(t, dir, "owa.lab.example", now.Add(-3*24*time.Hour), ip)
	testnet.StartPostfix(t, h, "mail.lab.example", mail, mailKey)
	testnet.StartDovecot(t, h, mail, mailKey)
	testnet.StartNginx(t, h,
		fmt.Sprintf(`server { listen 443 ssl; ssl_certificate %s; ssl_certificate_key %s; location / { add_header WWW-Authenticate Negotiate always; add_header WWW-Authenticate NTLM always; return 401; } }`, web, webKey),
		`server { listen 80; location / { return 302 https://owa.lab.example/owa/; } }`)
	for _, p := range []uint16{25, 587, 143, 993, 110, 995, 80, 443} {
		h.WaitTCP(t, p)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runBin(t, "scan", "--profile", "exchange-2016-mailbox", "--timeout", slowDaemonTimeout, "--ca-file", caFile, "-v", "-f", "table", h.Addr.String())
	t.Logf("table:\n%s", out)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d (the expired certificate)\n%s", code, exitFailed, errOut)
	}
	for _, want := range []string{
		`"220 mail.lab.example ESMTP portreach test", STARTTLS, TLS 1.3, CN=mail.lab.example, expires`,
		`"+OK Dovecot (Debian) ready.", TLS 1.3, CN=mail.lab.example, expires`,
		"(45 days)",
		"FAIL: cert-expired",
		"CN=owa.lab.example, EXPIRED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}

	code, out, _ = runBin(t, "scan", "--profile", "exchange-2016-mailbox", "--timeout", slowDaemonTimeout, "--ca-file", caFile, "-f", "json", h.Addr.String())
	rep := decodeReport(t, out)
	seen := map[uint16]bool{}
	for _, r := range rep.Results {
		if r.Proto != results.TCP || r.State != results.Open {
			continue
		}
		seen[r.Port] = true
		o := results.Judge(&r)
		d, _ := r.Details.(map[string]any)
		tls, _ := d["tls"].(map[string]any)
		switch r.Port {
		case 443:
			if o.Status != results.StatusFailed || o.Why != results.ReasonCertExpired || tls["days_left"] != float64(-4) {
				t.Errorf("443: %+v %v", o, tls)
			}
		case 25, 587, 143, 993, 110, 995:
			if o.Status == results.StatusFailed || tls["days_left"] != float64(45) || tls["verified"] != true || tls["name_matches"] != true {
				t.Errorf("%d: %+v %v", r.Port, o, tls)
			}
		case 80:
			if h, _ := d["http"].(map[string]any); h["status"] != float64(302) {
				t.Errorf("80: %v", d)
			}
		}
	}
	if len(seen) != 8 {
		t.Errorf("open ports %v, want the 8 the test host serves", seen)
	}

	// -p ports are confirmed only with --confirm, by well-known port.
	_, plain, _ := runBin(t, "scan", "-p", "25,993", "-f", "csv", h.Addr.String())
	_, confirmed, _ := runBin(t, "scan", "-p", "25,993", "--confirm", "-f", "csv", h.Addr.String())
	if strings.Contains(plain, "ESMTP") || !strings.Contains(confirmed, `"220 mail.lab.example ESMTP portreach test"`) ||
		!strings.Contains(confirmed, ",imaps,") {
		t.Errorf("-p 25,993:\n%s\n--confirm:\n%s", plain, confirmed)
	}
}
