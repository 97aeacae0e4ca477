package scan

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// MaxConcurrency is the most sockets a scan may be asked to hold open at once
// (what the command line accepts). A socket costs the engine a few hundred bytes,
// so the bound is the process's descriptor limit (a shortage is waited out, never
// a verdict) and what the network in between can take.
const MaxConcurrency = 65536

// DefaultConcurrency is the ceiling of the default Concurrency: about as many
// half-open connections as a production firewall's session table takes from one
// source without complaint.
const DefaultConcurrency = 4096

// Scanner runs plans. Its zero value is ready to use with the defaults each field
// documents. A Scanner is safe for concurrent use: Scan does not modify it.
type Scanner struct {
	// Timeout is the longest wait for an answer to one attempt, and the ceiling
	// of every host's adaptive timeout. Zero means DefaultTimeout.
	Timeout time.Duration
	// Retries is how many more attempts a silent port gets: nil means
	// DefaultRetries, zero (or less) none, more than MaxRetries MaxRetries.
	// new(n) sets it to n.
	Retries *int
	// Rate caps connection attempts and datagrams per second across the scan.
	// Zero means no cap.
	Rate int
	// Concurrency caps sockets in use at once. Zero means a value sized from the
	// process's file-descriptor limit (at most DefaultConcurrency). With an
	// Engine, the engine's Concurrency is the budget every scan shares, and
	// this caps the scan's own part of it (zero: no cap of its own).
	Concurrency int
	// PerHost caps sockets in use at once towards one host, so that one slow host
	// cannot take every slot. Zero means min(1024, Concurrency). Apart from this
	// cap, at most 128 attempts younger than 50 ms run towards one host at once
	// (see freshCap), so ports that answer at once are not probed in bursts.
	// With an Engine, the engine's PerHost caps every scan's ports towards a
	// host together, and this the scan's own (zero: the engine's).
	PerHost int
	// Engine is the engine the scan runs on, which scans running at the same
	// time may share (see Engine). Nil means an engine of the scan's own,
	// sized by Concurrency and PerHost, for each Scan call.
	Engine *Engine
	// UDPPace is the spacing of the re-probes sent, one at a time, to a host that
	// has shown it sends ICMP errors but left some ports silent: Linux sends about
	// one ICMP error a second to a peer after a burst of six (icmp_ratelimit), so
	// faster re-probes would call closed ports open|filtered. Zero means 1.1s.
	UDPPace time.Duration
	// Probes holds settings for the UDP probes (SNMP community). Zero is fine.
	Probes probes.Options
	// Confirm says which open TCP ports get their service confirmed (a banner,
	// a TLS certificate, a negotiate) and how certificates are judged. The zero
	// value confirms nothing.
	Confirm Confirm
	// Resolver resolves host names. Nil means net.DefaultResolver.
	Resolver *net.Resolver
	// MaxSkew is the largest difference between a server's clock and this
	// machine's that a check passes, read from a Kerberos error's server time or
	// an NTP reply (clock.go). Nil means DefaultMaxSkew; zero (or less) means
	// the clock never fails a check.
	MaxSkew *time.Duration
	// Source is the local address every TCP connection and UDP datagram is sent
	// from, for machines with several addresses (a jump server on two networks):
	// firewall rules are written per source address. It must be an address of
	// this machine, or Scan returns an error; a target of the other address
	// family is reported as an error result. The zero value lets the system
	// choose per target (the address of the route towards it). Either way every
	// result says, in Result.Source, which address the host was scanned from.
	Source netip.Addr
	// Trace traces the path of every filtered port, and of every
	// open|filtered UDP port whose probe expects an answer, with the port's
	// own packets, and reports where they stop in Result.Trace (trace.go).
	// Check TraceSupport first: where the system cannot trace without
	// privileges, a trace reports only that.
	Trace bool
	// MaxHops is the highest TTL a trace tries. Zero means DefaultMaxHops.
	MaxHops int
	// ResolveHops looks up the reverse name of every hop of a trace (with
	// Resolver). Off by default: the lookups go to the DNS servers of this
	// machine, outside the path under test.
	ResolveHops bool
}

// DefaultTimeout is the Timeout of a Scanner that sets none: long enough for an
// answer across a WAN or a VPN, short enough that a dropped port costs little.
const DefaultTimeout = time.Second

// DefaultRetries is the Retries of a Scanner that sets none: one retry, so that
// a single lost packet is not taken for a firewall.
const DefaultRetries = 1

