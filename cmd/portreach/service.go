package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// "portreach service" runs serve as a Windows service. What it decides lives
// here, in pure functions tested on every system: the service's identity and
// recovery, which serve flags it stores and how its command line is quoted,
// what "already installed" means, and the states it reports to the service
// control manager. service_windows.go applies them with
// golang.org/x/sys/windows/svc, svc/mgr and svc/eventlog, following
// golang.org/x/sys/windows/svc/example; service_other.go says that the command
// is Windows-only.

const serviceUsage = `Usage:
  portreach service install [serve flags]   install "portreach serve" as a Windows service
  portreach service uninstall               stop and remove it
  portreach service start                   start it, and wait until it runs
  portreach service stop                    stop it, and wait until it has stopped

Windows only; run from an elevated prompt (Run as administrator).

install creates the service "portreach" (display name "portreach exporter"):
started automatically after boot (delayed start), as NT AUTHORITY\LocalService,
restarted on failure after 5 s, 30 s, then every minute, logging to the
Application event log (source "portreach"). Its command line is this
executable, "serve" and the serve flags given to install, checked first as serve
checks them: --allow is required, and --profile-file takes a full path such as
C:\portreach\profiles.json (the service does not start in this directory).
Flags not given keep serve's defaults: serve listens on 127.0.0.1:9469 only
unless --web.config.file makes clients authenticate, so give --listen :9469
(and open the port to Prometheus's address only) to be scraped from elsewhere. Installing again with the same flags
does nothing; with other flags, uninstall first.

Examples:
  portreach service install --listen :9469 --allow 10.20.0.0/16 --max-probes 16
  portreach service start
  sc.exe qc portreach        (the command line it stored)
`

// The service's identity and account.
const (
	serviceName        = "portreach"
	serviceDisplayName = "portreach exporter"
	serviceDescription = "Prometheus exporter of portreach: checks whether the ports server roles need are reachable from this machine (portreach serve). Logs to the Application event log, source portreach."
	// LocalService has the least privileges of the service accounts and
	// presents anonymous credentials on the network, which is all a port
	// check needs. Microsoft's "LocalService Account": the name must be
	// spelt so whatever the system's language, and it has no password.
	serviceAccount = `NT AUTHORITY\LocalService`
)

// serviceRecovery is what the service control manager does on the service's
// 1st, 2nd and later failures (SERVICE_FAILURE_ACTIONS: the last action
// repeats): restart it after these delays. The count of failures goes back to
// zero after serviceResetPeriod without one. Failures include stopping with a
// non-zero exit code (SERVICE_FAILURE_ACTIONS_FLAG), such as serve's when its
// port is taken.
var serviceRecovery = []time.Duration{5 * time.Second, 30 * time.Second, time.Minute}

const serviceResetPeriod = 24 * time.Hour

// serviceArgs checks install's arguments, serve's flags, and returns the
// arguments of the service's command line after the executable: "serve" and
// the flags as given. They are checked as serve checks them, and more: a
// service without --allow would refuse every probe with nobody to read its
// warning, a relative --profile-file would be looked up in the service's own
// working directory (%SystemRoot%\System32), and a control character cannot be
// carried by a command line. --help is flag.ErrHelp.
func serviceArgs(args []string) ([]string, error) {
	for _, a := range args {
		if i := strings.IndexFunc(a, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
			return nil, fmt.Errorf("argument %q: a service's command line cannot carry control characters", a)
		}
	}
	c, _, err := serveArgs(args)
	if err != nil {
		return nil, err
	}
	if len(c.allow.vals) == 0 {
		return nil, errors.New("--allow is required: without it the service refuses every probe")
	}
	for _, f := range c.profileFiles.vals {
		if !windowsFullPath(f) {
			return nil, fmt.Errorf("--profile-file %q: give a full path, such as C:\\portreach\\profiles.json: the service does not start in this directory", f)
		}
	}
	return append([]string{"serve"}, args...), nil
}

