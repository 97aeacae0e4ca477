// Package exporter serves portreach's checks to Prometheus in the multi-target
// exporter pattern that blackbox_exporter made familiar: Prometheus scrapes
// /probe?target=HOST&profile=SLUG, the exporter scans the whole role profile
// against that host, from where the exporter runs, and answers with one series
// per port. Prometheus brings the scheduling, storage, alerting and federation;
// several exporters, one per network segment, show reachability from each.
//
// The package owns the HTTP handlers (/probe, /metrics for the exporter's own
// health, and a small HTML page), the metrics, the target allow-list and the
// limit on simultaneous probes. Scanning is the scan package's; turning profiles
// into ports is package checklist's, as for "portreach scan --profile", so that a
// probe checks exactly what the command checks.
package exporter

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portreach/portreach/checklist"
	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

// DefaultPort is the exporter's default TCP port, 9469. Prometheus keeps a list
// of default ports so that exporters on one machine do not collide (the
// "default port allocations" page of its wiki, 9100 onwards); docs/exporter.md
// says how this one was chosen.
const DefaultPort = 9469

// minScrapeTimeout is the shortest scrape timeout accepted.
const minScrapeTimeout = 10 * time.Millisecond

// renderCost is the time reserved, per port, for rendering a probe's answer.
const renderCost = 200 * time.Microsecond

// ScrapeTimeoutHeader is the header in which Prometheus (since 1.x) tells a
// target how many seconds it will wait for the scrape: the scrape_timeout of the
// job, as a decimal number.
const ScrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// Config configures an Exporter. Zero values mean the defaults each field names.
type Config struct {
	// Catalog holds the profiles that probes may name. Nil means only ports=
	// probes are possible.
	Catalog *profiles.Catalog
	// Allow is the set of networks targets and role hosts may be in. Its zero
	// value refuses every probe.
	Allow AllowList
	// Scanner is the template of every probe's scanner (timeout, retries, rate,
	// sockets, resolver); it is copied, never modified. A probe's timeout=
	// overrides Timeout. Every probe runs on one engine (scan.Engine): its
	// Engine, or when that is nil one that New makes with its Concurrency and
	// PerHost, which then bound the sockets of all probes together (shared
	// fairly among the probes running) rather than of each.
	Scanner scan.Scanner
	// MaxProbes caps probes scanning at once across all scrapes. A probe that
	// finds every slot taken waits at most half of its time bound, then gets 503.
	// Zero means 4.
	MaxProbes int
	// MaxProbesPerClient caps the probes of one client (a source address; an
	// IPv6 client's /64) scanning at once, so that one client cannot hold
	// every slot. Waiting probes are served fairly: a freed slot goes to the
	// waiting client with the fewest probes scanning. Zero means MaxProbes
	// less one (at least 1): a slot is always left to another client. At
	// most MaxProbes.
	MaxProbesPerClient int
	// MaxPorts caps the ports one probe may test (profile entries and ports=
	// together). Zero means 4096.
	MaxPorts int
	// MaxTime bounds a probe whose request carries no scrape timeout header, and
	// caps the bound the header gives. Zero means 30s.
	MaxTime time.Duration
	// TimeoutOffset is kept free of the scrape timeout for the answer to travel
	// back: a probe's scan ends TimeoutOffset (at most a tenth of the scrape
	// timeout) before Prometheus would give up. Zero means 500ms.
	TimeoutOffset time.Duration
	// WriteTimeout bounds the writing of a probe's answer, from the end of its
	// scan: a client that asks and never reads must not hold the answer (tens
	// of megabytes for thousands of ports) for longer. Zero means 10s.
	WriteTimeout time.Duration
	// History is how many recent probes the page lists. Zero means 20.
	History int
	// Version is shown on the page and in portreach_exporter_build_info.
	Version string
	// Name names this vantage point (serve --name): in every result of a
	// JSON Lines answer (results.Vantage, with the address each host was
	// scanned from), in the vantage label of every per-port and per-host
	// series, and on the page. Empty means unnamed: no vantage label.
	Name string
	// Modules are the named modules of serve's --config.file (ParseModules):
	// module=NAME in a probe stands for the profiles, ports and settings the
	// module sets, and the file may turn ad-hoc parameters off. Nil means no
	// modules: a probe gives its parameters itself.
	Modules *Modules
	// Logger receives one line per probe (debug level) and per refused or failed
	// probe (info or warn). Nil means no logging.
	Logger *slog.Logger
}