// MaxRetries is the most further attempts a silent port gets: past ten
// retries a lost answer is rarer than a port that is really dropped, and every
// attempt holds a goroutine and a socket while it waits.
const MaxRetries = 10

// run is one Scan call's state.
type run struct {
	*Scanner
	timeout time.Duration
	retries int
	perHost int
	udpPace time.Duration
	maxHops int
	maxSkew time.Duration // Scanner.MaxSkew; zero: never
	opts    probes.Options
	pace    *pacer
	eng     *Engine // its loops run the TCP connect engine (loop.go)
	share   *share  // the scan's part of the engine's sockets
	src     netip.Addr
	budget  *portBudget // Plan.MaxPorts: what the ports the scan adds may take; nil: no limit
	dialer  net.Dialer
	out     *resultQueue
	bufs    sync.Pool
}

// host is one target's shared state during a scan.
type host struct {
	name     string
	addr     netip.Addr
	source   netip.Addr // the local address the host is scanned from
	est      estimator
	cap      *hostCap    // what every scan on the engine shares about the host
	ports    *share      // the scan's part of the host's ports in progress (cap.ports)
	icmpSeen atomic.Bool // the path sends ICMP errors for this host
	traces   *hostTraces // with Scanner.Trace: the host's traces
	tcpLoss  lossMeter   // loss seen in the answers of TCP ports
	udpLoss  lossMeter   // loss seen in the replies of UDP services (not ICMP errors: rate limits blur them)

	// located is what the DC locator knows of the host, nil when it did not
	// find it.
	located *Located

	mu          sync.Mutex
	lastUDPSend time.Time
	// holdAll holds every result until flush (the locator's LDAP pings,
	// whose records are complete only when every DC is found); clocks holds
	// the results that read the host's clock, when both its KDC and its NTP
	// server are planned, so that each can say whether the other agrees.
	holdAll bool
	clocks  bool
	held    []results.Result
}

// lossAttempts is how many attempts a silent port of the host needs, given
// that base are made anyway: the path's loss is the same for TCP and UDP.
func (h *host) lossAttempts(base int) int {
	return max(h.tcpLoss.attempts(base), h.udpLoss.attempts(base))
}

func (h *host) noteUDPSend(t time.Time) {
	h.mu.Lock()
	if t.After(h.lastUDPSend) {
		h.lastUDPSend = t
	}
	h.mu.Unlock()
}