// windowsFullPath reports whether p is a fully qualified Windows path, whatever
// the system this runs on: a drive letter, a colon and a separator
// (C:\dir\file), or a UNC path (\\server\share\file). Microsoft's "Naming
// Files, Paths, and Namespaces": \dir\file is relative to the current drive
// and C:file to the drive's current directory.
func windowsFullPath(p string) bool {
	sep := func(c byte) bool { return c == '\\' || c == '/' }
	if len(p) >= 3 && p[1] == ':' && sep(p[2]) {
		c := p[0] | 0x20
		return c >= 'a' && c <= 'z'
	}
	return len(p) > 2 && sep(p[0]) && sep(p[1]) && !sep(p[2])
}

// commandLine is the command line the service control manager stores for the
// service (its BinaryPathName) and the service is started with: the executable
// and args, each quoted by quoteArg, separated by spaces, as mgr.CreateService
// writes it.
func commandLine(exe string, args []string) string {
	var b strings.Builder
	b.WriteString(quoteArg(exe))
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(quoteArg(a))
	}
	return b.String()
}

// quoteArg quotes one argument so that CommandLineToArgvW, and the C runtime
// and Go programs that parse command lines alike, read it back unchanged.
// Microsoft's rules (CommandLineToArgvW, "Parsing C command-line
// arguments"): spaces and tabs outside double quotes separate arguments; 2n
// backslashes followed by a double quote make n backslashes and the quote
// opens or closes a quoted part; 2n+1 backslashes followed by a quote make n
// backslashes and a literal quote; backslashes not followed by a quote are
// literal. So an argument is quoted only when it has a space or a tab (or is
// empty), a literal quote gets a backslash, and the backslashes before a
// quote, and before the closing quote, are doubled. It is the quoting
// syscall.EscapeArg does on Windows (service_windows_test.go checks that they
// agree). An executable's path needs nothing more: no path has a double quote,
// and the quotes of one with a space are what keep the service control
// manager from trying C:\Program.exe first.
func quoteArg(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, " \t\"") {
		return s // backslashes alone are literal
	}
	quote := strings.ContainsAny(s, " \t")
	var b strings.Builder
	if quote {
		b.WriteByte('"')
	}
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1)) // double them, and escape the quote
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	if quote {
		b.WriteString(strings.Repeat(`\`, slashes)) // they now precede the closing quote
		b.WriteByte('"')
	}
	return b.String()
}

// errServiceInstalled says install would replace another configuration.
var errServiceInstalled = errors.New("already installed")

// installDecision says what install does when a service of its name may exist
// with the command line installed: create it (no service of that name), nothing
// (the same command line: the flags asked for are those it has), or refuse (any
// other command line: another portreach's, other flags, or another program
// under that name), naming both so the operator can decide.
func installDecision(exists bool, installed, want string) (create bool, err error) {
	switch {
	case !exists:
		return true, nil
	case installed == want:
		return false, nil
	}
	return false, fmt.Errorf("service %s is %w with another command line:\n  installed: %s\n  asked:     %s\nrun \"portreach service uninstall\" first to replace it",
		serviceName, errServiceInstalled, installed, want)
}

// The states and controls the service loop speaks, with the values of
// winsvc.h's SERVICE_* constants, which golang.org/x/sys/windows/svc uses too
// (service_windows.go checks it when it compiles).
type svcState uint32

const (
	stateStopped      svcState = 1 // SERVICE_STOPPED
	stateStartPending svcState = 2 // SERVICE_START_PENDING
	stateStopPending  svcState = 3 // SERVICE_STOP_PENDING
	stateRunning      svcState = 4 // SERVICE_RUNNING
)

func (s svcState) String() string {
	switch s {
	case stateStopped:
		return "stopped"
	case stateStartPending:
		return "starting"
	case stateStopPending:
		return "stopping"
	case stateRunning:
		return "running"
	}
	return fmt.Sprintf("state %d", uint32(s))
}

type svcControl uint32

const (
	controlStop        svcControl = 1 // SERVICE_CONTROL_STOP
	controlInterrogate svcControl = 4 // SERVICE_CONTROL_INTERROGATE
	controlShutdown    svcControl = 5 // SERVICE_CONTROL_SHUTDOWN
)

// svcStatus is what the service reports (SERVICE_STATUS): its state, whether
// it accepts Stop and Shutdown (only while running), and for a pending state a
// checkpoint it increments while it makes progress and how long the next step
// may take, in milliseconds: the service control manager may give up on a
// service whose wait hint passes without a new checkpoint.
type svcStatus struct {
	State      svcState
	AcceptStop bool // SERVICE_ACCEPT_STOP and SERVICE_ACCEPT_SHUTDOWN
	CheckPoint uint32
	WaitHint   uint32
}

// serviceRunner is what the service loop runs: a started serve, or a stand-in.
type serviceRunner interface {
	serve() int                   // answers until shutdown has finished; the exit status
	shutdown(grace time.Duration) // stop accepting; let running probes answer for up to grace
}

// startWaitHint bounds a start: loading the profiles and opening the listener.
const startWaitHint = 10 * time.Second

// stopGrace is how long a stop lets running probes answer. Stop (from
// "portreach service stop", sc.exe or the Services console) gives serve's
// usual grace; Shutdown, when Windows shuts down, none: Microsoft's "Service
// Control Handler Function" asks services to finish their cleanup as quickly
// as possible then, within about 20 seconds.
func stopGrace(c svcControl) time.Duration {
	if c == controlShutdown {
		return 0
	}
	return serveGrace
}

// stopWaitHint is the wait hint of a stop that gives grace: a checkpoint
// follows every second anyway.
func stopWaitHint(grace time.Duration) uint32 {
	return uint32((grace + 5*time.Second) / time.Millisecond)
}

// eventLevel is an event log entry's type.
type eventLevel int

const (
	eventInfo eventLevel = iota
	eventWarning
	eventError
)

// serviceLoop is the service's life as its Execute method runs it, after the
// documented example of golang.org/x/sys/windows/svc: report StartPending,
// start serve, report Running (accepting Stop and Shutdown), then answer each
// control request: Interrogate with the current status, Stop and Shutdown by
// reporting StopPending and stopping serve (with stopGrace), anything else
// with an error in the event log, as the example does. While stopping it
// reports a new checkpoint at every tick. It returns the exit status that the
// service reports with Stopped: serve's, 0 after a stop, non-zero when serve
// could not start or ended by itself, which the recovery actions then answer.
func serviceLoop(controls <-chan svcControl, report func(svcStatus), log func(eventLevel, string),
	start func() (serviceRunner, int), ticks <-chan time.Time) int {
	report(svcStatus{State: stateStartPending, WaitHint: uint32(startWaitHint / time.Millisecond)})
	r, code := start()
	if r == nil {
		log(eventError, fmt.Sprintf("portreach serve did not start (exit status %d); the entries before this one say why", code))
		return code
	}
	status := svcStatus{State: stateRunning, AcceptStop: true}
	report(status)
	log(eventInfo, "portreach serve is running as a Windows service")
	done := make(chan int, 1)
	go func() { done <- r.serve() }()
	stopping := false
	for {
		select {
		case code := <-done:
			if !stopping {
				if code == exitOK {
					code = exitFailed // serve ends by itself only when its listener fails
				}
				log(eventError, fmt.Sprintf("portreach serve stopped by itself (exit status %d)", code))
				report(svcStatus{State: stateStopPending})
				return code
			}
			log(eventInfo, "portreach serve stopped")
			return code
		case c := <-controls:
			switch c {
			case controlInterrogate:
				report(status)
			case controlStop, controlShutdown:
				if stopping {
					report(status) // the manager sends nothing after Stop; answer anyway
					continue
				}
				stopping = true
				grace := stopGrace(c)
				status = svcStatus{State: stateStopPending, CheckPoint: 1, WaitHint: stopWaitHint(grace)}
				report(status)
				go r.shutdown(grace)
			default:
				log(eventError, fmt.Sprintf("unexpected control request #%d", uint32(c)))
			}
		case <-ticks:
			if stopping {
				status.CheckPoint++
				report(status)
			}
		}
	}
}

// maxEventText caps an event's text below the event log's limit of 31,839
// characters a string (ReportEvent).
const maxEventText = 31000

// eventWriter turns what serve writes on its standard error, lines from
// several goroutines, into event log entries: one a line, an error or a
// warning when log/slog's text says level=ERROR or level=WARN, else
// information. It is safe for concurrent use.
type eventWriter struct {
	mu   sync.Mutex
	emit func(eventLevel, string)
	buf  []byte
}

func (w *eventWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if line = strings.TrimRight(line, "\r"); line != "" {
			w.emit(lineLevel(line), clipEvent(line))
		}
	}
	if len(w.buf) > maxEventText { // a line without end: say what there is
		w.emit(lineLevel(string(w.buf)), clipEvent(string(w.buf)))
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

// lineLevel reads the level log/slog's TextHandler writes ("time=… level=WARN
// msg=…"); a line without one is information.
func lineLevel(line string) eventLevel {
	for _, f := range strings.Fields(line) {
		switch f {
		case "level=ERROR":
			return eventError
		case "level=WARN":
			return eventWarning
		}
		if strings.HasPrefix(f, "msg=") {
			break // the message's words are not the level
		}
	}
	return eventInfo
}

func clipEvent(s string) string {
	if len(s) <= maxEventText {
		return s
	}
	s = s[:maxEventText]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// svcQuery is what a query of the service says: its state and, once stopped,
// its exit code (Win32ExitCode, or ERROR_SERVICE_SPECIFIC_ERROR and the
// service's own, serve's exit status).
type svcQuery struct {
	State                   svcState
	Win32ExitCode           uint32
	ServiceSpecificExitCode uint32
}

// errorServiceSpecific is ERROR_SERVICE_SPECIFIC_ERROR (winerror.h).
const errorServiceSpecific = 1066

// serviceWait is how long start and stop wait for the state they asked for: a
// stop takes serve's grace, and a start that long is stuck.
const serviceWait = 30 * time.Second

// awaitState queries the service until it reaches want, as the example's
// controlService polls, every 300 ms, for up to serviceWait. A start that
// ends in Stopped instead has failed: the error gives serve's exit status,
// whose reason the event log has.
func awaitState(query func() (svcQuery, error), want svcState, sleep func(time.Duration)) error {
	const poll = 300 * time.Millisecond
	for waited := time.Duration(0); ; waited += poll {
		q, err := query()
		if err != nil {
			return err
		}
		switch {
		case q.State == want:
			return nil
		case want == stateRunning && q.State == stateStopped:
			code := q.Win32ExitCode
			if code == errorServiceSpecific {
				return fmt.Errorf("service %s stopped as it started: portreach serve's exit status %d; the Application event log (source %s) says why", serviceName, q.ServiceSpecificExitCode, serviceName)
			}
			return fmt.Errorf("service %s stopped as it started: Windows error %d", serviceName, code)
		case waited >= serviceWait:
			return fmt.Errorf("service %s is still %s after %s, not %s", serviceName, q.State, serviceWait, want)
		}
		sleep(poll)
	}
}

// runServiceCommand implements "portreach service".
func runServiceCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, serviceUsage)
		return exitUsage
	}
	action, rest := args[0], args[1:]
	switch action {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, serviceUsage)
		return exitOK
	case "install":
		if _, err := serviceArgs(rest); errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, serviceUsage)
			return exitOK
		}
	case "uninstall", "start", "stop":
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "portreach service %s: unexpected argument %q: the flags belong to install\n", action, rest[0])
			return exitUsage
		}
	default:
		fmt.Fprintf(stderr, "portreach service: unknown action %q: install, uninstall, start or stop\n", action)
		return exitUsage
	}
	return manageService(action, rest, stdout, stderr)
}
