package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// splitCommandLine parses a command line as Microsoft documents
// CommandLineToArgvW: first the program name, up to the next double quote when
// it starts with one (backslashes are not special in it), else up to a space
// or tab, and empty when the line starts with a space or tab; then the
// arguments, by the rules quoteArg's comment lists. The tests' oracle for
// quoteArg; service_windows_test.go checks it against CommandLineToArgvW
// itself.
func splitCommandLine(s string) []string {
	var args []string
	i := 0
	if strings.HasPrefix(s, `"`) {
		j := strings.IndexByte(s[1:], '"')
		if j < 0 {
			return []string{s[1:]}
		}
		args, i = append(args, s[1:1+j]), j+2
	} else {
		j := strings.IndexAny(s, " \t")
		if j < 0 {
			return []string{s}
		}
		args, i = append(args, s[:j]), j
	}
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return args
		}
		var b strings.Builder
		quoted := false
		for i < len(s) && (quoted || s[i] != ' ' && s[i] != '\t') {
			switch s[i] {
			case '\\':
				n := 0
				for i < len(s) && s[i] == '\\' {
					n++
					i++
				}
				if i < len(s) && s[i] == '"' {
					b.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 { // an escaped quote; an even count leaves it to toggle
						b.WriteByte('"')
						i++
					}
				} else {
					b.WriteString(strings.Repeat(`\`, n))
				}
			case '"':
				quoted = !quoted
				i++
			default:
				b.WriteByte(s[i])
				i++
			}
		}
		args = append(args, b.String())
	}
}

// The oracle against the examples of Microsoft's "Parsing C Command-Line
// Arguments" (the rules CommandLineToArgvW's page gives), and its page's
// leading-space rule.
func TestSplitCommandLineMicrosoftExamples(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		{`prog "a b c" d e`, []string{"prog", "a b c", "d", "e"}},
		{`prog "ab\"c" "\\" d`, []string{"prog", `ab"c`, `\`, "d"}},
		{`prog a\\\b d"e f"g h`, []string{"prog", `a\\\b`, "de fg", "h"}},
		{`prog a\\\"b c d`, []string{"prog", `a\"b`, "c", "d"}},
		{`prog a\\\\"b c" d e`, []string{"prog", `a\\b c`, "d", "e"}},
		{`"C:\Program Files\p\p.exe" serve`, []string{`C:\Program Files\p\p.exe`, "serve"}},
		{`C:\p\p.exe  serve  `, []string{`C:\p\p.exe`, "serve"}},
		{` serve`, []string{"", "serve"}},
	} {
		if got := splitCommandLine(c.line); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.line, got, c.want)
		}
	}
}

func TestQuoteArg(t *testing.T) {
	for _, c := range []struct{ arg, want string }{
		{"", `""`},
		{"serve", "serve"},
		{"--allow=10.20.0.0/16", "--allow=10.20.0.0/16"},
		{`C:\portreach\profiles.json`, `C:\portreach\profiles.json`},
		{`C:\Program Files\portreach\portreach.exe`, `"C:\Program Files\portreach\portreach.exe"`},
		{"a\tb", "\"a\tb\""},
		{`a"b`, `a\"b`},
		{`a\"b`, `a\\\"b`},
		{`a b"c`, `"a b\"c"`},
		{`dir\`, `dir\`},             // unquoted: a trailing backslash is literal
		{`my dir\`, `"my dir\\"`},    // quoted: doubled before the closing quote
		{`my dir\\`, `"my dir\\\\"`}, // both doubled
		{`\\server\share\a b`, `"\\server\share\a b"`},
		{`"`, `\"`},
		{`é ü`, `"é ü"`},
	} {
		if got := quoteArg(c.arg); got != c.want {
			t.Errorf("quoteArg(%q) = %s, want %s", c.arg, got, c.want)
		}
	}
}

// Every argument survives the trip through a command line and its parsing.
func TestCommandLineRoundTrip(t *testing.T) {
	exe := `C:\Program Files\portreach\portreach.exe`
	args := []string{"serve", "--allow", "10.20.0.0/16,10.30.0.0/24", "--profile-file", `C:\My Profiles\x.json`,
		"", `a"b`, `tail\`, `tail space\ `, `\\"`, "tab\there", `\\server\share\`, "--listen=:9469"}
	line := commandLine(exe, args)
	if got := splitCommandLine(line); !slices.Equal(got, append([]string{exe}, args...)) {
		t.Errorf("%s\nparses as %q", line, got)
	}
}

func FuzzQuoteArg(f *testing.F) {
	for _, s := range []string{"", "a", "a b", `a"b`, `a\`, `a b\`, `\\"`, "\t", `"\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) >= 0 {
			t.Skip() // serviceArgs refuses control characters
		}
		got := splitCommandLine(commandLine(`C:\p.exe`, []string{s, "x"}))
		if !slices.Equal(got, []string{`C:\p.exe`, s, "x"}) {
			t.Errorf("%q: quoted %s, parsed %q", s, quoteArg(s), got)
		}
	})
}

func TestWindowsFullPath(t *testing.T) {
	for p, want := range map[string]bool{
		`C:\portreach\profiles.json`: true,
		`c:/portreach/profiles.json`: true,
		`\\fs01\share\profiles.json`: true,
		`profiles.json`:              false,
		`.\profiles.json`:            false,
		`\portreach\profiles.json`:   false, // the current drive's
		`C:profiles.json`:            false, // drive C's current directory
		`1:\x`:                       false,
		`\\\x`:                       false,
		`/etc/portreach.json`:        false,
	} {
		if got := windowsFullPath(p); got != want {
			t.Errorf("windowsFullPath(%q) = %v", p, got)
		}
	}
}

func TestServiceArgs(t *testing.T) {
	got, err := serviceArgs([]string{"--allow", "10.20.0.0/16", "--listen", ":9469", "--profile-file", `C:\p\x.json`, "--max-probes=16"})
	want := []string{"serve", "--allow", "10.20.0.0/16", "--listen", ":9469", "--profile-file", `C:\p\x.json`, "--max-probes=16"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("%q, %v; want %q", got, err, want)
	}
	for _, c := range []struct {
		args []string
		err  string
	}{
		{nil, "--allow is required: without it the service refuses every probe"},
		{[]string{"--listen", ":9469"}, "--allow is required: without it the service refuses every probe"},
		{[]string{"--allow", "10.20.0.0/16", "--profile-file", "x.json"}, `--profile-file "x.json": give a full path, such as C:\portreach\profiles.json: the service does not start in this directory`},
		{[]string{"--allow", "10.20.0.0/16", "--profile-file", `\x.json`}, `--profile-file "\\x.json": give a full path, such as C:\portreach\profiles.json: the service does not start in this directory`},
		{[]string{"--allow", "10.20.0.7/16"}, `--allow "10.20.0.7/16": host bits set; write 10.20.0.0/16 for the network or 10.20.0.7/32 for the host`},
		{[]string{"--allow", "10.20.0.0/16", "dc01"}, `unexpected argument "dc01": targets come with each scrape (/probe?target=HOST)`},
		{[]string{"--allow", "10.20.0.0/16", "--nope"}, "unknown flag --nope"},
		{[]string{"--allow", "10.20.0.0/16\n--max-probes=1"}, `argument "10.20.0.0/16\n--max-probes=1": a service's command line cannot carry control characters`},
	} {
		_, err := serviceArgs(c.args)
		if err == nil || err.Error() != c.err {
			t.Errorf("%q: %v, want %s", c.args, err, c.err)
		}
	}
	if _, err := serviceArgs([]string{"--allow", "10.0.0.0/8", "--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
}

func TestInstallDecision(t *testing.T) {
	want := `"C:\Program Files\portreach\portreach.exe" serve --allow 10.20.0.0/16`
	if create, err := installDecision(false, "", want); !create || err != nil {
		t.Errorf("none installed: create %v, %v", create, err)
	}
	if create, err := installDecision(true, want, want); create || err != nil {
		t.Errorf("same command line: create %v, %v", create, err)
	}
	other := `"C:\Program Files\portreach\portreach.exe" serve --allow 10.30.0.0/16`
	create, err := installDecision(true, other, want)
	wantErr := "service portreach is already installed with another command line:\n" +
		"  installed: " + other + "\n" +
		"  asked:     " + want + "\n" +
		`run "portreach service uninstall" first to replace it`
	if create || err == nil || err.Error() != wantErr || !errors.Is(err, errServiceInstalled) {
		t.Errorf("other command line: create %v, %v", create, err)
	}
}

// fakeRunner stands in for serve in the service loop.
type fakeRunner struct {
	done  chan int
	grace chan time.Duration
}

func newFakeRunner() *fakeRunner {
	return &fakeRunner{done: make(chan int, 1), grace: make(chan time.Duration, 1)}
}

func (f *fakeRunner) serve() int { return <-f.done }
func (f *fakeRunner) shutdown(g time.Duration) {
	f.grace <- g
	f.done <- exitOK
}

// loopRun runs serviceLoop with channels a test drives step by step.
type loopRun struct {
	controls chan svcControl
	statuses chan svcStatus
	ticks    chan time.Time
	mu       sync.Mutex
	logs     []string
	exit     chan int
}

func startLoop(start func() (serviceRunner, int)) *loopRun {
	l := &loopRun{controls: make(chan svcControl), statuses: make(chan svcStatus, 16), ticks: make(chan time.Time), exit: make(chan int, 1)}
	logf := func(level eventLevel, msg string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.logs = append(l.logs, fmt.Sprintf("%d %s", level, msg))
	}
	go func() { l.exit <- serviceLoop(l.controls, func(s svcStatus) { l.statuses <- s }, logf, start, l.ticks) }()
	return l
}

func (l *loopRun) next(t *testing.T, want svcStatus) {
	t.Helper()
	select {
	case got := <-l.statuses:
		if got != want {
			t.Fatalf("reported %+v, want %+v", got, want)
		}
	case <-time.After(10 * time.Second): // a hang, not a speed: the loop answers at once
		t.Fatalf("nothing reported; want %+v", want)
	}
}

func (l *loopRun) end(t *testing.T, want int, logs ...string) {
	t.Helper()
	select {
	case got := <-l.exit:
		if got != want {
			t.Errorf("exit %d, want %d", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not return")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Equal(l.logs, logs) {
		t.Errorf("logged %q, want %q", l.logs, logs)
	}
}

var (
	startPending = svcStatus{State: stateStartPending, WaitHint: 10000}
	running      = svcStatus{State: stateRunning, AcceptStop: true}
)

func TestServiceLoopStop(t *testing.T) {
	r := newFakeRunner()
	l := startLoop(func() (serviceRunner, int) { return r, exitOK })
	l.next(t, startPending)
	l.next(t, running)
	l.controls <- controlInterrogate
	l.next(t, running)
	l.controls <- svcControl(2) // SERVICE_CONTROL_PAUSE: not accepted, so never sent; logged
	l.controls <- controlInterrogate
	l.next(t, running)
	// Stop: serve gets its grace, and returns once it has stopped.
	l.controls <- controlStop
	l.next(t, svcStatus{State: stateStopPending, CheckPoint: 1, WaitHint: 15000})
	if g := <-r.grace; g != 10*time.Second {
		t.Errorf("stop grace %v, want 10s", g)
	}
	l.end(t, exitOK, "0 portreach serve is running as a Windows service", "2 unexpected control request #2", "0 portreach serve stopped")
}

func TestServiceLoopCheckpoints(t *testing.T) {
	slow := &slowRunner{fakeRunner: newFakeRunner(), release: make(chan struct{})}
	l := startLoop(func() (serviceRunner, int) { return slow, exitOK })
	l.next(t, startPending)
	l.next(t, running)
	l.ticks <- time.Now() // running: nothing to report
	l.controls <- controlInterrogate
	l.next(t, running)
	l.controls <- controlStop
	l.next(t, svcStatus{State: stateStopPending, CheckPoint: 1, WaitHint: 15000})
	l.ticks <- time.Now()
	l.next(t, svcStatus{State: stateStopPending, CheckPoint: 2, WaitHint: 15000})
	l.ticks <- time.Now()
	l.next(t, svcStatus{State: stateStopPending, CheckPoint: 3, WaitHint: 15000})
	close(slow.release)
	l.end(t, exitOK, "0 portreach serve is running as a Windows service", "0 portreach serve stopped")
}

// slowRunner is a serve whose shutdown takes until release.
type slowRunner struct {
	*fakeRunner
	release chan struct{}
}

func (s *slowRunner) shutdown(g time.Duration) {
	<-s.release
	s.fakeRunner.shutdown(g)
}

func TestServiceLoopShutdown(t *testing.T) {
	r := newFakeRunner()
	l := startLoop(func() (serviceRunner, int) { return r, exitOK })
	l.next(t, startPending)
	l.next(t, running)
	l.controls <- controlShutdown
	l.next(t, svcStatus{State: stateStopPending, CheckPoint: 1, WaitHint: 5000})
	if g := <-r.grace; g != 0 {
		t.Errorf("shutdown grace %v, want 0: Windows is shutting down", g)
	}
	l.end(t, exitOK, "0 portreach serve is running as a Windows service", "0 portreach serve stopped")
}

func TestServiceLoopStartFails(t *testing.T) {
	l := startLoop(func() (serviceRunner, int) { return nil, exitUsage })
	l.next(t, startPending)
	l.end(t, exitUsage, "2 portreach serve did not start (exit status 2); the entries before this one say why")
}

func TestServiceLoopServeEnds(t *testing.T) {
	r := newFakeRunner()
	l := startLoop(func() (serviceRunner, int) { return r, exitOK })
	l.next(t, startPending)
	l.next(t, running)
	r.done <- exitFailed // the listener failed
	l.next(t, svcStatus{State: stateStopPending})
	l.end(t, exitFailed, "0 portreach serve is running as a Windows service", "2 portreach serve stopped by itself (exit status 1)")
}

// The loop with serve itself: started, answering on loopback, stopped by Stop.
func TestServiceLoopServe(t *testing.T) {
	var stderr syncBuffer
	addr := make(chan string, 1)
	l := startLoop(func() (serviceRunner, int) {
		s, code := startServe(context.Background(), []string{"--listen", "127.0.0.1:0", "--allow", "127.0.0.1"}, io.Discard, &stderr)
		if s == nil {
			return nil, code
		}
		addr <- s.l.Addr().String()
		return s, exitOK
	})
	l.next(t, startPending)
	l.next(t, running)
	resp, err := http.Get("http://" + <-addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	l.controls <- controlStop
	l.next(t, svcStatus{State: stateStopPending, CheckPoint: 1, WaitHint: 15000})
	l.end(t, exitOK, "0 portreach serve is running as a Windows service", "0 portreach serve stopped")
	if !regexp.MustCompile(`(?s)listening on http://127\.0\.0\.1:\d+/.*portreach serve: stopped\n$`).MatchString(stderr.String()) {
		t.Errorf("serve's standard error:\n%s", stderr.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEventWriter(t *testing.T) {
	var got []string
	w := &eventWriter{emit: func(l eventLevel, s string) { got = append(got, fmt.Sprintf("%d %s", l, s)) }}
	for _, p := range []string{
		"portreach serve: listening on http://[::]:9469/ (targets allowed in: 10.20.0.0/16)\n",
		"time=2026-12-05T10:00:00Z level=INFO msg=probe query=target=dc01 ",
		"status=200\r\ntime=2026-12-05T10:00:01Z level=WARN msg=probe status=503\n",
		"time=2026-12-05T10:00:02Z level=ERROR msg=\"level=WARN in a message\"\n\n",
		"time=2026-12-05T10:00:03Z level=INFO msg=\"level=ERROR is not this line's level\"\n",
		"no end yet",
	} {
		if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write: %d, %v", n, err)
		}
	}
	want := []string{
		"0 portreach serve: listening on http://[::]:9469/ (targets allowed in: 10.20.0.0/16)",
		"0 time=2026-12-05T10:00:00Z level=INFO msg=probe query=target=dc01 status=200",
		"1 time=2026-12-05T10:00:01Z level=WARN msg=probe status=503",
		`2 time=2026-12-05T10:00:02Z level=ERROR msg="level=WARN in a message"`,
		`0 time=2026-12-05T10:00:03Z level=INFO msg="level=ERROR is not this line's level"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// A line longer than an event holds is cut, on a character's boundary.
	got = nil
	w.Write([]byte(strings.Repeat("é", maxEventText) + "\n"))
	if len(got) != 1 || len(got[0]) > maxEventText+len("0 …") || !strings.HasSuffix(got[0], "é…") {
		t.Errorf("long line: %d entries, first %d bytes", len(got), len(got[0]))
	}
}

func TestAwaitState(t *testing.T) {
	seq := func(qs ...svcQuery) func() (svcQuery, error) {
		return func() (svcQuery, error) {
			q := qs[0]
			if len(qs) > 1 {
				qs = qs[1:]
			}
			return q, nil
		}
	}
	var slept time.Duration
	sleep := func(d time.Duration) { slept += d }
	if err := awaitState(seq(svcQuery{State: stateStartPending}, svcQuery{State: stateRunning}), stateRunning, sleep); err != nil || slept != 300*time.Millisecond {
		t.Errorf("start: %v after %v", err, slept)
	}
	err := awaitState(seq(svcQuery{State: stateStartPending}, svcQuery{State: stateStopped, Win32ExitCode: errorServiceSpecific, ServiceSpecificExitCode: 2}), stateRunning, sleep)
	if want := "service portreach stopped as it started: portreach serve's exit status 2; the Application event log (source portreach) says why"; err == nil || err.Error() != want {
		t.Errorf("failed start: %v", err)
	}
	err = awaitState(seq(svcQuery{State: stateStopped, Win32ExitCode: 5}), stateRunning, sleep)
	if want := "service portreach stopped as it started: Windows error 5"; err == nil || err.Error() != want {
		t.Errorf("failed start: %v", err)
	}
	slept = 0
	err = awaitState(seq(svcQuery{State: stateStopPending}), stateStopped, sleep)
	if want := "service portreach is still stopping after 30s, not stopped"; err == nil || err.Error() != want || slept != 30*time.Second {
		t.Errorf("stuck stop: %v after %v", err, slept)
	}
	if err := awaitState(func() (svcQuery, error) { return svcQuery{}, errors.New("access denied") }, stateStopped, sleep); err == nil || err.Error() != "access denied" {
		t.Errorf("query error: %v", err)
	}
}

func TestServiceCommandUsage(t *testing.T) {
	for _, c := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{nil, exitUsage, "", serviceUsage},
		{[]string{"--help"}, exitOK, serviceUsage, ""},
		{[]string{"install", "--allow", "10.0.0.0/8", "-h"}, exitOK, serviceUsage, ""},
		{[]string{"restart"}, exitUsage, "", "portreach service: unknown action \"restart\": install, uninstall, start or stop\n"},
		{[]string{"start", "--allow", "10.0.0.0/8"}, exitUsage, "", "portreach service start: unexpected argument \"--allow\": the flags belong to install\n"},
	} {
		var stdout, stderr strings.Builder
		code := runServiceCommand(c.args, &stdout, &stderr)
		if code != c.code || stdout.String() != c.stdout || stderr.String() != c.stderr {
			t.Errorf("%q: %d\n%s\n%s", c.args, code, stdout.String(), stderr.String())
		}
	}
}

// docs/exporter.md's sc.exe commands do what install does: the same name,
// display name, description, account, recovery and start type.
func TestServiceDocsMatchInstall(t *testing.T) {
	b, err := os.ReadFile("../../docs/exporter.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	actions := make([]string, len(serviceRecovery))
	for i, d := range serviceRecovery {
		actions[i] = fmt.Sprintf("restart/%d", d.Milliseconds())
	}
	for _, want := range []string{
		`sc.exe create ` + serviceName + ` binpath= "\"C:\Program Files\portreach\portreach.exe\" serve --listen :9469 --allow 10.20.0.0/16 --max-probes 16" start= delayed-auto obj= "` + serviceAccount + `" displayname= "` + serviceDisplayName + `"`,
		`sc.exe description ` + serviceName + ` "` + serviceDescription + `"`,
		fmt.Sprintf("sc.exe failure %s reset= %d actions= %s\n", serviceName, int(serviceResetPeriod.Seconds()), strings.Join(actions, "/")),
		"sc.exe failureflag " + serviceName + " 1\n",
		`EventLog\Application\` + serviceName + ` /v EventMessageFile`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/exporter.md lacks %s", want)
		}
	}
	// The command line in the sc.exe line is the one install stores.
	line := commandLine(`C:\Program Files\portreach\portreach.exe`, []string{"serve", "--listen", ":9469", "--allow", "10.20.0.0/16", "--max-probes", "16"})
	if !strings.Contains(doc, `binpath= "`+strings.ReplaceAll(line, `"`, `\"`)+`"`) {
		t.Errorf("docs/exporter.md's binpath= is not %s", line)
	}
}