// Scan tests every port of the plan on every target and calls emit once per
// result, from one goroutine at a time, as results are reached (follow-up ports
// that a reply revealed included). When ctx ends, sending stops at once, the
// ports already started are reported as results.Unknown with reason
// "interrupted" (or "max-time" when ctx's deadline passed), as are the ports of
// targets not yet reached, and Scan returns ctx's error after the last emit.
// Closed and filtered ports are results, not errors: Scan returns an error only
// for a plan it cannot run.
func (s *Scanner) Scan(ctx context.Context, plan Plan, emit func(results.Result)) error {
	if s == nil {
		s = &Scanner{}
	}
	ports, err := resolveProbes(plan.Ports)
	if err != nil {
		return err
	}
	plan.Ports = ports
	for i, d := range plan.Domains {
		if err := d.Validate(); err != nil {
			return err
		}
		if d.Ports != nil {
			if plan.Domains[i].Ports, err = resolveProbes(d.Ports); err != nil {
				return err
			}
		}
	}
	if plan.Targets == nil && len(plan.Domains) == 0 {
		return nil
	}
	if err := CheckSource(s.Source); err != nil {
		return err
	}
	targets, budget, err := limitPlan(plan)
	if err != nil {
		return err
	}
	plan.Targets = targets
	r := &run{
		Scanner: s,
		timeout: s.Timeout,
		retries: DefaultRetries,
		perHost: s.PerHost,
		udpPace: s.UDPPace,
		opts:    s.Probes,
		pace:    newPacer(s.Rate),
		src:     s.Source.Unmap(),
		eng:     s.Engine,
		budget:  budget,
	}
	r.bufs.New = func() any { b := make([]byte, 64*1024); return &b }
	if r.src.IsValid() {
		r.dialer.LocalAddr = &net.TCPAddr{IP: r.src.AsSlice(), Zone: r.src.Zone()}
	}
	r.dialer.Control = tcpControl()
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if s.Retries != nil {
		r.retries = min(max(*s.Retries, 0), MaxRetries)
	}
	limit := s.Concurrency // the scan's own cap on a shared engine
	if r.eng == nil {
		r.eng, limit = &Engine{Concurrency: s.Concurrency, PerHost: s.PerHost}, 0
	}
	conc := r.eng.size()
	if limit > 0 {
		conc = min(conc, limit)
	}
	if r.perHost <= 0 {
		r.perHost = min(1024, conc)
	}
	if r.udpPace <= 0 {
		r.udpPace = 1100 * time.Millisecond
	}
	r.maxSkew = DefaultMaxSkew
	if s.MaxSkew != nil {
		r.maxSkew = max(*s.MaxSkew, 0)
	}
	if r.maxHops = s.MaxHops; r.maxHops <= 0 {
		r.maxHops = DefaultMaxHops
	}

	r.share = r.eng.join(limit)
	defer r.eng.leave(r.share)
	stopLoops := context.AfterFunc(ctx, func() {
		_, loops := r.eng.loopsFrom()
		for _, l := range loops {
			l.post(func() { l.stopRun(r) })
		}
	})
	defer stopLoops()

	// On an engine of its own, a scan whose emit is slow slows down (as many
	// results wait as a socket budget's worth); on a shared engine, whose
	// loops run other scans too, results wait for a slow emit instead.
	queued := 1024
	if s.Engine != nil {
		queued = 0
	}
	r.out = newResultQueue(queued)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.out.drain(emit)
	}()

	// Hosts run side by side, as many as the socket budget allows given each
	// host's own cap, so that a scan of many hosts with few ports still fills it.
	perPlan := PortCount(plan.Ports)
	hosts := min(max(conc/max(1, min(perPlan, r.perHost)), 4), 1024)
	var found []Target
	for _, d := range plan.Domains {
		ports := d.Ports
		if ports == nil {
			ports = plan.Ports
		}
		found = append(found, r.locate(ctx, d, ports)...)
	}
	all := slices.Values(found)
	if plan.Targets != nil {
		all = Chain(all, plan.Targets)
	}
	var g errgroup.Group
	g.SetLimit(hosts)
	for t := range all {
		ports := plan.Ports
		if t.Ports != nil {
			// A target's own ports come as the scan goes: a probe unknown
			// here is reported on each of its ports (newUDPJob).
			ports, _ = resolveProbes(t.Ports)
		}
		if stopped(ctx) {
			// Every planned port is accounted for: a host the run never
			// reached is reported, port by port, as unknown.
			r.unstarted(ctx, t, ports)
			continue
		}
		g.Go(func() error {
			r.scanHost(ctx, t, ports)
			return nil
		})
	}
	_ = g.Wait()
	r.out.close()
	<-done
	return ctx.Err()
}

// acquire takes one of the scan's socket slots (Scanner.Concurrency), waiting
// until one is free: a socket the scan opens, of any kind, holds a slot while
// it is open.
func (r *run) acquire() { r.share.acquire(nil) }

// release gives back a slot taken by acquire.
func (r *run) release() { r.share.release() }

// emit hands out a result of target, whose host is h (nil when it has none:
// the target did not resolve), unless h holds it for flush.
func (r *run) emit(h *host, target string, res results.Result) {
	res.Target = target
	if res.Time.IsZero() {
		res.Time = time.Now().UTC()
	}
	results.NoteCheck(&res)
	if h == nil {
		r.out.push(res)
		return
	}
	res.Addr = h.addr
	res.Source = h.source
	if h.hold(res) {
		return
	}
	r.send(h, res, nil)
}

// hold keeps res for flush when h holds it, and reports whether it did.
func (h *host) hold(res results.Result) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.holdAll && !(h.clocks && hasClock(&res)) {
		return false
	}
	h.held = append(h.held, res)
	return true
}

// flush hands out the results h held, each judged with every clock reading
// among them.
func (r *run) flush(h *host) {
	h.mu.Lock()
	held := h.held
	h.held, h.holdAll, h.clocks = nil, false, false
	h.mu.Unlock()
	var clocks []clockReading
	for i := range held {
		if c, ok := readClock(&held[i]); ok {
			clocks = append(clocks, c)
		}
	}
	for _, res := range held {
		r.send(h, res, clocks)
	}
}

// send finishes a result of h and hands it out: the DC locator's records and
// judgement when the locator found h, the clock's judgement (with the host's
// other readings, to compare) when the reply carries the server's time.
func (r *run) send(h *host, res results.Result, clocks []clockReading) {
	if loc := h.located; loc != nil {
		res.Records = loc.Records
		judgeLocated(&res, loc)
	}
	judgeClock(&res, clocks, r.maxSkew)
	if h.traces != nil && h.traces.take(res) {
		return // reported with its trace
	}
	r.out.push(res)
}

