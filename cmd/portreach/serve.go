package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portreach/portreach/exporter"
	"github.com/portreach/portreach/profiles"
)

const serveUsage = `Usage:
  portreach serve --allow CIDR [--listen :9469 --web.config.file FILE] [flags]

Run as a Prometheus exporter in the multi-target pattern: Prometheus scrapes

  /probe?target=HOST&profile=SLUG

and portreach scans every port of the profile on HOST, from this machine, and
answers with one series per port (state, up, round-trip time, expectation
failed) and portreach_probe_success for the whole role. Also:
  &ports=T:135,445,U:53   more ports (alone, or added to the profile's)
  &expect=open|closed|reachable|blocked  what the ports= ports must be;
                          reachable and blocked also make the profile's
                          must-be-open entries must-be-reachable (the firewall
                          lets them through) or must-be-blocked (it stops them)
  &role=sql=HOST          map a destination role (repeatable); sql=HOST%5CNAME
                          requires the SQL Server named instance NAME
  &timeout=2s             longest wait for one answer
  &module=NAME            what module NAME of --config.file sets (profiles,
                          ports, expect, timeout, roles, domain); with
                          "ad_hoc_params: false" in the file, only target=,
                          module= and format= are taken
  &format=jsonl           answer JSON Lines (-f jsonl's schema, each result with
                          --name and the address it was scanned from), as
                          "portreach scan --plan" asks a remote source; also
                          with Accept: application/x-ndjson
The scrape timeout Prometheus sends (X-Prometheus-Scrape-Timeout-Seconds),
less --timeout-offset, bounds each scan. /metrics is the exporter's own health;
/ is a page with the profiles, a form and the latest probes.

Targets must be in a network given with --allow (repeatable): without one,
every probe is refused. Host names are resolved once and the address checked is
the address scanned. See docs/exporter.md for scrape configs and alerts, and
deploy/prometheus/ for the files to run many exporters; on Windows,
"portreach service install" runs serve as a service.

It listens on 127.0.0.1:9469, this machine only, unless --web.config.file makes
clients authenticate (basic auth, client certificates): then on :9469, every
address. --listen chooses; a listener other machines reach without
authentication, and an --allow that covers every address, warn at start.

Examples:
  portreach serve --allow 10.20.0.0/16
  portreach serve --web.config.file web.yml --allow 10.20.1.5,10.20.1.6 --concurrency 64
  curl 'http://localhost:9469/probe?target=dc01&profile=domain-controller'
`

// serveCmd holds serve's flags.
type serveCmd struct {
	listen                       string
	allow, profileFiles          listFlag
	maxProbes, maxPorts, history int
	maxPerClient                 int
	maxTime, offset              time.Duration
	name, webConfig, configFile  string
	verbose                      bool
	scanner                      scannerFlags
}

// serveFlags defines serve's flags, by help topic.
func serveFlags(c *serveCmd) *cmdFlags {
	c.allow.split = true
	c.scanner.perProbe = true
	f := newCmdFlags("portreach serve", serveUsage)

	f.Group(groupServe)
	f.StringVar(&c.listen, "listen", "", "listen on `ADDR` (host:port; :PORT for every address) (default: "+loopbackListen+", or :"+strconv.Itoa(exporter.DefaultPort)+" when --web.config.file authenticates clients)")
	f.Var(&c.allow, "allow", "scan only targets in `CIDR` (repeatable or comma-separated; an address is one host)")
	f.StringVar(&c.name, "name", "", "`NAME` of this vantage point in every result, series (vantage label) and the page (default: the host name)")
	f.StringVar(&c.configFile, "config.file", "", "named modules from `FILE` (YAML, as blackbox_exporter's): /probe?target=HOST&module=NAME checks what module NAME sets; the file may turn ad-hoc parameters off (ad_hoc_params: false)")
	f.StringVar(&c.webConfig, "web.config.file", "", "TLS, client certificates and basic auth (bcrypt hashes) from `FILE`: the Prometheus exporter-toolkit web configuration")
	f.IntVar(&c.maxProbes, "max-probes", 4, "`N` probes scanning at once across all scrapes; more wait, then get 503")
	f.Limit("max-probes", 1, math.MaxInt64, "")
	f.IntVar(&c.maxPerClient, "max-probes-per-client", 0, "`N` probes of one client (source address; an IPv6 client's /64) scanning at once; a freed slot goes to the waiting client with the fewest (default: --max-probes less one, at least 1)")
	f.Limit("max-probes-per-client", 0, math.MaxInt64, "")
	f.IntVar(&c.maxPorts, "max-ports", 4096, "refuse probes of more than `N` ports")
	f.Limit("max-ports", 1, math.MaxInt64, "")
	f.IntVar(&c.history, "history", 20, "`N` probes the page lists")
	f.Limit("history", 1, math.MaxInt64, "")
	f.BoolVar(&c.verbose, "verbose", false, "log every probe on standard error, not only refused and failed ones")
	f.Short("v", "verbose")

	f.Group(groupPorts)
	f.Var(&c.profileFiles, "profile-file", "add your own profiles from `FILE` (JSON, the schema of profiles/data)")

	f.Group(groupTiming)
	c.scanner.addTiming(f)
	f.DurationVar(&c.maxTime, "max-time", 30*time.Second, "`DURATION` bounding a probe without a scrape timeout header, and cap of the header's")
	f.Limit("max-time", 1, math.MaxInt64, "")
	f.DurationVar(&c.offset, "timeout-offset", 500*time.Millisecond, "`DURATION` kept free of the scrape timeout (at most a tenth of it)")
	f.Limit("timeout-offset", 0, math.MaxInt64, "")

	f.Group(groupProbes)
	c.scanner.addProbes(f)
	c.scanner.addConfirm(f)
	f.Group(groupTrace)
	c.scanner.addTrace(f)
	return f
}

