package scan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// Traces (Scanner.Trace): where on the way to a host a filtered port's packets
// stop. A trace sends the port's own packets (a TCP SYN to the port, or the UDP
// probe's request) with TTL 1, 2, 3 … from one fixed source port, so every probe
// has the same five-tuple and a load balancer on the way keeps them on one path
// (the Paris traceroute rule), one at a time, and reads who answered each:
// ICMP time-exceeded from a router, an ICMP unreachable, the host itself, or
// nothing. It stops at the host, at an unreachable, after MaxHops, or after
// silentGap silent hops in a row.
//
// A filtered port gets a trace; the other ports of its plan entry that the host
// treats alike (the same reason, from the same sender) share it, so a dropped
// range of 16384 ports costs one trace. Traces run side by side, each holding a
// socket slot (Scanner.Concurrency) while it probes, and a port that waits for
// its trace is reported when the trace is over.

// DefaultMaxHops is the highest TTL a trace tries when Scanner.MaxHops is zero.
const DefaultMaxHops = 30

// silentGap is how many silent hops in a row end a trace. Past the place where
// a port is dropped every hop is silent, so each one more costs a timeout and
// tells nothing; a gap this long inside a working path (routers that never
// send time-exceeded, one after another) is rare, and a shorter gap in front
// of routers that answer is crossed.
const silentGap = 3

// hopAttempts is how many probes a silent hop gets: two (one with Retries < 0),
// as a rate-limited router (Linux: about one ICMP error a second per peer after
// a burst of six) or a lost packet can leave a hop silent once.
func (r *run) hopAttempts() int { return 1 + min(r.retries, 1) }

// hopAnswer is what one probe of a trace drew.
type hopAnswer struct {
	// reason is ReasonTTLExceeded for a router on the way, an ICMP
	// unreachable's reason, or the host's own answer (syn-ack, conn-refused,
	// udp-response, port-unreachable); "" when nothing answered.
	reason results.Reason
	from   netip.Addr
	rtt    time.Duration
}

// hopProber sends the probes of one trace, one at a time, all with the same
// five-tuple. probe returns an error only when this machine could not send
// (which ends the trace without a verdict).
type hopProber interface {
	probe(ctx context.Context, ttl int, wait time.Duration) (hopAnswer, error)
	close()
}

// errNoICMPDetail is a probe's error when the system reported an ICMP error
// for a TCP connect without queueing what it said: Linux before 5.8.
var errNoICMPDetail = errors.New("this kernel does not report the ICMP errors of TCP connects to programs (Linux 5.8 and later do)")

// walk probes TTL 1 to maxHops with p and returns the hops, ending at the
// host's answer, at an ICMP unreachable, or after silentGap silent hops.
func walk(ctx context.Context, p hopProber, maxHops, attempts int, wait time.Duration) ([]results.Hop, error) {
	var hops []results.Hop
	silent := 0
	for ttl := 1; ttl <= maxHops && !stopped(ctx); ttl++ {
		var a hopAnswer
		for k := 0; k < attempts && a.reason == "" && !stopped(ctx); k++ {
			var err error
			if a, err = p.probe(ctx, ttl, wait); err != nil {
				return hops, err
			}
		}
		if stopped(ctx) {
			break
		}
		h := results.Hop{TTL: ttl, Reason: a.reason, Addr: a.from, RTT: a.rtt}
		if a.reason == "" {
			h = results.Hop{TTL: ttl, Reason: results.ReasonNoResponse}
		}
		hops = append(hops, h)
		switch {
		case a.reason == "":
			if silent++; silent >= silentGap {
				return hops, nil
			}
		case a.reason == results.ReasonTTLExceeded:
			silent = 0
		default:
			return hops, nil // the host answered, or an unreachable: the end
		}
	}
	return hops, nil
}

// hostAnswers are the reasons a host's own answer to a trace probe comes with.
var hostAnswers = []results.Reason{results.ReasonSynAck, results.ReasonConnRefused, results.ReasonUDPResponse, results.ReasonPortUnreach}

