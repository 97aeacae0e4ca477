package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/portreach/portreach/exporter"
	"github.com/portreach/portreach/profiles"
)

const serveUsage = `Usage:
  portreach serve --listen :9469 --allow CIDR [flags]

Run as a Prometheus exporter in the multi-target pattern: Prometheus scrapes

  /probe?target=HOST&profile=SLUG

and portreach scans every port of the profile on HOST, from this machine, and
answers with one series per port (state, up, round-trip time, expectation
failed) and portreach_probe_success for the whole role. Also:
  &ports=T:135,445,U:53   more ports (alone, or added to the profile's)
  &expect=open|closed|reachable  what the ports= ports must be; reachable
                          also makes the profile's must-be-open entries
                          must-be-reachable (firewall-only validation)
  &role=sql=HOST          map a destination role (repeatable); sql=HOST%5CNAME
                          requires the SQL Server named instance NAME
  &timeout=2s             longest wait for one answer
The scrape timeout Prometheus sends (X-Prometheus-Scrape-Timeout-Seconds),
less --timeout-offset, bounds each scan. /metrics is the exporter's own health;
/ is a page with the profiles, a form and the latest probes.

Targets must be in a network given with --allow (repeatable): without one,
every probe is refused. Host names are resolved once and the address checked is
the address scanned. See docs/exporter.md for scrape configs and alerts.

Examples:
  portreach serve --allow 10.20.0.0/16
  portreach serve --listen 127.0.0.1:9469 --allow 10.20.1.5,10.20.1.6 --concurrency 64
  curl 'http://localhost:9469/probe?target=dc01&profile=domain-controller'
`

// serveCmd holds serve's flags.
type serveCmd struct {
	listen                       string
	allow, profileFiles          listFlag
	maxProbes, maxPorts, history int
	maxTime, offset              time.Duration
	verbose                      bool
	scanner                      scannerFlags
}

// serveFlags defines serve's flags, by help topic.
func serveFlags(c *serveCmd) *cmdFlags {
	c.allow.split = true
	c.scanner.perProbe = true
	c.scanner.concurrency = 256
	f := newCmdFlags("portreach serve", serveUsage)

	f.Group(groupServe)
	f.StringVar(&c.listen, "listen", ":"+strconv.Itoa(exporter.DefaultPort), "listen on `ADDR` (host:port; :PORT for every address)")
	f.Var(&c.allow, "allow", "scan only targets in `CIDR` (repeatable or comma-separated; an address is one host)")
	f.IntVar(&c.maxProbes, "max-probes", 4, "`N` probes scanning at once across all scrapes; more wait, then get 503")
	f.Limit("max-probes", 1, math.MaxInt64, "")
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
	return f
}

// runServe implements "portreach serve".
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &serveCmd{}
	f := serveFlags(c)
	pos, code, quit := f.parseArgs(args, stdout, stderr)
	if quit {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "portreach serve: unexpected argument %q: targets come with each scrape (/probe?target=HOST)\n", pos[0])
		return exitUsage
	}
	allowList, err := exporter.ParseAllowList(c.allow.vals...)
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: --%v\n", err)
		return exitUsage
	}
	cat, err := profiles.Load()
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return exitUsage
	}
	for _, f := range c.profileFiles.vals {
		if err := cat.AddFile(f); err != nil {
			fmt.Fprintf(stderr, "portreach serve: %v\n", err)
			return exitUsage
		}
	}
	level := slog.LevelInfo
	if c.verbose {
		level = slog.LevelDebug
	}
	exp, err := exporter.New(exporter.Config{
		Catalog:       cat,
		Allow:         allowList,
		Scanner:       c.scanner.scanner(),
		MaxProbes:     c.maxProbes,
		MaxPorts:      c.maxPorts,
		MaxTime:       c.maxTime,
		TimeoutOffset: c.offset,
		History:       c.history,
		Version:       version(),
		Logger:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return exitUsage
	}

	l, err := net.Listen("tcp", c.listen)
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return exitUsage
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
	fmt.Fprintf(stderr, "portreach serve: listening on http://%s/ (targets allowed in: %s)\n", l.Addr(), allowList)

	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return exitFailed
	case <-ctx.Done():
	}
	// A signal: stop accepting, let running probes answer (they are bounded by
	// their scrape timeouts), then exit.
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	fmt.Fprintln(stderr, "portreach serve: stopped")
	return exitOK
}