// Exporter serves the probe, metrics and page handlers. Build it with New; it is
// safe for concurrent use.
type Exporter struct {
	cfg     Config
	gate    *gate
	self    *selfMetrics
	history *history
	// rejected counts the requests refused before any scan, which the page
	// does not list.
	rejected struct{ bad, refused atomic.Int64 }
	page     *template.Template
	log      *slog.Logger
	// traceOK reports, once for the exporter's life, whether this system
	// can trace (trace=1); the first probe that asks logs why not.
	traceOK func() bool
}

// New checks cfg and builds an Exporter.
func New(cfg Config) (*Exporter, error) {
	if cfg.MaxProbes <= 0 {
		cfg.MaxProbes = 4
	}
	if cfg.MaxProbesPerClient <= 0 {
		cfg.MaxProbesPerClient = max(cfg.MaxProbes-1, 1)
	}
	cfg.MaxProbesPerClient = min(cfg.MaxProbesPerClient, cfg.MaxProbes)
	if cfg.MaxPorts <= 0 {
		cfg.MaxPorts = 4096
	}
	if cfg.MaxTime <= 0 {
		cfg.MaxTime = 30 * time.Second
	}
	if cfg.TimeoutOffset <= 0 {
		cfg.TimeoutOffset = 500 * time.Millisecond
	}
	if cfg.History <= 0 {
		cfg.History = 20
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.Version == "" {
		cfg.Version = "devel"
	}
	gate := newGate(cfg.MaxProbes, cfg.MaxProbesPerClient)
	self, err := newSelfMetrics(cfg, gate)
	if err != nil {
		return nil, err
	}
	page, err := parsePage()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	traceOK := sync.OnceValue(func() bool {
		if err := scan.TraceSupport(); err != nil {
			log.Warn("trace=1: probes go on without traces", "reason", err.Error())
			return false
		}
		return true
	})
	if cfg.Scanner.Trace && !traceOK() {
		cfg.Scanner.Trace = false
	}
	if cfg.Scanner.Engine == nil {
		// One engine for every probe: its loops (an OS thread each), its
		// sockets and its caps towards one host, whatever the number of
		// probes running.
		cfg.Scanner.Engine = &scan.Engine{Concurrency: cfg.Scanner.Concurrency, PerHost: cfg.Scanner.PerHost}
		cfg.Scanner.Concurrency, cfg.Scanner.PerHost = 0, 0
	}
	return &Exporter{
		cfg:     cfg,
		gate:    gate,
		self:    self,
		history: newHistory(cfg.History),
		page:    page,
		log:     log,
		traceOK: traceOK,
	}, nil
}

// Handler serves / (the page), /probe and /metrics.
func (e *Exporter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/probe", e.ServeProbe)
	mux.Handle("/metrics", e.MetricsHandler())
	mux.HandleFunc("/{$}", e.ServePage)
	return mux
}

// MetricsHandler serves the exporter's own metrics: Go runtime and process
// statistics, probes served by outcome, probes in flight, probe durations.
func (e *Exporter) MetricsHandler() http.Handler {
	return promhttp.InstrumentMetricHandler(e.self.reg, promhttp.HandlerFor(e.self.reg, promhttp.HandlerOpts{}))
}

// Outcomes of a /probe request, the values of portreach_exporter_probes_total's
// outcome label.
const (
	outcomeSuccess  = "success"     // scanned; every expectation held
	outcomeFailure  = "failure"     // scanned; an expectation failed, a host did not resolve, or the bound cut the scan short
	outcomeBad      = "bad_request" // 400: bad parameters
	outcomeRefused  = "refused"     // 403: a target outside the allow-list
	outcomeBusy     = "busy"        // 503: every probe slot stayed taken
	outcomeCanceled = "canceled"    // the client went away before the scan finished
	outcomeError    = "error"       // 500: a plan the scanner could not run
)

var outcomes = []string{outcomeSuccess, outcomeFailure, outcomeBad, outcomeRefused, outcomeBusy, outcomeCanceled, outcomeError}

// refused is a target outside the allow-list: 403.
type refused struct{ msg string }

func (e *refused) Error() string { return e.msg }

// ServeProbe runs one probe: one scan of the request's profiles (and ports)
// against its target, bounded by the scrape timeout, answered in the Prometheus
// exposition format.
func (e *Exporter) ServeProbe(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &probeRecord{Time: start.UTC(), Target: r.URL.Query().Get(paramTarget),
		Profile: strings.Join(r.URL.Query()[paramProfile], ",")}
	if m := r.URL.Query().Get(paramModule); m != "" {
		rec.Profile = strings.TrimPrefix(rec.Profile+", ", ", ") + paramModule + "=" + m
	}
	if len(r.URL.RawQuery) <= maxQuery {
		rec.Query = r.URL.RawQuery
	}
	rec.Target, rec.Profile = clip(rec.Target), clip(rec.Profile)
	status, outcome, msg := e.probe(w, r, start, rec)
	rec.Duration = time.Since(start)
	rec.Status, rec.Outcome, rec.Message = status, outcome, msg
	e.self.probes.WithLabelValues(outcome).Inc()
	if status == http.StatusOK {
		e.self.duration.Observe(rec.Duration.Seconds())
	}
	// A request refused before any scan (400, 403, 405) is not a probe: the
	// page counts such requests and lists only probes, so that anyone who can
	// reach the port cannot push the operator's probes off it with junk.
	switch status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed:
		e.rejected.bad.Add(1)
	case http.StatusForbidden:
		e.rejected.refused.Add(1)
	default:
		e.history.add(rec)
	}
	level := slog.LevelDebug
	switch {
	case status >= 500:
		level = slog.LevelWarn
	case status != http.StatusOK:
		level = slog.LevelInfo
	}
	e.log.Log(r.Context(), level, "probe", "query", r.URL.RawQuery, "remote", r.RemoteAddr,
		"status", status, "outcome", outcome, "duration", rec.Duration.Round(time.Millisecond), "msg", msg)
}