// traceVerdict reads a trace's hops towards dst: where they stop and who is
// there. hostHop is the host's distance learnt from another of its ports (0:
// unknown), which tells a host that drops the port from a router before it.
func traceVerdict(hops []results.Hop, dst netip.Addr, hostHop int) *results.Trace {
	t := &results.Trace{End: results.TraceDropped, HostHop: hostHop, Hops: hops}
	if len(hops) == 0 {
		return t
	}
	last := hops[len(hops)-1]
	switch {
	case last.Reason == results.ReasonNoResponse || last.Reason == results.ReasonTTLExceeded:
		// Silent at the end (or still answering at MaxHops): the packets go
		// no further than the last hop that answered.
		for i := len(hops) - 1; i >= 0; i-- {
			if hops[i].Reason == results.ReasonTTLExceeded {
				t.Hop, t.Addr, t.Name = hops[i].TTL, hops[i].Addr, hops[i].Name
				break
			}
		}
		if hostHop > 0 && t.Hop == hostHop-1 {
			t.End = results.TraceHostDrops
		}
	case slices.Contains(hostAnswers, last.Reason):
		t.End, t.Hop, t.Addr, t.Reason = results.TraceReached, last.TTL, last.Addr, last.Reason
		t.Name = last.Name
	case last.Addr == dst:
		t.End, t.Hop, t.Addr, t.Reason = results.TraceHostRejects, last.TTL, last.Addr, last.Reason
	default:
		// An unreachable from a router. A router that filters forwarded
		// packets answers the TTL that reaches it with time-exceeded (the TTL
		// is checked first) and rejects the next: it is the hop that answered
		// from the same address. One that filters before the TTL check
		// rejects at its own hop.
		t.End, t.Hop, t.Addr, t.Reason, t.Name = results.TraceRejected, last.TTL, last.Addr, last.Reason, last.Name
		for _, h := range hops[:len(hops)-1] {
			if h.Addr == last.Addr && h.Reason == results.ReasonTTLExceeded {
				t.Hop = h.TTL
				break
			}
		}
	}
	return t
}

// traceable reports whether a result is a port whose path is worth a trace: a
// filtered port (not refused by this machine itself), and an open|filtered UDP
// port whose probe expects an answer.
func traceable(res *results.Result) bool {
	switch {
	case res.Proto == results.TCP && res.State == results.Filtered,
		res.Proto == results.UDP && res.State == results.Filtered:
		return slices.Contains(traceReasons, res.Reason)
	case res.Proto == results.UDP && res.State == results.OpenFiltered:
		return res.Reason == results.ReasonNoResponse && res.Probe != ""
	}
	return false
}

// traceReasons are the reasons of filtered ports that the network gave.
var traceReasons = []results.Reason{results.ReasonNoResponse, results.ReasonAdminProhibited, results.ReasonHostUnreach,
	results.ReasonNetUnreach, results.ReasonProtoUnreach, results.ReasonTTLExceeded, results.ReasonICMPUnreach}

// hostTraces runs one host's traces and holds the results that wait for them.
type hostTraces struct {
	r      *run
	ctx    context.Context
	h      *host
	ports  []Port // the host's plan entries
	wg     sync.WaitGroup
	mu     sync.Mutex
	groups map[traceKey]*traceGroup
	// answered is a port of the host that answered (open or closed), for the
	// host's distance; ref is its trace, started when a verdict first needs it.
	answered *results.Result
	ref      *refTrace
}

// traceKey groups the ports that share a trace: one plan entry, one protocol,
// one verdict (its reason and the detail naming who sent an ICMP error).
type traceKey struct {
	proto  results.Proto
	entry  int // index in ports; -1 for a port outside them (a follow-up), with port set
	port   uint16
	reason results.Reason
	detail string
}

// traceGroup is one trace and the ports waiting for it. Every port of the
// group reports the same *results.Trace: the outputs show a range's trace once.
type traceGroup struct {
	over    bool           // the trace is over (or was given up: the run stopped)
	trace   *results.Trace // the trace; nil when given up
	waiting []results.Result
}