func (r *run) scanHost(ctx context.Context, t Target, ports []Port) {
	if t.Addr.IsValid() {
		r.scanAddr(ctx, t, t.Addr, ports)
		return
	}
	addrs, err := r.resolve(ctx, t.Name)
	if err != nil {
		if stopped(ctx) {
			r.unstarted(ctx, t, ports)
			return
		}
		v := classifyLookup(err)
		r.emit(nil, t.Name, withCheck(results.Result{State: v.state, Reason: v.reason, Detail: v.detail(netip.Addr{})}, targetCheck(ports)))
		return
	}
	if !t.AllAddresses || len(addrs) == 1 {
		r.scanAddr(ctx, t, addrs[0], ports)
		return
	}
	// Every address is a host of its own, scanned side by side: each holds
	// the scan's slots as any host does. The first address's ports were
	// planned; each further address adds as many, which a limited scan
	// grants whole or not at all.
	var wg sync.WaitGroup
	for i, a := range addrs {
		if n := PortCount(ports); i > 0 && !r.budget.takeAll(n) {
			res := r.budget.limited(fmt.Sprintf("address %s of %s, one of %d, with %d ports", a, t.Name, len(addrs), n), n)
			res.Proto = ""
			r.emit(&host{name: t.Name, addr: a.Unmap()}, t.Name, withCheck(res, targetCheck(ports)))
			continue
		}
		wg.Go(func() { r.scanAddr(ctx, t, a, ports) })
	}
	wg.Wait()
}

// scanAddr scans the target t at one of its addresses.
func (r *run) scanAddr(ctx context.Context, t Target, addr netip.Addr, ports []Port) {
	t.Addr = addr
	h := &host{name: t.Name, addr: addr.Unmap(), located: t.Located}
	h.est.ceiling = r.timeout
	src, noRoute := r.preflight(ctx, h.addr, r.Source)
	if noRoute != nil {
		if stopped(ctx) {
			r.unstarted(ctx, t, ports)
			return
		}
		r.emit(h, t.Name, withCheck(results.Result{State: noRoute.state, Reason: noRoute.reason, Detail: noRoute.detail(h.addr)}, targetCheck(ports)))
		return
	}
	h.source = src
	h.cap, h.ports = r.eng.host(h.addr)
	defer r.eng.unhost(h.addr, h.ports)
	if r.Trace || slices.ContainsFunc(ports, func(p Port) bool { return p.Trace }) {
		h.traces = newHostTraces(ctx, r, h, ports)
		defer h.traces.wait()
	}
	h.clocks = clockPlanned(ports)
	r.scanOn(ctx, h, ports)
	r.flush(h)
}

// scanOn tests ports on h, a host resolved and routed.
func (r *run) scanOn(ctx context.Context, h *host, ports []Port) {
	t := Target{Name: h.name}
	var g errgroup.Group
	g.SetLimit(r.perHost)
	var udp []*udpJob
	entries := planEPM(ports)
	tcp := connectEntries(entries)
	tcpCount := 0
	for _, p := range entries {
		switch {
		case p.Why != "":
			r.emit(h, t.Name, withCheck(results.Result{Proto: p.Proto, Port: p.Lo, State: results.NotTested, Reason: p.Why}, p.Check))
		case p.Kind == KindDynamicRPC:
			g.Go(func() error { r.epmCheck(ctx, h, p); return nil })
		case p.Proto == results.TCP: // one of connectEntries'
			tcpCount += p.Count()
		case p.Proto == results.UDP:
			for port := int(p.Lo); port <= int(p.hi()); port++ {
				j, err := r.newUDPJob(h, p, uint16(port))
				if err != nil {
					r.emit(h, t.Name, withCheck(results.Result{Proto: results.UDP, Port: uint16(port),
						State: results.Error, Reason: results.ReasonProbeError, Detail: err.Error()}, p.Check))
					continue
				}
				udp = append(udp, j)
			}
		default:
			r.emit(h, t.Name, withCheck(results.Result{Proto: p.Proto, State: results.NotTested,
				Reason: results.ReasonIPProto, Detail: "IP protocol " + string(p.Proto) + " needs raw sockets; test it with a packet capture at the far end"}, p.Check))
		}
	}
	waitTCP := func() {}
	var confirming sync.WaitGroup
	if tcpCount > 0 {
		waitTCP = r.startTCP(ctx, h, tcp, tcpCount, func(res results.Result) {
			// Confirmation talks to the service for up to a few timeouts: off
			// the loop that called out, which must not block.
			if svc := r.serviceFor(tcp, res); svc != nil {
				confirming.Go(func() {
					r.confirm(ctx, h, &res, svc)
					r.emit(h, t.Name, res)
				})
				return
			}
			r.emit(h, t.Name, res)
		})
	}
	if len(udp) > 0 {
		r.startUDP(ctx, h, udp)()
		for _, j := range udp {
			r.followUps(ctx, h, &g, j, ports)
		}
	}
	waitTCP()
	confirming.Wait()
	_ = g.Wait()
}