// loopbackListen is serve's listen address unless --web.config.file
// authenticates clients: an exporter scans what it is asked to, so one that
// anyone can ask stays on this machine until its operator says otherwise.
var loopbackListen = "127.0.0.1:" + strconv.Itoa(exporter.DefaultPort)

// serveGrace is how long a stopping serve lets running probes answer: they are
// bounded by their scrape timeouts, and the process exits after it anyway.
const serveGrace = 10 * time.Second

// runServe implements "portreach serve".
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if ran, code := runAsService(args); ran {
		return code // started by the Windows service control manager
	}
	s, code := startServe(ctx, args, stdout, stderr)
	if s == nil {
		return code
	}
	// A signal: stop accepting, let running probes answer, then exit.
	stop := context.AfterFunc(ctx, func() { s.shutdown(serveGrace) })
	defer stop()
	return s.serve()
}

// badFlag is an error in a flag's spelling or value, which the help explains;
// serveArgs's other errors are about what the flags say.
type badFlag struct{ err error }

func (e *badFlag) Error() string { return e.err.Error() }
func (e *badFlag) Unwrap() error { return e.err }

// serveArgs parses serve's flags and checks what the flag set cannot: no
// positional arguments, a valid allow-list. serve runs with them; service
// install stores them. --help is flag.ErrHelp; an error in the flags
// themselves a *badFlag.
func serveArgs(args []string) (*serveCmd, exporter.AllowList, error) {
	c := &serveCmd{}
	pos, err := serveFlags(c).Parse(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, exporter.AllowList{}, err
		}
		return nil, exporter.AllowList{}, &badFlag{err}
	}
	if len(pos) > 0 {
		return nil, exporter.AllowList{}, fmt.Errorf("unexpected argument %q: targets come with each scrape (/probe?target=HOST)", pos[0])
	}
	allow, err := exporter.ParseAllowList(c.allow.vals...)
	if err != nil {
		return nil, exporter.AllowList{}, fmt.Errorf("--%w", err)
	}
	return c, allow, nil
}

// readModules reads --config.file (size-capped and interruptible, as every
// file a user names) and checks every module as a probe of it would be;
// nil without the flag.
func readModules(ctx context.Context, path string, cat *profiles.Catalog, maxPorts int) (*exporter.Modules, error) {
	if path == "" {
		return nil, nil
	}
	b, err := readInput(ctx, "--config.file", path, limitInput)
	if err != nil {
		return nil, err
	}
	m, err := exporter.ParseModules(path, b, cat, maxPorts)
	if err != nil {
		return nil, fmt.Errorf("--config.file %w", err)
	}
	return m, nil
}

// serveInstance is a started serve: its listener is open.
type serveInstance struct {
	srv     *http.Server
	l       net.Listener
	stderr  io.Writer
	once    sync.Once
	stopped chan struct{} // closed when shutdown has finished
	web     *webConfig    // --web.config.file; nil without
}