// refTrace is the trace of a port that answered: the host's distance.
type refTrace struct {
	done chan struct{}
	hop  int
}

func newHostTraces(ctx context.Context, r *run, h *host, ports []Port) *hostTraces {
	return &hostTraces{r: r, ctx: ctx, h: h, ports: ports, groups: map[traceKey]*traceGroup{}}
}

// take is given every result of the host before it is sent: it keeps a
// traceable one until its trace is over (and starts the trace), and notes a
// port that answered. It reports whether it kept res.
func (ht *hostTraces) take(res results.Result) bool {
	if (res.State == results.Open || res.State == results.Closed) && (res.Proto == results.TCP || res.Proto == results.UDP) && res.Reason != results.ReasonSelfConnect {
		ht.mu.Lock()
		if ht.answered == nil || ht.answered.Proto == results.UDP && res.Proto == results.TCP {
			ht.answered = &res
		}
		ht.mu.Unlock()
		return false
	}
	if !traceable(&res) || stopped(ht.ctx) {
		return false
	}
	key := traceKey{proto: res.Proto, entry: -1, port: res.Port, reason: res.Reason, detail: res.Detail}
	for i, p := range ht.ports {
		if p.Proto == res.Proto && p.Kind == KindPort && p.Lo <= res.Port && res.Port <= p.hi() {
			key.entry, key.port = i, 0
			break
		}
	}
	if !ht.r.Trace && (key.entry < 0 || !ht.ports[key.entry].Trace) {
		return false // only some entries are traced (Port.Trace), not this one's
	}
	// The ports of a range share its trace, which names the port traced.
	via := ""
	if key.entry >= 0 && ht.ports[key.entry].Hi > ht.ports[key.entry].Lo {
		via = results.PortName(res.Proto, res.Port)
	}
	ht.mu.Lock()
	g := ht.groups[key]
	switch {
	case g == nil:
		g = &traceGroup{waiting: []results.Result{res}}
		ht.groups[key] = g
		ht.wg.Add(1)
		go ht.run(g, res, via)
	case !g.over:
		g.waiting = append(g.waiting, res)
	}
	over, t := g.over, g.trace
	ht.mu.Unlock()
	if !over {
		return true // reported when the trace is over
	}
	if t == nil {
		return false // the run stopped: reported as it is
	}
	res.Trace = t
	ht.r.out.push(res)
	return true
}

// run traces res's port and reports the group's waiting ports.
func (ht *hostTraces) run(g *traceGroup, res results.Result, via string) {
	defer ht.wg.Done()
	t := ht.trace(res.Proto, res.Port, res.Probe)
	if t != nil {
		t.Via = via
	}
	ht.mu.Lock()
	waiting := g.waiting
	g.waiting, g.over, g.trace = nil, true, t
	ht.mu.Unlock()
	for _, w := range waiting {
		w.Trace = t // nil when the run stopped: reported as they are
		ht.r.out.push(w)
	}
}

// trace traces one port and reads the result; nil when the run stopped first.
func (ht *hostTraces) trace(proto results.Proto, port uint16, probe string) *results.Trace {
	hops, err := ht.r.walkPort(ht.ctx, ht.h, proto, port, probe)
	if stopped(ht.ctx) {
		return nil
	}
	if err != nil {
		return &results.Trace{End: results.TraceUnavailable, Why: err.Error(), Hops: hops}
	}
	hostHop := 0
	if needsHostHop(hops) {
		hostHop = ht.hostHop()
	}
	t := traceVerdict(hops, ht.h.addr, hostHop)
	if ht.r.ResolveHops {
		ht.r.resolveHops(ht.ctx, t)
	}
	return t
}

// needsHostHop reports whether a trace ended in silence after some hop
// answered: whether the host drops the port depends on how far it is.
func needsHostHop(hops []results.Hop) bool {
	return len(hops) > 0 && hops[len(hops)-1].Reason == results.ReasonNoResponse &&
		slices.ContainsFunc(hops, func(h results.Hop) bool { return h.Reason == results.ReasonTTLExceeded })
}

