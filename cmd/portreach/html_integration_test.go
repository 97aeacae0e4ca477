//go:build linux

package main

import (
	"bytes"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
)

// artifacts is where browser screenshots are kept: $PORTREACH_ARTIFACTS when
// set (CI uploads it), else testdata/out (ignored by git).
func artifacts(t *testing.T) string {
	dir := os.Getenv("PORTREACH_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "out")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chromium renders url in headless Chromium (Debian's chromium package) with
// everything that would reach the network switched off, keeps a screenshot in
// shot (and, when pdf is set, the page as printed), and returns the DOM after
// rendering.
func chromium(t *testing.T, url, shot, pdf string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium not installed: CI installs it from .ci/packages.txt")
		}
		t.Skip("chromium not installed (Debian package chromium)")
	}
	run := func(extra ...string) []byte {
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + t.TempDir(), "--window-size=1200,1800"}, extra...)
		cmd := exec.Command(bin, append(args, url)...)
		var errOut strings.Builder
		cmd.Stderr = &errOut
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, errOut.String())
		}
		return out
	}
	dom := string(run("--dump-dom"))
	run("--screenshot=" + shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() == 0 {
		t.Errorf("no screenshot in %s: %v", shot, err)
	}
	if pdf != "" {
		run("--no-pdf-header-footer", "--print-to-pdf="+pdf)
		if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("printing to %s: %v", pdf, err)
		}
	}
	return dom
}

var (
	tagRE    = regexp.MustCompile(`<[^>]*>`)
	spacesRE = regexp.MustCompile(`\s+`)
)

// visibleText is the DOM's text with tags removed and white space collapsed.
func visibleText(dom string) string {
	if i := strings.Index(dom, "</style>"); i >= 0 {
		dom = dom[i:]
	}
	return spacesRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(dom, " ")), " ")
}

// TestHTMLReportInBrowser is issue 14's acceptance run for the go-live report:
// two test hosts, one whose firewall drops a required port and one that has
// them all; the report of the real run renders in Chromium with each host's
// verdict, the failing check explained, and the source address.
func TestHTMLReportInBrowser(t *testing.T) {
	bad, good := testnet.NewHost(t), testnet.NewHost(t)
	for _, h := range []*testnet.Host{bad, good} {
		testnet.ServeTCP(t, h, 80)
	}
	testnet.ServeTCP(t, good, 443)
	bad.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 443 drop
	}
}`)
	dir := t.TempDir()
	report := filepath.Join(dir, "go-live.html")
	// The audit profile: 80 and 443/tcp must be open, 3389/tcp closed.
	code, _, errOut := runBin(t, "scan", "--profile-file", "testdata/audit-profile.json", "--profile", "audit-test", "--no-confirm", "--timeout", "500ms",
		"-o", "html:"+report, "-o", "table:-", bad.Addr.String(), good.Addr.String())
	if code != exitFailed {
		t.Fatalf("exit %d, want %d (443 dropped on one host)\n%s", code, exitFailed, errOut)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: nothing to fetch when opened offline.
	if m := regexp.MustCompile(`(src|href)="[^#]|@import|url\(|<script`).Find(b); m != nil {
		t.Errorf("the report refers to an external resource or runs a script (%s)", m)
	}

	dir = artifacts(t)
	dom := chromium(t, "file://"+report, filepath.Join(dir, "go-live-report.png"), filepath.Join(dir, "go-live-report.pdf"))
	hosts := map[string]string{}
	for _, m := range regexp.MustCompile(`<h2>([^<]*) <span class="verdict (\w+)">`).FindAllStringSubmatch(dom, -1) {
		hosts[strings.TrimSpace(m[1])] = m[2]
	}
	if hosts[bad.Addr.String()] != "fail" || hosts[good.Addr.String()] != "pass" || len(hosts) != 2 {
		t.Errorf("host verdicts %v, want %s fail and %s pass", hosts, bad.Addr, good.Addr)
	}
	text := visibleText(dom)
	for _, want := range []string{
		"FAIL 1 of 6 checks failed on 1 of 2 hosts",
		"443/tcp HTTPS: must be open, is filtered",
		"Purpose web clients over TLS",
		"Required by go-live.md § row 2 (profile audit-test)",
		"no-response", "silence after every attempt",
		"a firewall on the path drops the traffic",
		"Scanned from " + bad.Peer.String(),
		"Scanned from " + good.Peer.String(),
		"portreach scan --profile-file testdata/audit-profile.json --profile audit-test",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered report lacks %q:\n%s", want, text)
		}
	}
	if i, j := strings.Index(text, bad.Addr.String()+" FAIL"), strings.Index(text, good.Addr.String()+" PASS"); i < 0 || j < 0 || i > j {
		t.Errorf("the failing host does not come first:\n%s", text)
	}
}

// TestExporterPageInBrowser renders the exporter's page after one probe: the
// page shows the probe's target and outcome, with the report's shared styles.
func TestExporterPageInBrowser(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	testnet.ServeTCP(t, h, 88)
	stderr := startProcess(t, portreachBin(t), "serve", "--listen", "127.0.0.1:0", "--allow", h.Addr.String()+"/32", "--timeout", "500ms")
	addr := readListenAddr(t, stderr)
	go io.Copy(io.Discard, stderr)
	base := "http://" + addr
	if s := scrapeURL(t, base+"/probe?target="+h.Addr.String()+"&ports=T:88,445&expect=open", "10"); s.status != 200 {
		t.Fatalf("probe: status %d\n%s", s.status, s.body)
	}
	start := time.Now()
	dom := chromium(t, base+"/", filepath.Join(artifacts(t), "exporter-page.png"), "")
	t.Logf("rendered in %v", time.Since(start))
	text := visibleText(dom)
	for _, want := range []string{"portreach exporter", "Latest probes", h.Addr.String(), "failure", "445/tcp", "closed", "(from " + h.Peer.String() + ")"} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered page lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(dom, ".verdict.fail") {
		t.Error("the page does not carry the shared style sheet")
	}
}