// startServe parses serve's arguments, reads the files they name (until ctx
// ends), builds the exporter and opens the listener. On an error or --help it
// has said so (on stderr, or stdout for the help) and returns nil and the exit
// status.
func startServe(ctx context.Context, args []string, stdout, stderr io.Writer) (*serveInstance, int) {
	c, allowList, err := serveArgs(args)
	var fe *badFlag
	switch {
	case errors.Is(err, flag.ErrHelp):
		serveFlags(&serveCmd{}).printHelp(stdout)
		return nil, exitOK
	case errors.As(err, &fe):
		fmt.Fprintf(stderr, "portreach serve: %v (see portreach serve --help)\n", err)
		return nil, exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return nil, exitUsage
	}
	if err := c.scanner.readFiles(ctx); err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return nil, exitFor(exitUsage, err)
	}
	cat, err := profiles.Load()
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return nil, exitUsage
	}
	if err := addProfileFiles(ctx, cat, c.profileFiles.vals); err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return nil, exitFor(exitUsage, err)
	}
	modules, err := readModules(ctx, c.configFile, cat, c.maxPorts)
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return nil, exitFor(exitUsage, err)
	}
	level := slog.LevelInfo
	if c.verbose {
		level = slog.LevelDebug
	}
	web, err := readWebConfig(ctx, c.webConfig)
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return nil, exitFor(exitUsage, err)
	}
	name := c.name
	if name == "" {
		name = hostName()
	}
	exp, err := exporter.New(exporter.Config{
		Name:               name,
		Catalog:            cat,
		Allow:              allowList,
		Scanner:            c.scanner.scanner(),
		MaxProbes:          c.maxProbes,
		MaxProbesPerClient: c.maxPerClient,
		MaxPorts:           c.maxPorts,
		MaxTime:            c.maxTime,
		TimeoutOffset:      c.offset,
		History:            c.history,
		Modules:            modules,
		Version:            version(),
		Logger:             slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return nil, exitUsage
	}

	listen := c.listen
	if listen == "" {
		listen = web.defaultListen()
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return nil, exitUsage
	}
	srv := &http.Server{
		Handler:           exp.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(slog.NewTextHandler(stderr, nil), slog.LevelWarn),
	}
	if allowList.Len() == 0 {
		fmt.Fprintln(stderr, "portreach serve: no --allow given: every probe will be refused until you name the networks to watch")
	}
	if w := web.exposure(l.Addr()); w != "" {
		fmt.Fprintf(stderr, "portreach serve: warning: %s\n", w)
	}
	if fams := allowList.Everything(); len(fams) > 0 {
		fmt.Fprintf(stderr, "portreach serve: warning: --allow %s covers every %s address: whoever can make a request to this exporter can make it scan any host, the Internet included; name the networks it watches\n",
			allowList, strings.Join(fams, " and every "))
	}
	if c.listen == "" && listen == loopbackListen {
		fmt.Fprintf(stderr, "portreach serve: listening on this machine only (the default without authentication): give --listen :%d to be scraped from other machines, with --web.config.file to say who may\n", exporter.DefaultPort)
	}
	fmt.Fprintf(stderr, "portreach serve: listening on %s://%s/ as %q (targets allowed in: %s)\n", web.scheme(), l.Addr(), name, allowList)
	return &serveInstance{srv: srv, l: l, stderr: stderr, stopped: make(chan struct{}), web: web}, exitOK
}

// serve answers requests until shutdown has finished (exit status 0) or the
// listener fails (1).
func (s *serveInstance) serve() int {
	err := s.web.serve(s.srv, s.l, s.stderr)
	if !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(s.stderr, "portreach serve: %v\n", err)
		return exitFailed
	}
	// Serve returns at once when shutdown begins; the running probes answer
	// before it has finished.
	<-s.stopped
	fmt.Fprintln(s.stderr, "portreach serve: stopped")
	return exitOK
}

// shutdown stops accepting and lets running probes answer for up to grace,
// then closes every connection; with grace 0, at once. Safe to call more than
// once and from any goroutine: the first call decides.
func (s *serveInstance) shutdown(grace time.Duration) {
	s.once.Do(func() {
		defer close(s.stopped)
		if grace > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), grace)
			defer cancel()
			if s.srv.Shutdown(ctx) == nil {
				return
			}
		}
		s.srv.Close()
	})
}
