//go:build linux

package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// TestPolicyMatrix is the policy's acceptance test: real firewalls between
// real sources. A router namespace joins this machine, three source
// namespaces and two destination hosts; its nftables forward chain filters by
// source address. lan reaches both destinations, dmz is dropped (its rule
// wants it blocked), app (an exporter over TLS with basic auth) is rejected
// from d1 with ICMP admin-prohibited, and d2's web server is stopped; this
// machine ("here") is a source too. A source whose exporter was stopped gives
// source-unreachable, wrong credentials source-refused. The matrix equals that
// truth cell by cell in the table, JSON, JSON Lines, CSV, JUnit, Prometheus
// and HTML (rendered in Chromium) outputs, and the firewall request (-f
// rules) asks for what a rule fixes; a policy naming an unknown profile,
// source or role is exit 2 before any source is asked anything.
func TestPolicyMatrix(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "/usr/sbin/nginx")
	n := testnet.NewNet(t)
	router := n.Router(t)
	n.Uplink(t, router)
	src := map[string]*testnet.Host{}
	for _, name := range []string{"lan", "dmz", "app"} {
		src[name] = n.Host(t)
		n.Link(t, router, src[name])
	}
	d1, d2 := n.Host(t), n.Host(t)
	n.Link(t, router, d1)
	n.Link(t, router, d2)
	n.Up(t)
	router.NFT(t, fmt.Sprintf(`table inet fw {
	chain through {
		type filter hook forward priority 0;
		ip saddr %s ip daddr { %s, %s } drop
		ip saddr %s ip daddr %s tcp dport 80 reject with icmp type admin-prohibited
	}
}`, src["dmz"].Addr, d1.Addr, d2.Addr, src["app"].Addr, d1.Addr))
	web := "server { listen 80; return 204; }"
	testnet.StartNginx(t, d1, web)
	stopped := d2.Start(t, "/usr/sbin/nginx", "-v") // d2's service: installed, not running
	_ = stopped.Wait()
	d1.WaitTCP(t, 80)

	bin := portreachBin(t)
	allow := d1.Addr.String() + "," + d2.Addr.String()
	cfg, _ := writeWebConfig(t, "audit", "s3cret", net.IP(src["app"].Addr.AsSlice()))
	dir := filepath.Dir(cfg)
	for name, h := range src {
		args := []string{"serve", "--listen", h.Addr.String() + ":9469", "--allow", allow, "--timeout", "500ms", "--name", name + "-exporter"}
		if name == "app" {
			args = append(args, "--web.config.file", cfg)
		}
		h.Start(t, bin, args...)
		h.WaitTCP(t, 9469)
	}
	// A source whose exporter has stopped.
	gone := src["lan"].Start(t, bin, "serve", "--listen", src["lan"].Addr.String()+":9470", "--allow", allow)
	src["lan"].WaitTCP(t, 9470)
	_ = gone.Process.Kill()
	_ = gone.Wait()
	testnet.WriteFile(t, filepath.Join(dir, "audit.pw"), "s3cret\n")
	testnet.WriteFile(t, filepath.Join(dir, "wrong.pw"), "guess\n")

	policy := fmt.Sprintf(`{
  "sources": {
    "here": ["local"],
    "lan": ["http://%[1]s:9469"],
    "dmz": ["http://%[2]s:9469"],
    "app": [{"url": "https://%[3]s:9469", "ca_file": "ca.pem", "username": "audit", "password_file": "audit.pw"}],
    "gone": ["http://%[1]s:9470"],
    "badauth": [{"url": "https://%[3]s:9469", "ca_file": "ca.pem", "username": "audit", "password_file": "wrong.pw"}]
  },
  "rules": [
    {"from": ["here", "lan", "app", "gone", "badauth"], "to": ["%[4]s", "%[5]s"], "ports": "T:80", "expect": "open"},
    {"name": "dmz blocked", "from": ["dmz"], "to": ["%[4]s", "%[5]s"], "ports": "T:80", "expect": "blocked"}
  ]
}
`, src["lan"].Addr, src["dmz"].Addr, src["app"].Addr, d1.Addr, d2.Addr)
	pfile := filepath.Join(dir, "policy.json")
	testnet.WriteFile(t, pfile, policy)

	// Mistakes are exit 2, naming them, before any source is asked anything.
	probes := func() string { return exporterProbes(t, src["lan"].Addr.String()+":9469") }
	before := probes()
	for _, c := range []struct{ from, to, want string }{
		{`"ports": "T:80", "expect": "open"`, `"profiles": ["domain controler"]`, `unknown profile "domain controler"`},
		{`"from": ["dmz"]`, `"from": ["dmzz"]`, `rule 2: unknown source "dmzz" (sources: app, badauth, dmz, gone, here, lan)`},
		{`"ports": "T:80", "expect": "open"`, `"profiles": ["biztalk-send-server"], "roles": {"sqll": "x"}`, `sqll`},
	} {
		bad := filepath.Join(dir, "bad.json")
		testnet.WriteFile(t, bad, strings.Replace(policy, c.from, c.to, 1))
		code, _, errOut := runBin(t, "scan", "--plan", bad)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d %q, want 2 and %q", c.to, code, errOut, c.want)
		}
	}
	if after := probes(); after != before {
		t.Errorf("a bad policy asked a source: probes %s, then %s", before, after)
	}

	out := t.TempDir()
	file := func(f string) string { return filepath.Join(out, f) }
	code, table, errOut := runBin(t, "scan", "--plan", pfile, "--timeout", "500ms", "--no-color",
		"-o", "table:-", "-o", "json:"+file("r.json"), "-o", "jsonl:"+file("r.jsonl"), "-o", "csv:"+file("r.csv"),
		"-o", "junit:"+file("r.xml"), "-o", "prometheus:"+file("r.prom"), "-o", "rules:"+file("r.rules"), "-o", "html:"+file("r.html"))
	t.Logf("portreach scan --plan policy.json:\n%s", table)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s", code, errOut)
	}

	// The truth, cell by cell: source → destination.
	d1n, d2n := d1.Addr.String(), d2.Addr.String()
	truth := map[[2]string]string{
		{"app", d1n}: "FAIL 1", {"app", d2n}: "FAIL 1",
		{"badauth", d1n}: "source-refused", {"badauth", d2n}: "source-refused",
		{"dmz", d1n}: "PASS", {"dmz", d2n}: "PASS",
		{"gone", d1n}: "source-unreachable", {"gone", d2n}: "source-unreachable",
		{"here", d1n}: "PASS", {"here", d2n}: "FAIL 1",
		{"lan", d1n}: "PASS", {"lan", d2n}: "FAIL 1",
	}
	reasons := map[[2]string]results.Reason{ // the failing check's reason
		{"app", d1n}: results.ReasonAdminProhibited, {"app", d2n}: results.ReasonConnRefused,
		{"badauth", d1n}: results.ReasonSourceRefused, {"badauth", d2n}: results.ReasonSourceRefused,
		{"gone", d1n}: results.ReasonSourceUnreachable, {"gone", d2n}: results.ReasonSourceUnreachable,
		{"here", d2n}: results.ReasonConnRefused, {"lan", d2n}: results.ReasonConnRefused,
	}

	// Table: the grid.
	grid := map[[2]string]string{}
	var cols []string
	for _, line := range strings.Split(table, "\n") {
		f := regexp.MustCompile(`\s{3,}`).Split(strings.TrimSpace(line), -1)
		if len(f) == 3 && f[0] == "SOURCE → DESTINATION" {
			cols = f[1:]
			continue
		}
		if cols != nil && len(f) == 3 {
			grid[[2]string{f[0], cols[0]}], grid[[2]string{f[0], cols[1]}] = f[1], f[2]
		}
		if strings.HasPrefix(line, "PASS: every check met") {
			break
		}
	}
	if fmt.Sprint(grid) != fmt.Sprint(truth) {
		t.Errorf("table grid\n got %v\nwant %v", grid, truth)
	}

	// --quiet: the same grid, and below it only the failing checks, a block
	// per failing cell.
	code, quiet, errOut := runBin(t, "scan", "--plan", pfile, "--timeout", "500ms", "--no-color", "--quiet", "-f", "table")
	if code != exitFailed || !strings.Contains(quiet, strings.SplitN(table, "\n", 2)[0]) {
		t.Errorf("--quiet: exit %d, no grid:\n%s\n%s", code, quiet, errOut)
	}
	blocks := map[[2]string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^(\S+) → (\S+) \[`).FindAllStringSubmatch(quiet, -1) {
		blocks[[2]string{m[1], m[2]}] = true
	}
	for k, want := range truth {
		if blocks[k] != (want != "PASS") {
			t.Errorf("--quiet: block for %v is %v; the cell is %s", k, blocks[k], want)
		}
	}
	if strings.Contains(quiet, "ok: must be") {
		t.Errorf("--quiet lists a check met:\n%s", quiet)
	}

	// JSON: one host per (source, destination, rule), its verdict and failures;
	// every result with its source's name and, where it measured, address.
	f, err := os.Open(file("r.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.ReadJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[[2]string]string{}
	for _, h := range rep.Hosts() {
		cell := "PASS"
		if h.Failed > 0 {
			cell = fmt.Sprintf("FAIL %d", h.Failed)
		}
		hosts[[2]string{h.Vantage.Name, h.Target}] = cell
	}
	for k, want := range truth {
		if !strings.HasPrefix(want, "source-") && hosts[k] != want {
			t.Errorf("JSON host %v: %s, want %s", k, hosts[k], want)
		}
	}
	addrOf := map[string]string{"lan": src["lan"].Addr.String(), "dmz": src["dmz"].Addr.String(), "app": src["app"].Addr.String()}
	for _, r := range rep.Results {
		k := [2]string{r.Vantage.Name, r.Target}
		if w, ok := reasons[k]; ok && results.Judge(&r).Why != w {
			t.Errorf("%v %s: %s (%s), outcome %+v, want %s", k, results.PortName(r.Proto, r.Port), r.State, r.Reason, results.Judge(&r), w)
		}
		if a, ok := addrOf[r.Vantage.Name]; ok && r.Vantage.Address.String() != a {
			t.Errorf("%v: source address %s, want %s", k, r.Vantage.Address, a)
		}
		if strings.HasPrefix(truth[k], "source-") && (r.State != results.Unknown || !strings.Contains(r.Detail, "9469") && !strings.Contains(r.Detail, "9470")) {
			t.Errorf("%v: %s %q, want unknown with the endpoint named", k, r.State, r.Detail)
		}
	}

	// JSON Lines and CSV: every result says its source and rule.
	lines := 0
	jl, err := os.ReadFile(file("r.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(jl)))
	for sc.Scan() {
		var r results.Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Vantage == nil || r.Rule == "" {
			t.Errorf("JSON line without source or rule: %s (%v)", sc.Text(), err)
		}
		lines++
	}
	if lines != len(rep.Results) || lines != 12 {
		t.Errorf("%d JSON lines, %d results, want 12", lines, len(rep.Results))
	}
	cf, err := os.Open(file("r.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(cf).ReadAll()
	cf.Close()
	if err != nil || len(rows) != 13 {
		t.Fatalf("CSV: %d rows, %v", len(rows), err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, row := range rows[1:] {
		k := [2]string{row[col["source_name"]], row[col["target"]]}
		if _, ok := truth[k]; !ok || row[col["rule"]] == "" {
			t.Errorf("CSV row %v: source %q, rule %q", row, k[0], row[col["rule"]])
		}
	}

	// JUnit: one testsuite per (source, destination), failing where the cell fails.
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
		} `xml:"testsuite"`
	}
	xb, err := os.ReadFile(file("r.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(xb, &suites); err != nil {
		t.Fatal(err)
	}
	seen := map[[2]string]bool{}
	for _, s := range suites.Suites {
		for k, want := range truth {
			if strings.HasPrefix(s.Name, k[0]+" → "+k[1]) {
				seen[k] = true
				if bad := s.Failures + s.Errors; (want == "PASS") != (bad == 0) {
					t.Errorf("JUnit %q: %d failures, %d errors; the cell is %s", s.Name, s.Failures, s.Errors, want)
				}
			}
		}
	}
	if len(seen) != len(truth) {
		t.Errorf("JUnit suites %d of %d cells", len(seen), len(truth))
	}

	// Prometheus: a vantage label; the host series fails where the cell fails.
	pb, err := os.ReadFile(file("r.prom"))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range truth {
		v := "0"
		if want != "PASS" {
			v = "1"
		}
		line := fmt.Sprintf(`portreach_host_failed{vantage=%q,host=%q,address=`, k[0], k[1])
		i := strings.Index(string(pb), line)
		if i < 0 {
			t.Errorf("textfile lacks %s", line)
			continue
		}
		rest, _, _ := strings.Cut(string(pb)[i:], "\n")
		if !strings.HasSuffix(rest, "} "+v) {
			t.Errorf("%s: %q, want %s", k, rest, v)
		}
	}

	// HTML, rendered in Chromium: the grid's cells, coloured by verdict, each
	// linking to the section of its ports.
	dom := chromium(t, "file://"+file("r.html"), filepath.Join(artifacts(t), "policy-matrix.png"), "")
	tb, _, _ := strings.Cut(dom[strings.Index(dom, `<table class="matrix">`)+1:], "</table>")
	var hcols []string
	for _, m := range regexp.MustCompile(`<th>([^<]*)</th>`).FindAllStringSubmatch(tb, -1)[1:3] {
		hcols = append(hcols, m[1])
	}
	hgrid := map[[2]string]string{}
	class := map[string]string{"PASS": "pass", "FAIL 1": "fail", "source-refused": "source", "source-unreachable": "source"}
	for _, row := range regexp.MustCompile(`<tr><th>([^<]*)</th>(.*?)</tr>`).FindAllStringSubmatch(tb, -1) {
		for i, c := range regexp.MustCompile(`<td class="cell (\w+)"><a href="#(host-\d+)">([^<]*)</a></td>`).FindAllStringSubmatch(row[2], -1) {
			k := [2]string{row[1], hcols[i]}
			hgrid[k] = c[3]
			if c[1] != class[truth[k]] {
				t.Errorf("HTML cell %v: class %s, want %s", k, c[1], class[truth[k]])
			}
			sec := regexp.MustCompile(`<section class="host" id="` + c[2] + `">\s*<h2>([^<]*)`).FindStringSubmatch(dom)
			if sec == nil || !strings.HasPrefix(sec[1], k[0]+" → "+k[1]) {
				t.Errorf("HTML cell %v links to #%s: %q", k, c[2], sec)
			}
		}
	}
	if fmt.Sprint(hgrid) != fmt.Sprint(truth) {
		t.Errorf("HTML grid\n got %v\nwant %v", hgrid, truth)
	}

	// The firewall request: the one failure a rule fixes (app is rejected
	// from d1) is an allow from app's address; the stopped service and the
	// sources that measured nothing are counted, not turned into rules.
	rb, err := os.ReadFile(file("r.rules"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("-f rules:\n%s", rb)
	wantRules := fmt.Sprintf("allow tcp from %s to %s port 80  # admin-prohibited (source app; rule 1)\n"+
		"# and 7 failed checks that no firewall rule fixes (3 conn-refused, 2 source-refused, 2 source-unreachable): see the table\n",
		src["app"].Addr, d1.Addr)
	if string(rb) != wantRules {
		t.Errorf("-f rules:\n%s\nwant\n%s", rb, wantRules)
	}
}

// exporterProbes is an exporter's count of probes served, by outcome, from
// its /metrics.
func exporterProbes(t *testing.T, addr string) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "portreach_exporter_probes_total{") {
			b.WriteString(sc.Text() + "\n")
		}
	}
	return b.String()
}

// TestPolicySSH runs a policy's rule from ssh:// sources: Debian's
// openssh-server in a test host, reached through this machine's OpenSSH
// client. The key whose session finds portreach on its PATH measures from
// that host (the results carry its address); a session without portreach is
// source-incompatible with a message that says it is not installed there; a
// key the server does not accept is source-refused, and a port nothing
// listens on source-unreachable.
func TestPolicySSH(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "ssh")
	h := testnet.NewHost(t)
	dir := testnet.Dir(t, "")
	bindir := filepath.Join(dir, "bin")
	if err := os.Mkdir(bindir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(portreachBin(t), filepath.Join(bindir, "portreach")); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	withKey, withPub := testnet.SSHKey(t, dir, "with")
	withoutKey, withoutPub := testnet.SSHKey(t, dir, "without")
	strangerKey, _ := testnet.SSHKey(t, dir, "stranger")
	sshd := testnet.StartSSHD(t, h,
		fmt.Sprintf(`environment="PATH=%s:/usr/bin:/bin" %s`, bindir, withPub),
		fmt.Sprintf(`environment="PATH=%s" %s`, empty, withoutPub))

	source := func(port, key string) string {
		args := []string{"-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + sshd.KnownHosts,
			"-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10"}
		b, _ := json.Marshal(map[string]any{"url": "ssh://root@" + h.Addr.String() + port, "ssh_args": args})
		return "[" + string(b) + "]"
	}
	policy := fmt.Sprintf(`{
  "sources": {"jump": %s, "nobin": %s, "stranger": %s, "down": %s},
  "rules": [{"from": ["jump", "nobin", "stranger", "down"], "to": ["%s"], "ports": "T:22,81", "expect": "open"}]
}
`, source("", withKey), source("", withoutKey), source("", strangerKey), source(":2200", withKey), h.Addr)
	pfile := filepath.Join(dir, "policy.json")
	testnet.WriteFile(t, pfile, policy)
	code, out, errOut := runBin(t, "scan", "--plan", pfile, "--timeout", "500ms", "-f", "jsonl")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	type verdict struct {
		state  results.State
		reason results.Reason
	}
	got := map[string]verdict{}
	details := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		r, err := report.ReadJSONLine([]byte(line))
		if err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		k := r.Vantage.Name + " " + results.PortName(r.Proto, r.Port)
		got[k] = verdict{r.State, results.Why(&r)}
		details[r.Vantage.Name] = r.Detail
		if r.Vantage.Name == "jump" && r.Vantage.Address != h.Addr {
			t.Errorf("%s: measured from %s, want the ssh host %s", k, r.Vantage.Address, h.Addr)
		}
	}
	want := map[string]verdict{
		"jump 22/tcp":     {results.Open, results.ReasonSynAck},
		"jump 81/tcp":     {results.Closed, results.ReasonConnRefused},
		"nobin 22/tcp":    {results.Unknown, results.ReasonSourceIncompatible},
		"nobin 81/tcp":    {results.Unknown, results.ReasonSourceIncompatible},
		"stranger 22/tcp": {results.Unknown, results.ReasonSourceRefused},
		"stranger 81/tcp": {results.Unknown, results.ReasonSourceRefused},
		"down 22/tcp":     {results.Unknown, results.ReasonSourceUnreachable},
		"down 81/tcp":     {results.Unknown, results.ReasonSourceUnreachable},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("verdicts\n got %v\nwant %v\n%s", got, want, out)
	}
	t.Logf("details: %q", details)
	label := "ssh://root@" + h.Addr.String()
	for name, want := range map[string]string{
		"nobin":    "portreach is not installed on " + label + " (or not on its PATH): install it there, or use an exporter",
		"stranger": "Permission denied (publickey)",
		"down":     "Connection refused",
	} {
		if !strings.Contains(details[name], want) {
			t.Errorf("%s: detail %q, want it to say %q", name, details[name], want)
		}
	}
}