func (e *Exporter) probe(w http.ResponseWriter, r *http.Request, start time.Time, rec *probeRecord) (status int, outcome, msg string) {
	fail := func(status int, outcome string, err error) (int, string, string) {
		msg := err.Error()
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		http.Error(w, "portreach: "+msg, status)
		return status, outcome, msg
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return fail(http.StatusMethodNotAllowed, outcomeBad, fmt.Errorf("method %s: use GET", r.Method))
	}
	q, err := e.cfg.Modules.apply(r.URL.Query())
	if err != nil {
		return fail(http.StatusBadRequest, outcomeBad, err)
	}
	req, err := parseProbe(q, e.cfg.Catalog)
	if err != nil {
		return fail(http.StatusBadRequest, outcomeBad, err)
	}
	bound, err := e.bound(r.Header)
	if err != nil {
		return fail(http.StatusBadRequest, outcomeBad, err)
	}
	deadline := start.Add(bound)
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()

	plan, early, nports, err := e.plan(ctx, req)
	if err != nil {
		var b *badRequest
		var f *refused
		switch {
		case errors.As(err, &b):
			return fail(http.StatusBadRequest, outcomeBad, err)
		case errors.As(err, &f):
			return fail(http.StatusForbidden, outcomeRefused, err)
		case r.Context().Err() != nil:
			return 0, outcomeCanceled, "client went away"
		}
		return fail(http.StatusInternalServerError, outcomeError, err)
	}

	for i := range early {
		e.name(&early[i])
	}
	res := early
	var lines *jsonLines
	if req.jsonl || acceptsJSONL(r.Header) {
		lines = &jsonLines{w: w, held: slices.Clone(early), stall: e.cfg.WriteTimeout}
	}
	var scanErr error
	if ctx.Err() == nil {
		// Wait for a slot for at most half the bound: a probe that starts later
		// would have too little time left to be worth running.
		client := clientKey(r.RemoteAddr)
		if ok, why := e.gate.acquire(ctx, client, start.Add(bound/2)); !ok {
			if r.Context().Err() != nil {
				return 0, outcomeCanceled, "client went away"
			}
			wait := (bound / 2).Round(time.Millisecond)
			if why == busyClient {
				return fail(http.StatusServiceUnavailable, outcomeBusy,
					fmt.Errorf("busy: %d probes of this client (%s) already running (--max-probes-per-client); none finished within %s", e.cfg.MaxProbesPerClient, client, wait))
			}
			return fail(http.StatusServiceUnavailable, outcomeBusy,
				fmt.Errorf("busy: %d probes already running (--max-probes); none finished within %s", e.cfg.MaxProbes, wait))
		}
		// Rendering the answer takes time too (about 0.1-0.2 ms a port on a busy
		// machine: eight state series each); the scan ends early enough to leave it.
		deadline = deadline.Add(-min(time.Duration(nports)*renderCost, bound/4))
		ctx, cancelScan := context.WithDeadline(ctx, deadline)
		defer cancelScan()
		e.self.inFlight.Inc()
		s := e.cfg.Scanner // a copy: the template is shared by every probe
		if req.timeout > 0 {
			s.Timeout = req.timeout
		}
		if req.trace != nil {
			s.Trace = *req.trace && e.traceOK()
		}
		scanErr = s.Scan(ctx, plan, func(r results.Result) {
			e.name(&r)
			res = append(res, r)
			if lines != nil {
				lines.write(r)
			}
		})
		e.self.inFlight.Dec()
		e.gate.release(client)
	} else {
		scanErr = ctx.Err() // name resolution used up the bound
	}
	var tooMany *scan.TooManyPortsError
	switch {
	case r.Context().Err() != nil:
		return 0, outcomeCanceled, "client went away"
	case errors.As(scanErr, &tooMany):
		// Refused before a result: the JSON Lines answer has not started.
		return fail(http.StatusBadRequest, outcomeBad, tooManyPorts(tooMany))
	case scanErr != nil && !errors.Is(scanErr, context.DeadlineExceeded) && (lines == nil || !lines.started):
		return fail(http.StatusInternalServerError, outcomeError, scanErr)
	}
	// The scanner reports ports it could not finish as unknown; it may end at
	// the deadline before the context's timer has fired.
	incomplete := scanErr != nil || !time.Now().Before(deadline) ||
		slices.ContainsFunc(res, func(r results.Result) bool { return r.State == results.Unknown })
	elapsed := time.Since(start)

	results.Sort(res)
	success := probeSucceeded(res, incomplete)
	if lines != nil {
		rec.setResults(res, success, incomplete)
		lines.finish()
		if success {
			return http.StatusOK, outcomeSuccess, ""
		}
		return http.StatusOK, outcomeFailure, rec.Summary
	}
	reg, err := probeRegistry(res, probeSummary{
		success:    success,
		incomplete: incomplete,
		duration:   elapsed,
		bound:      bound,
	})
	if err != nil {
		return fail(http.StatusInternalServerError, outcomeError, err)
	}
	rec.setResults(res, success, incomplete)
	// Not supported by every ResponseWriter (test recorders): then unbounded.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(e.cfg.WriteTimeout))
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	if success {
		return http.StatusOK, outcomeSuccess, ""
	}
	return http.StatusOK, outcomeFailure, rec.Summary
}

