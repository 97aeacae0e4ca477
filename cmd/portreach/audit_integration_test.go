//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// binDir holds the portreach binary the audit tests run as a cron job would:
// a separate process per run, with its own exit status, signals and locks.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "portreach-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "portreach")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", &buildError{err, out}
	}
	return bin, nil
})

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }

func portreachBin(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// runBin runs the portreach binary with a non-UTC time zone, so that any
// timestamp written in local time shows.
func runBin(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(portreachBin(t), args...)
	cmd.Env = append(os.Environ(), "TZ=Asia/Kolkata", "NO_COLOR=1")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), o.String(), e.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, o.String(), e.String()
}

// TestHelperAuditListener is not a test: run inside a test host as
// "<test binary> -test.run=^TestHelperAuditListener$ -- 80,443", it accepts
// and closes TCP connections on those ports until it is killed.
func TestHelperAuditListener(t *testing.T) {
	var spec string
	for i, a := range os.Args {
		if a == "--" && i+1 < len(os.Args) {
			spec = os.Args[i+1]
		}
	}
	if spec == "" {
		t.Skip("helper process only")
	}
	for _, p := range strings.Split(spec, ",") {
		l, err := net.Listen("tcp4", ":"+p)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
	select {}
}

func listen(t *testing.T, h *testnet.Host, ports ...uint16) {
	t.Helper()
	var s []string
	for _, p := range ports {
		s = append(s, strconv.Itoa(int(p)))
	}
	h.Start(t, os.Args[0], "-test.run=^TestHelperAuditListener$", "--", strings.Join(s, ","))
	for _, p := range ports {
		h.WaitTCP(t, p)
	}
}

// junitDoc is what the audit test reads of JUnit output.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Name      string `xml:"name,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Cases     []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
		Out string `xml:"system-out"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if xmllint, err := exec.LookPath("xmllint"); err == nil {
		xsd := filepath.Join("..", "..", "report", "testdata", "junit.xsd")
		if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, path).CombinedOutput(); err != nil {
			t.Errorf("%s does not validate against the JUnit XSD: %v\n%s", path, err, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Error("xmllint missing (libxml2-utils)")
	}
	var doc junitDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

var promLine = regexp.MustCompile(`^([a-z_]+)(\{[^}]*\})? (\S+)$`)

// readProm checks the textfile with promtool and returns its samples by
// "name{labels}".
func readProm(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(b)
		if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("promtool check metrics %s: %v\n%s", path, err, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Error("promtool missing (prometheus package)")
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if m := promLine.FindStringSubmatch(line); m != nil {
			out[m[1]+m[2]] = m[3]
		}
	}
	return out
}

func readReport(t *testing.T, path string) *results.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := report.ReadJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rep
}

// The acceptance run: a cron-style audit of a test host is silent while
// nothing changes, and after a firewall change (an open port dropped, a closed
// one opened) reports exactly those two ports, with exit 1, in the table, the
// JSON baseline, JUnit and Prometheus outputs.
func TestAuditCron(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	listen(t, h, 80, 443)
	host := h.Addr.String()
	dir := t.TempDir()
	base := filepath.Join(dir, "last.json")
	junit := filepath.Join(dir, "report.xml")
	prom := filepath.Join(dir, "portreach.prom")
	args := func(extra ...string) []string {
		// --no-confirm: the test host's listeners accept and say nothing; this
		// test is about state drift, not the services behind the ports.
		return append([]string{"scan", "--profile-file", filepath.Join("testdata", "audit-profile.json"), "--profile", "audit-test",
			"--no-confirm", "--timeout", "500ms", "--retries", "0", "--lock", filepath.Join(dir, "lock"),
			"--baseline", base, "-o", "table:-", "-o", "junit:" + junit, "-o", "prometheus:" + prom}, append(extra, host)...)
	}

	// First run: no baseline yet; it becomes one.
	code, out, errOut := runBin(t, args("--update-baseline", "--quiet")...)
	if code != exitOK || out != "" || !strings.Contains(errOut, "does not exist yet") {
		t.Fatalf("first run: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	first := readReport(t, base)
	if first.Drift != nil || len(first.Results) != 3 || results.Overall(first.Results) != results.VerdictPass {
		t.Fatalf("first baseline: drift %v, %d results, verdict %s", first.Drift, len(first.Results), results.Overall(first.Results))
	}

	// Nothing changed: silence, exit 0, and the outputs say so.
	csvOut, jsonlOut := filepath.Join(dir, "ports.csv"), filepath.Join(dir, "ports.jsonl")
	code, out, errOut = runBin(t, args("--update-baseline", "--quiet", "-o", "csv:"+csvOut, "-o", "jsonl:"+jsonlOut)...)
	if code != exitOK || out != "" || errOut != "" {
		t.Fatalf("unchanged run: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	// Times in UTC in every machine format, although TZ says otherwise.
	for _, f := range []string{csvOut, jsonlOut} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if times := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`).FindAllStringSubmatch(string(b), -1); len(times) != 3 {
			t.Errorf("%s: %d times, want 3:\n%s", f, len(times), b)
		} else {
			for _, m := range times {
				if m[2] != "Z" {
					t.Errorf("%s: time %s is not UTC", f, m[0])
				}
			}
		}
	}
	if d := readReport(t, base).Drift; d == nil || len(d.Changes) != 0 || d.Baseline.File != base {
		t.Fatalf("unchanged run's drift: %+v", d)
	}
	jd := readJUnit(t, junit)
	if jd.Tests != 3 || jd.Failures != 0 {
		t.Errorf("unchanged JUnit: %d tests, %d failures", jd.Tests, jd.Failures)
	}
	m := readProm(t, prom)
	if m[`portreach_run_failed`] != "0" || m[`portreach_drift_changes{kind="state"}`] != "0" {
		t.Errorf("unchanged metrics: run_failed %q, state changes %q", m[`portreach_run_failed`], m[`portreach_drift_changes{kind="state"}`])
	}

	// The firewall change: 80 dropped, RDP started.
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 80 drop
	}
}`)
	listen(t, h, 3389)

	code, out, errOut = runBin(t, args("--update-baseline", "--quiet")...)
	if code != exitFailed {
		t.Fatalf("changed run: exit %d, want %d\nstdout %s\nstderr %s", code, exitFailed, out, errOut)
	}
	for _, want := range []string{
		"2 changes since the baseline of ",
		"80/tcp    open → filtered  REGRESSION: must be open",
		"3389/tcp  closed → open    REGRESSION: must be closed",
		"FAIL: 2 of 3 checks failed on 1 of 1 host.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("changed run's table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "443/tcp") {
		t.Errorf("quiet output shows the unchanged, passing 443/tcp:\n%s", out)
	}
	rep := readReport(t, base)
	if rep.Drift == nil {
		t.Fatal("no drift in the updated baseline")
	}
	type ch struct {
		kind          results.DriftKind
		port          uint16
		before, after any
		regression    bool
	}
	var got []ch
	for _, c := range rep.Drift.Changes {
		got = append(got, ch{c.Kind, c.Port, c.Before, c.After, c.Regression})
	}
	want := []ch{{results.DriftState, 80, "open", "filtered", true}, {results.DriftState, 3389, "closed", "open", true}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("drift %+v, want %+v", got, want)
	}
	raw, _ := os.ReadFile(base)
	if strings.Contains(string(raw), "+05:30") || !strings.Contains(string(raw), `"started": "`) {
		t.Errorf("JSON has local times, not UTC:\n%s", raw)
	}
	jd = readJUnit(t, junit)
	if jd.Tests != 3 || jd.Failures != 2 {
		t.Errorf("JUnit after the change: %d tests, %d failures", jd.Tests, jd.Failures)
	}
	fails := map[string]string{}
	for _, s := range jd.Suites {
		if !strings.HasSuffix(s.Timestamp, "Z") {
			t.Errorf("suite timestamp %q is not UTC", s.Timestamp)
		}
		if !strings.Contains(s.Out, "80/tcp open → filtered (regression)") {
			t.Errorf("suite system-out lacks the drift: %q", s.Out)
		}
		for _, c := range s.Cases {
			if c.Failure != nil {
				fails[c.Name] = c.Failure.Message + "\n" + c.Failure.Text
			}
		}
	}
	if f := fails["80/tcp HTTP"]; !strings.Contains(f, "80/tcp is filtered (no-response): must be open") || !strings.Contains(f, "purpose: web clients") ||
		!strings.Contains(f, "source: go-live.md § row 1") {
		t.Errorf("80/tcp failure: %q", f)
	}
	if f := fails["3389/tcp RDP"]; !strings.Contains(f, "3389/tcp is open (syn-ack): must be closed") || !strings.Contains(f, "source: hardening.md § RDP") {
		t.Errorf("3389/tcp failure: %q", f)
	}
	m = readProm(t, prom)
	lbl := `{host="` + host + `",address="` + host + `",port="%s",proto="tcp",profile="audit-test"`
	for k, v := range map[string]string{
		`portreach_expectation_failed` + strings.Replace(lbl, "%s", "80", 1) + `,expect="open"}`:     "1",
		`portreach_expectation_failed` + strings.Replace(lbl, "%s", "443", 1) + `,expect="open"}`:    "0",
		`portreach_expectation_failed` + strings.Replace(lbl, "%s", "3389", 1) + `,expect="closed"}`: "1",
		`portreach_port_state` + strings.Replace(lbl, "%s", "80", 1) + `,state="filtered"}`:          "1",
		`portreach_port_up` + strings.Replace(lbl, "%s", "3389", 1) + `}`:                            "1",
		`portreach_drift_changes{kind="state"}`:                                                      "2",
		`portreach_run_failed`:                                                                       "1",
		`portreach_run_incomplete`:                                                                   "0",
	} {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}

	// The same state again: no changes. By default the failures still fail
	// the run and are printed; with --fail-on regression the known failures
	// no longer do, and --quiet is silent.
	code, out, _ = runBin(t, args("--quiet")...)
	if code != exitFailed || !strings.Contains(out, "No changes since the baseline") || !strings.Contains(out, "80/tcp") {
		t.Errorf("known failures, default --fail-on: exit %d\n%s", code, out)
	}
	code, out, errOut = runBin(t, args("--quiet", "--fail-on", "regression")...)
	if code != exitOK || out != "" || errOut != "" {
		t.Errorf("known failures, --fail-on regression: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	code, _, _ = runBin(t, args("--quiet", "--fail-on", "none")...)
	if code != exitOK {
		t.Errorf("--fail-on none: exit %d", code)
	}

	// 80 back open: a state change that is no regression (the port got
	// better); --fail-on state-change fails the run for it.
	h.NFT(t, `flush ruleset`)
	code, out, _ = runBin(t, "scan", "--profile-file", filepath.Join("testdata", "audit-profile.json"), "--profile", "audit-test", "--no-confirm",
		"--timeout", "500ms", "--retries", "0", "--baseline", base, "--fail-on", "regression,state-change", "-f", "table", host)
	if code != exitFailed || !regexp.MustCompile(`80/tcp +filtered → open\n`).MatchString(out) {
		t.Errorf("--fail-on regression,state-change after 80 came back: exit %d\n%s", code, out)
	}
}

// A second run while one holds the lock exits 4 at once, naming the holder;
// the lock goes with the holder.
func TestAuditLock(t *testing.T) {
	dir := t.TempDir()
	lockPath := filepath.Join(dir, "portreach.lock")
	held, err := acquireLock(lockPath) // another open file description: flock conflicts as with another process
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBin(t, "scan", "--lock", lockPath, "-p", "1", "--timeout", "100ms", "127.0.0.1")
	if code != exitLocked || out != "" || !strings.Contains(errOut, "another portreach run holds it (locked by process "+strconv.Itoa(os.Getpid())+")") {
		t.Errorf("locked run: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	held.release()
	code, _, errOut = runBin(t, "scan", "--lock", lockPath, "-p", "1", "--timeout", "100ms", "-f", "json", "127.0.0.1")
	if code != exitOK {
		t.Errorf("run after the lock was released: exit %d\n%s", code, errOut)
	}
	// The run has ended and its lock with it, although the file stays.
	l, err := acquireLock(lockPath)
	if err != nil {
		t.Fatalf("lock still held after the run ended: %v", err)
	}
	l.release()
}

// --max-time on a dropped range: the run stops, exit 3, and the ports it did
// not finish are reported unknown in every output; the baseline is left alone.
func TestAuditMaxTime(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 20000-20999 drop
	}
}`)
	dir := t.TempDir()
	base := filepath.Join(dir, "last.json")
	jsonOut := filepath.Join(dir, "run.json")
	prom := filepath.Join(dir, "p.prom")
	// 1000 dropped ports at 50 attempts a second, each tried 3 times, cannot
	// finish in 2 seconds.
	code, out, errOut := runBin(t, "scan", "-p", "20000-20999", "--expect", "open", "--rate", "50", "--retries", "2", "--timeout", "1s",
		"--max-time", "2s", "--baseline", base, "--update-baseline", "-o", "json:"+jsonOut, "-o", "prometheus:"+prom, "-o", "table:-", h.Addr.String())
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitIncomplete, out, errOut)
	}
	if !strings.Contains(errOut, "--max-time 2s reached; unfinished ports are reported as unknown") ||
		!strings.Contains(errOut, "not updated: the run did not finish") {
		t.Errorf("stderr: %s", errOut)
	}
	if _, err := os.Stat(base); !os.IsNotExist(err) {
		t.Errorf("an unfinished run wrote the baseline: %v", err)
	}
	if !strings.Contains(out, "Stopped at --max-time: ") {
		t.Errorf("table does not say the run stopped:\n%s", out)
	}
	rep := readReport(t, jsonOut)
	unknown := 0
	for _, r := range rep.Results {
		if r.State == results.Unknown {
			unknown++
		}
	}
	if !rep.Incomplete || len(rep.Results) != 1000 || unknown == 0 {
		t.Errorf("incomplete %v, %d results, %d unknown", rep.Incomplete, len(rep.Results), unknown)
	}
	if m := readProm(t, prom); m["portreach_run_incomplete"] != "1" {
		t.Errorf("portreach_run_incomplete = %q", m["portreach_run_incomplete"])
	}
}

// Bad audit flags are usage errors (exit 2) before anything is scanned; an
// old or foreign baseline is refused with a message that says why.
func TestAuditUsage(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "v1.json")
	os.WriteFile(old, []byte(`{"schema_version": 1, "results": []}`), 0o644)
	notJSON := filepath.Join(dir, "notes.txt")
	os.WriteFile(notJSON, []byte("hello"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--update-baseline"}, "--update-baseline needs --baseline FILE"},
		{[]string{"--fail-on", "regression"}, "--fail-on regression compares with a baseline: give --baseline FILE"},
		{[]string{"--fail-on", "sometimes"}, `--fail-on "sometimes": want one or more of expect, regression, state-change, any-change, none`},
		{[]string{"--fail-on", "none,expect"}, "--fail-on none cannot be combined"},
		{[]string{"--baseline", filepath.Join(dir, "missing.json")}, "--baseline: open "},
		{[]string{"--baseline", old}, "report has schema_version 1, older than this portreach reads (2 to 6)"},
		{[]string{"--baseline", notJSON}, "not a JSON document"},
		{[]string{"-f", "xml"}, `unknown format "xml"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"scan", "-p", "1", "127.0.0.1"}, tc.args...), nil, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) || stdout.Len() > 0 {
			t.Errorf("%q: exit %d, stderr %q, want exit 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

func TestAuditJSONHasDrift(t *testing.T) {
	// A baseline given to -f json on standard output: the drift is in it.
	dir := t.TempDir()
	base := filepath.Join(dir, "b.json")
	var o, e bytes.Buffer
	if code := run([]string{"scan", "-p", "1", "--timeout", "100ms", "-o", "json:" + base, "127.0.0.1"}, nil, &o, &e); code != exitOK {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	o.Reset()
	if code := run([]string{"scan", "-p", "1,2", "--timeout", "100ms", "--baseline", base, "-f", "json", "127.0.0.1"}, nil, &o, &e); code != exitOK {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	var doc struct {
		Drift struct {
			Changes []struct {
				Kind string `json:"kind"`
				Port int    `json:"port"`
			} `json:"changes"`
		} `json:"drift"`
	}
	if err := json.Unmarshal(o.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Drift.Changes) != 1 || doc.Drift.Changes[0].Kind != "port-added" || doc.Drift.Changes[0].Port != 2 {
		t.Errorf("drift %+v, want port 2 added", doc.Drift.Changes)
	}
}

// A SQL Server instance that came back on another port: the stand-in SQL
// Browser ([MC-SQLR]) announces SQLEXPRESS on 49733, then on 49800 beside a
// new instance. The drift report names the moved port (the follow-up keyed by
// its instance) and the changed Browser details; only --fail-on state-change or
// any-change fails for it, since the new port is open.
func TestAuditSQLInstanceMoved(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	host := h.Addr.String()
	dir := t.TempDir()
	base := filepath.Join(dir, "sql.json")
	// Every port here answers (the Browser, open instance ports, a closed old
	// one), so the timeout costs nothing; it is long because the Browser
	// stand-in runs in this test process, which a loaded machine can leave
	// unscheduled for longer than a short one, and a baseline without the
	// Browser's answer has no instance to move.
	scanArgs := []string{"scan", "-p", "U:1434", "--timeout", "10s", "--retries", "1"}

	t.Run("before", func(t *testing.T) {
		testnet.StartSQLBrowser(t, h, []testnet.SQLInstance{
			{Server: "SQL01", Name: "SQLEXPRESS", Version: "16.0.1000.6", TCPPort: 49733},
		})
		testnet.ServeTCP(t, h, 49733)
		code, _, errOut := runBin(t, append(scanArgs, "-o", "json:"+base, host)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
	t.Run("after", func(t *testing.T) {
		testnet.StartSQLBrowser(t, h, []testnet.SQLInstance{
			{Server: "SQL01", Name: "SQLEXPRESS", Version: "16.0.1000.6", TCPPort: 49800},
			{Server: "SQL01", Name: "REPORTING", Version: "16.0.1000.6", Pipe: `\\SQL01\pipe\MSSQL$REPORTING\sql\query`},
		})
		testnet.ServeTCP(t, h, 49800)
		out := filepath.Join(dir, "now.json")
		code, table, errOut := runBin(t, append(scanArgs, "--baseline", base, "--fail-on", "regression", "-o", "json:"+out, "-o", "table:-", host)...)
		if code != exitOK {
			t.Fatalf("--fail-on regression: exit %d (nothing got worse)\n%s\n%s", code, table, errOut)
		}
		for _, want := range []string{
			"3 changes since the baseline of ",
			"49800/tcp instance SQLEXPRESS  moved from 49733/tcp",
			"sqlbrowser instances[SQLEXPRESS].tcp_port: 49733 → 49800",
			"sqlbrowser instances[].name: gained REPORTING",
		} {
			if !strings.Contains(table, want) {
				t.Errorf("table lacks %q:\n%s", want, table)
			}
		}
		rep := readReport(t, out)
		var kinds []string
		for _, c := range rep.Drift.Changes {
			kinds = append(kinds, string(c.Kind)+" "+c.Path)
		}
		if want := "port-moved ,detail instances[SQLEXPRESS].tcp_port,detail instances[].name"; strings.Join(kinds, ",") != want {
			t.Errorf("drift kinds %q, want %q", strings.Join(kinds, ","), want)
		}
		code, _, _ = runBin(t, append(scanArgs, "--baseline", base, "--fail-on", "state-change", "-f", "json", host)...)
		if code != exitFailed {
			t.Errorf("--fail-on state-change: exit %d, want 1 for the moved port", code)
		}
	})
}