// connectEntries are the entries the connect engine tests (TCP ports to be
// tested, not dynamic-rpc), in order: entries itself when it holds nothing else,
// so that a long plan is not copied for every host.
func connectEntries(entries []Port) []Port {
	connects := func(p Port) bool { return p.Why == "" && p.Kind != KindDynamicRPC && p.Proto == results.TCP }
	n := 0
	for _, p := range entries {
		if connects(p) {
			n++
		}
	}
	if n == len(entries) {
		return entries
	}
	tcp := make([]Port, 0, n)
	for _, p := range entries {
		if connects(p) {
			tcp = append(tcp, p)
		}
	}
	return tcp
}

// unstarted reports every port planned on a target that the run stopped before
// reaching: unknown, with the reason the run stopped. Entries that would not
// have been sent anything keep their not-tested verdict.
func (r *run) unstarted(ctx context.Context, t Target, ports []Port) {
	var h *host
	if t.Addr.IsValid() {
		h = &host{name: t.Name, addr: t.Addr.Unmap(), located: t.Located}
	}
	planned(ports, stopReason(ctx), func(res results.Result) { r.emit(h, t.Name, res) })
}

// Unmeasured yields what plan would have checked, port by port, where nothing
// was measured: each planned port of each target unknown with reason and
// detail, as the scanner reports the ports a stopped run never reached (entries
// that cannot be tested stay not-tested; a dynamic-rpc entry is its endpoint
// mapper's port). A policy run reports so the checks of a source that could
// not be reached. Targets and ports are as planned; names are not resolved.
func Unmeasured(plan Plan, reason results.Reason, detail string, emit func(results.Result)) {
	for t := range plan.Targets {
		ports := plan.Ports
		if t.Ports != nil {
			ports = t.Ports
		}
		ports, _ = resolveProbes(ports)
		now := time.Now().UTC()
		planned(ports, reason, func(res results.Result) {
			res.Target, res.Addr, res.Time = t.Name, t.Addr.Unmap(), now
			if res.State == results.Unknown {
				res.Detail = detail
			}
			emit(res)
		})
	}
}

// planned yields the results of ports that nothing measured: unknown with
// reason, or not-tested for what cannot be tested.
func planned(ports []Port, reason results.Reason, emit func(results.Result)) {
	for _, p := range ports {
		switch {
		case p.Why != "":
			emit(withCheck(results.Result{Proto: p.Proto, Port: p.Lo, State: results.NotTested, Reason: p.Why}, p.Check))
		case p.Kind == KindDynamicRPC:
			emit(withCheck(results.Result{Proto: results.TCP, Port: cmp.Or(p.EPM, msrpc.EPMPort),
				Probe: ProbeEPM, State: results.Unknown, Reason: reason}, p.Check))
		case p.Proto == results.TCP || p.Proto == results.UDP:
			for port := int(p.Lo); port <= int(p.hi()); port++ {
				res := results.Result{Proto: p.Proto, Port: uint16(port), State: results.Unknown, Reason: reason}
				if p.Proto == results.UDP {
					res.Probe = p.Probe
					if pr, _ := p.udpProbeFor(uint16(port)); pr != nil {
						res.Probe = pr.Name
					}
				}
				emit(withCheck(res, p.Check))
			}
		default:
			emit(withCheck(results.Result{Proto: p.Proto, State: results.NotTested, Reason: results.ReasonIPProto}, p.Check))
		}
	}
}