// clip shortens what the page shows of a parameter.
func clip(s string) string {
	if len(s) > 128 {
		return strings.ToValidUTF8(s[:128], "") + "…"
	}
	return s
}

// bound is how long a probe may take: the scrape timeout Prometheus announces,
// less a margin for the answer to travel back, and never more than MaxTime.
func (e *Exporter) bound(h http.Header) (time.Duration, error) {
	v := h.Get(ScrapeTimeoutHeader)
	if v == "" {
		return e.cfg.MaxTime, nil
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || secs <= 0 {
		return 0, bad("%s %q: want a positive number of seconds", ScrapeTimeoutHeader, v)
	}
	t := time.Duration(min(secs, 1e6) * float64(time.Second)) // no overflow; MaxTime caps it anyway
	if t < minScrapeTimeout {
		return 0, bad("%s %q: shorter than %s, too short for any scan", ScrapeTimeoutHeader, v, minScrapeTimeout)
	}
	margin := min(e.cfg.TimeoutOffset, t/10)
	return min(t-margin, e.cfg.MaxTime), nil
}

// plan builds the scan of a probe: the target and every role host resolved once
// and checked against the allow-list, so that the address checked is the address
// scanned (a name whose DNS answer changes between a check and a connect — DNS
// rebinding — cannot steer the scan elsewhere). It returns results reached before
// scanning: unmapped roles (skipped) and names that did not resolve (error).
func (e *Exporter) plan(ctx context.Context, req *probeRequest) (scan.Plan, []results.Result, int, error) {
	var plan scan.Plan
	item := checklist.Item{
		Profiles: req.profiles, Roles: req.roles,
		Ports: req.ports, Expect: req.expect, ExpectFrom: paramExpect + "=" + string(req.expect), AllAddresses: req.all,
	}
	if req.target.Name != "" {
		item.Targets = []string{req.target.Name}
	}
	if d := req.domain; d != nil {
		// The DNS server asked and every DC found are held to the allow-list
		// as a target is: a DC outside it is reported, not scanned.
		if d.DNSServer.IsValid() && !e.hostAllowed(d.DNSServer.Addr()) {
			return plan, nil, 0, &refused{fmt.Sprintf("dns_server %s is not in the allow-list (%s); start portreach serve with --allow to permit its network", d.DNSServer.Addr(), e.cfg.Allow)}
		}
		dom := *d
		dom.Allow = e.hostAllowed
		item.Domain = &dom
	}
	pl, err := checklist.Build(ctx, checklist.Request{
		Catalog:  e.cfg.Catalog,
		MaxPorts: e.cfg.MaxPorts,
		Items:    []checklist.Item{item},
	})
	var nothing *checklist.NothingToTestError
	var tooMany *scan.TooManyPortsError
	switch {
	case errors.As(err, &nothing):
		// Every port is on a destination role and none is mapped: a scrape that
		// tests nothing would report success forever.
		return plan, nil, 0, bad("nothing to test: the profile's ports are on destination roles (%s); map them with role=ROLE=HOST",
			strings.Join(nothing.Unmapped, ", "))
	case errors.As(err, &tooMany):
		return plan, nil, 0, tooManyPorts(tooMany)
	case errors.Is(err, checklist.ErrExpectNeedsPorts):
		return plan, nil, 0, bad("expect applies to ports= ports; profiles set their own expectations (expect=reachable or expect=blocked turns them into must-be-reachable or must-be-blocked)")
	case err != nil:
		return plan, nil, 0, bad("%v", err)
	}
	// The scanner holds the probe to --max-ports (scan.Plan.MaxPorts): the
	// ports planned, and those replies add as it goes (a SQL Browser's
	// instances, an endpoint mapper's registered ports).
	plan.Ports, plan.MaxPorts = pl.Scan.Ports, pl.Scan.MaxPorts
	plan.Domains = pl.Scan.Domains
	early := pl.Skipped

	var scanned []scan.Target
	nports := pl.Ports
	for t := range pl.Scan.Targets {
		addrs := []netip.Addr{t.Addr}
		if !t.Addr.IsValid() {
			var err error
			addrs, err = e.resolve(ctx, t.Name, t.AllAddresses)
			var f *refused
			switch {
			case errors.As(err, &f):
				return plan, nil, 0, err
			case err != nil:
				if errors.Is(ctx.Err(), context.Canceled) {
					return plan, nil, 0, ctx.Err() // the client went away
				}
				// Not resolved, or not within the probe's bound: the answer says so.
				early = append(early, results.Result{Target: t.Name, State: results.Error,
					Reason: results.ReasonResolveFailed, Detail: err.Error(), Time: time.Now().UTC()})
				continue
			}
		}
		for i, a := range addrs {
			if a := a.Unmap(); a.IsUnspecified() || a.IsMulticast() {
				// An address given as such (resolve permits none of these):
				// 0.0.0.0 and :: reach this machine itself, whatever network
				// they seem to be in; a multicast group is not a host.
				return plan, nil, 0, bad("target %s: not a host address", a)
			}
			if !e.hostAllowed(a) {
				return plan, nil, 0, &refused{fmt.Sprintf("target %s is not in the allow-list (%s); start portreach serve with --allow to permit its network", a, e.cfg.Allow)}
			}
			one := t
			one.Addr, one.AllAddresses = a, false
			scanned = append(scanned, one)
			if ports := t.Ports; i > 0 { // each further address is a host of its own
				if ports == nil {
					ports = pl.Scan.Ports
				}
				nports += scan.PortCount(ports)
			}
		}
	}
	if nports > e.cfg.MaxPorts {
		// Every address of a name (addresses=all), before waiting for a slot:
		// the scanner would refuse the plan too.
		return plan, nil, 0, tooManyPorts(&scan.TooManyPortsError{Ports: nports, Max: e.cfg.MaxPorts})
	}
	plan.Targets = slices.Values(scanned)
	return plan, early, nports, nil
}

// tooManyPorts is the 400 of a probe of more ports than --max-ports.
func tooManyPorts(e *scan.TooManyPortsError) error {
	return bad("%d ports to test; this exporter allows at most %d a probe (--max-ports)", e.Ports, e.Max)
}

// resolve looks a name up once and returns the first address the allow-list
// permits, in the resolver's order (the scanner's own choice is the first), or
// with all every address, each of which the allow-list must permit. An
// address that is no host (0.0.0.0, ::, multicast) is never permitted.
//
// A refusal reveals nothing about what the name resolves to: its 403 is the
// same whatever the addresses (a client outside could otherwise learn the
// internal addresses behind any name, one request each). The operator's log
// has them.
func (e *Exporter) resolve(ctx context.Context, name string, all bool) ([]netip.Addr, error) {
	res := e.cfg.Scanner.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	found, err := res.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%s: no addresses", name)
	}
	var addrs []netip.Addr
	for _, a := range found {
		if a = a.Unmap(); !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	for _, a := range addrs {
		switch allowed := e.hostAllowed(a); {
		case all && !allowed:
			e.log.Info("allow-list: a name resolves outside it", "target", name, "addresses", addrList(addrs), "refused", a)
			return nil, &refused{fmt.Sprintf("target %s: not every address it resolves to is in the allow-list (%s); addresses=all scans every address: start portreach serve with --allow to permit its networks",
				name, e.cfg.Allow)}
		case !all && allowed:
			return []netip.Addr{a}, nil
		}
	}
	if all {
		return addrs, nil
	}
	e.log.Info("allow-list: a name resolves outside it", "target", name, "addresses", addrList(addrs))
	return nil, &refused{fmt.Sprintf("target %s: no address it resolves to is in the allow-list (%s); start portreach serve with --allow to permit its network",
		name, e.cfg.Allow)}
}

// hostAllowed reports whether a may be scanned: a host address (0.0.0.0 and
// :: reach this machine itself, whatever network they seem to be in; a
// multicast group is not a host) in the allow-list.
func (e *Exporter) hostAllowed(a netip.Addr) bool {
	a = a.Unmap()
	return !a.IsUnspecified() && !a.IsMulticast() && e.cfg.Allow.Allows(a)
}

// addrList is addresses for a log line.
func addrList(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// probeSucceeded is the whole probe's verdict: every expectation held (see
// results.Fails), every host resolved and could be routed to, and the scan
// finished within its bound.
func probeSucceeded(rs []results.Result, incomplete bool) bool {
	if incomplete {
		return false
	}
	for i := range rs {
		if results.Fails(&rs[i]) || (rs[i].State == results.Error && rs[i].Check == nil) {
			return false
		}
	}
	return true
}
