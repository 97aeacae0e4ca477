package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/portreach/portreach/exporter"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/scan"
)

const serveUsage = `Usage:
  portreach serve --listen :9469 --allow CIDR [flags]

Run as a Prometheus exporter in the multi-target pattern: Prometheus scrapes

  /probe?target=HOST&profile=SLUG

and portreach scans every port of the profile on HOST, from this machine, and
answers with one series per port (state, up, round-trip time, expectation
failed) and portreach_probe_success for the whole role. Also:
  &ports=T:135,445,U:53   more ports (alone, or added to the profile's)
  &expect=open|closed     what the ports= ports must be
  &role=sql=HOST          map a destination role (repeatable)
  &timeout=2s             longest wait for one answer
The scrape timeout Prometheus sends (X-Prometheus-Scrape-Timeout-Seconds),
less --timeout-offset, bounds each scan. /metrics is the exporter's own health;
/ is a page with the profiles, a form and the latest probes.

Targets must be in a network given with --allow (repeatable): without one,
every probe is refused. Host names are resolved once and the address checked is
the address scanned. See docs/exporter.md for scrape configs and alerts.

Flags:
`

// runServe implements "portreach serve".
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("portreach serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	allow := listFlag{split: true}
	var profileFiles listFlag
	listen := fs.String("listen", ":"+strconv.Itoa(exporter.DefaultPort), "listen on `ADDR` (host:port; :PORT for every address)")
	fs.Var(&allow, "allow", "scan only targets in `CIDR` (repeatable or comma-separated; an address is one host)")
	maxProbes := fs.Int("max-probes", 4, "probes scanning at once across all scrapes; more wait, then get 503")
	maxPorts := fs.Int("max-ports", 4096, "refuse probes of more than `N` ports")
	maxTime := fs.Duration("max-time", 30*time.Second, "bound of a probe without a scrape timeout header, and cap of the header's")
	offset := fs.Duration("timeout-offset", 500*time.Millisecond, "margin kept free of the scrape timeout (at most a tenth of it)")
	timeout := fs.Duration("timeout", time.Second, "longest wait for one answer (a probe's timeout= overrides it)")
	retries := fs.Int("retries", 1, "further attempts for a silent port (0 for none)")
	rate := fs.Int("rate", 0, "per probe, at most `N` connection attempts and datagrams a second (0: no limit)")
	concurrency := fs.Int("concurrency", 256, "per probe, sockets open at once")
	perHost := fs.Int("per-host", 0, "per probe, sockets open at once towards one host (0: min(1024, concurrency))")
	community := fs.String("snmp-community", "public", "SNMP v1/v2c community for the sysDescr request")
	fs.Var(&profileFiles, "profile-file", "add your own profiles from `FILE` (JSON, the schema of profiles/data)")
	history := fs.Int("history", 20, "probes the page lists")
	verbose := fs.Bool("v", false, "log every probe on standard error, not only refused and failed ones")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, serveUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "portreach serve: %v (see portreach serve --help)\n", err)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "portreach serve: unexpected argument %q: targets come with each scrape (/probe?target=HOST)\n", fs.Arg(0))
		return exitUsage
	}
	allowList, err := exporter.ParseAllowList(allow.vals...)
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: --%v\n", err)
		return exitUsage
	}
	cat, err := profiles.Load()
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return exitUsage
	}
	for _, f := range profileFiles.vals {
		if err := cat.AddFile(f); err != nil {
			fmt.Fprintf(stderr, "portreach serve: %v\n", err)
			return exitUsage
		}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	s := scan.Scanner{
		Timeout:     *timeout,
		Retries:     *retries,
		Rate:        *rate,
		Concurrency: *concurrency,
		PerHost:     *perHost,
		Probes:      probes.Options{SNMPCommunity: *community},
	}
	if *retries == 0 {
		s.Retries = -1
	}
	exp, err := exporter.New(exporter.Config{
		Catalog:       cat,
		Allow:         allowList,
		Scanner:       s,
		MaxProbes:     *maxProbes,
		MaxPorts:      *maxPorts,
		MaxTime:       *maxTime,
		TimeoutOffset: *offset,
		History:       *history,
		Version:       version(),
		Logger:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		fmt.Fprintf(stderr, "portreach serve: %v\n", err)
		return exitUsage
	}

	l, err := net.Listen("tcp", *listen)
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