// targetCheck is the check carried by the one error result of a target that
// could not be scanned at all (its name did not resolve, no route): it stands for
// every check planned on the target, so a scan of a mistyped host name fails
// instead of passing with nothing tested. With nothing expected of the ports
// (a plain -p scan), the target itself was expected: to resolve and be routable.
func targetCheck(ports []Port) *results.Check {
	if c := plannedCheck(ports); c != nil {
		return c
	}
	return &results.Check{Expect: results.ExpectOpen, Purpose: "the target must resolve and be routable"}
}

func plannedCheck(ports []Port) *results.Check {
	var c *results.Check
	for _, p := range ports {
		pc := p.Check
		if !results.Checked(&results.Result{Check: pc}) {
			continue
		}
		if c == nil {
			c = &results.Check{Expect: pc.Expect, Purpose: "every check planned on this target: it must resolve and be routable"}
		}
		for _, prof := range pc.Profiles {
			if !slices.Contains(c.Profiles, prof) {
				c.Profiles = append(c.Profiles, prof)
			}
		}
	}
	return c
}

func withCheck(r results.Result, c *results.Check) results.Result {
	r.Check = c
	return r
}

// resolve looks name up once: its addresses in the resolver's order (the first
// is the one a client tries first), unmapped, each once.
func (r *run) resolve(ctx context.Context, name string) ([]netip.Addr, error) {
	res := r.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	found, err := res.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	for _, a := range found {
		if a = a.Unmap(); !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s: no addresses", name)
	}
	return addrs, nil
}

// preflight asks the kernel for a route to addr without sending anything (a UDP
// connect only binds and routes), so an IPv6 target on a machine without IPv6, or
// an unroutable network, is one clear per-target error rather than a wall of
// per-port failures. It returns the local address the kernel bound: the source
// address of the route (or src, when given), which is what the target's
// firewall sees. A shortage of descriptors or ports is waited out; any other
// failure is named as what it is (classifyRoute), not as a missing route, and
// comes back as the verdict on the whole host.
func (r *run) preflight(ctx context.Context, addr, src netip.Addr) (netip.Addr, *verdict) {
	src = src.Unmap()
	if src.IsValid() && src.Is4() != addr.Is4() {
		v := classifyRoute(addr, src, errOtherFamily)
		return netip.Addr{}, &v
	}
	var local netip.Addr
	var err error
	for backoff := 5 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		if local, err = routeSource(addr, src); err == nil {
			break
		}
		// Out of descriptors: wait, as every socket of the scan does. Not
		// waitOut: here EADDRNOTAVAIL means no address of the family (IPv6
		// switched off), not a passing shortage of ports.
		if !isErrno(err, syscall.EMFILE) && !isErrno(err, syscall.ENFILE) || sleepUntil(ctx, time.Now().Add(backoff)) != nil {
			break
		}
	}
	if err != nil {
		v := classifyRoute(addr, src, unwrapSyscall(err))
		return netip.Addr{}, &v
	}
	return local, nil
}

// routeSourceDial is routeSource through the net package: a UDP socket
// connected to the discard port of addr.
func routeSourceDial(addr, src netip.Addr) (netip.Addr, error) {
	network := "udp4"
	if addr.Is6() {
		network = "udp6"
	}
	c, err := net.DialUDP(network, udpLocal(src), net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 9)))
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}

// udpLocal is the local address UDP sockets bind to: src with any port, or nil
// (any address) when src is the zero value.
func udpLocal(src netip.Addr) *net.UDPAddr {
	if !src.IsValid() {
		return nil
	}
	return &net.UDPAddr{IP: src.AsSlice(), Zone: src.Zone()}
}

// CheckSource returns an error unless src is the zero value or an address of
// this machine, which it tells by binding a UDP socket to it (the system refuses
// an address it does not own: EADDRNOTAVAIL, WSAEADDRNOTAVAIL).
func CheckSource(src netip.Addr) error {
	if !src.IsValid() {
		return nil
	}
	src = src.Unmap()
	if src.IsUnspecified() || src.IsMulticast() {
		return fmt.Errorf("scan: source address %s: not a unicast address", src)
	}
	network := "udp4"
	if src.Is6() {
		network = "udp6"
	}
	c, err := net.ListenUDP(network, udpLocal(src))
	if err != nil {
		// With port 0, the only refusal is EADDRNOTAVAIL (WSAEADDRNOTAVAIL).
		return fmt.Errorf("scan: source address %s is not an address of this machine", src)
	}
	c.Close()
	return nil
}

func unwrapSyscall(err error) error {
	if oe, ok := err.(*net.OpError); ok && oe.Err != nil {
		return oe.Err
	}
	return err
}