// hostHop is the host's distance in hops, from a trace of a port of it that
// answered, made once; 0 when none answered so far or the trace did not reach it.
func (ht *hostTraces) hostHop() int {
	ht.mu.Lock()
	ref, answered := ht.ref, ht.answered
	if ref == nil && answered != nil {
		ref = &refTrace{done: make(chan struct{})}
		ht.ref = ref
		ht.mu.Unlock()
		hops, _ := ht.r.walkPort(ht.ctx, ht.h, answered.Proto, answered.Port, answered.Probe)
		if n := len(hops); n > 0 && slices.Contains(hostAnswers, hops[n-1].Reason) && hops[n-1].Addr == ht.h.addr {
			ref.hop = hops[n-1].TTL
		}
		close(ref.done)
		return ref.hop
	}
	ht.mu.Unlock()
	if ref == nil {
		return 0
	}
	select {
	case <-ref.done:
		return ref.hop
	case <-ht.ctx.Done():
		return 0
	}
}

// wait waits for the host's traces; their ports have then been reported.
func (ht *hostTraces) wait() { ht.wg.Wait() }

// walkPort traces one port of h, holding a socket slot while it probes.
func (r *run) walkPort(ctx context.Context, h *host, proto results.Proto, port uint16, probeName string) ([]results.Hop, error) {
	var probe *probes.Probe
	if proto == results.UDP && probeName != "" {
		p, ok := probes.ByName(probeName)
		if !ok {
			return nil, fmt.Errorf("no probe %q to trace %d/udp with", probeName, port)
		}
		probe = p
	}
	if !r.share.acquire(ctx.Done()) {
		return nil, ctx.Err()
	}
	defer r.share.release()
	var p hopProber
	err := r.waitOut(ctx, func() (err error) {
		p, err = r.newHopProber(h.source, netip.AddrPortFrom(h.addr, port), proto == results.TCP, probe)
		return err
	})
	if err != nil {
		return nil, err
	}
	defer p.close()
	return walk(ctx, p, r.maxHops, r.hopAttempts(), r.timeout)
}

// resolveHops looks up the reverse names of a trace's hops (Scanner.ResolveHops),
// each address once, each lookup bounded by the scan's timeout.
func (r *run) resolveHops(ctx context.Context, t *results.Trace) {
	res := r.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	names := map[netip.Addr]string{}
	for i, h := range t.Hops {
		if !h.Addr.IsValid() {
			continue
		}
		name, seen := names[h.Addr]
		if !seen {
			lctx, cancel := context.WithTimeout(ctx, r.timeout)
			if ns, err := res.LookupAddr(lctx, h.Addr.String()); err == nil && len(ns) > 0 {
				name = trimDot(ns[0])
			}
			cancel()
			names[h.Addr] = name
		}
		t.Hops[i].Name = name
	}
	if t.Addr.IsValid() {
		t.Name = names[t.Addr]
	}
}

func trimDot(s string) string {
	if n := len(s); n > 0 && s[n-1] == '.' {
		return s[:n-1]
	}
	return s
}

// TraceSupport reports whether this system can trace (Scanner.Trace) without
// privileges: nil, or why not, in a sentence for the user.
func TraceSupport() error { return traceSupport() }

// linuxTraceSupport decides from the kernel's release (uname -r): a TCP
// socket queues the ICMP errors of its connect since Linux 5.8 (commit
// 45af29ca761c); UDP sockets always have.
func linuxTraceSupport(release string) error {
	var major, minor int
	if _, err := fmt.Sscanf(release, "%d.%d", &major, &minor); err != nil {
		return nil // an unusual release string: try, and say so per trace if it fails
	}
	if major < 5 || major == 5 && minor < 8 {
		return fmt.Errorf("tracing needs Linux 5.8 or later, which reports the ICMP errors of TCP connects to programs without privileges (this is Linux %s)", release)
	}
	return nil
}
