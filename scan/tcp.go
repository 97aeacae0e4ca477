package scan

import (
	"context"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/portreach/portreach/results"
)

// The TCP connect scan: the policy of one port's attempts (when to retry, how
// long to wait, what an attempt's end means) lives here, once, for every poller.
//
// A port's timeout T is the host's current one (the configured 1 s, or SRTT +
// 4·RTTVAR once the host has answered, so T/2 is still many round trips).
// Attempt k starts k·T/2 after the first while the port is still silent, and the
// port is given up at max(T, (retries+1)·T/2): a retry goes out only for a silent
// port, each attempt has at least T/2 to be answered, and a dropped port costs T
// with the default single retry rather than 2·T. A port left silent within a
// window learnt from the host's quick answers gets one more attempt with the full
// configured timeout before it is called filtered; on a path seen to lose
// packets, as many more as the loss asks for (lossMeter).

// splitAt is the number of a host's TCP ports from which the host is shared
// among the loops rather than given to one: a full port sweep of one host then
// uses every processor.
const splitAt = 256

// tcp tests one TCP port on its own (the endpoint mapper, follow-up ports).
func (r *run) tcp(ctx context.Context, h *host, port uint16) results.Result {
	var res results.Result
	r.startTCP(ctx, h, []Port{{Proto: results.TCP, Lo: port}}, 1, func(x results.Result) { res = x })()
	return res
}

// startTCP starts testing a host's TCP ports (n in all) and returns a function
// that waits until each has been reported through out. out is called from a
// loop's goroutine, one result at a time per part of the host.
func (r *run) startTCP(ctx context.Context, h *host, ports []Port, n int, out func(results.Result)) (wait func()) {
	first, loops := r.eng.loopsFrom()
	parts := 1
	if n >= splitAt {
		parts = len(loops)
	}
	done := make([]chan struct{}, parts)
	for k := range parts {
		l := loops[(first+k)%len(loops)]
		sw := &sweep{
			taskBase: taskBase{r: r}, ctx: ctx, l: l, h: h, out: out, ports: ports,
			parts: parts, skip: k, left: (n - k + parts - 1) / parts,
			perHost: max(1, r.perHost/parts),
			done:    make(chan struct{}),
		}
		done[k] = sw.done
		l.post(sw.start)
	}
	return func() {
		for _, d := range done {
			<-d
		}
	}
}

// sweep is the part of one host's TCP ports that one loop tests. It is used
// from that loop's goroutine only.
type sweep struct {
	taskBase
	ctx   context.Context
	l     *loop
	h     *host
	out   func(results.Result)
	ports []Port
	pi    int  // ports[pi] holds the next port
	cur   int  // the next port, when inRange
	inRg  bool // cur is set for ports[pi]
	parts int  // this sweep takes every parts-th port …
	skip  int  // … starting after skip more

	perHost int // ports in progress at once, of this scan (the engine caps every scan's: h.cap)
	fresh   int // attempts younger than freshAge, of this sweep (h.cap counts every sweep's)

	active   []*tcpPort
	queue    []*attempt // waiting for a socket slot or a fresh place
	left     int        // results still to report
	stopped  bool
	finished bool
	done     chan struct{}
}

func (sw *sweep) start() {
	if sw.left == 0 {
		sw.end()
		return
	}
	sw.l.tasks[sw] = struct{}{}
	sw.pump()
}

func (sw *sweep) end() {
	sw.finished = true
	delete(sw.l.tasks, sw)
	close(sw.done)
}

// next returns this sweep's next port.
func (sw *sweep) next() (uint16, *results.Check, bool) {
	for sw.pi < len(sw.ports) {
		p := sw.ports[sw.pi]
		if !sw.inRg {
			sw.cur, sw.inRg = int(p.Lo)+sw.skip, true
		}
		if sw.cur <= int(p.hi()) {
			port := sw.cur
			sw.cur += sw.parts
			return uint16(port), p.Check, true
		}
		sw.skip = sw.cur - int(p.hi()) - 1
		sw.pi++
		sw.inRg = false
	}
	return 0, nil, false
}

// take takes a socket slot and a fresh place for one attempt, or says why not
// (and the sweep is pumped again when one is freed: by its own attempts, or
// by the loop's retry of its blocked sweeps when others hold them).
func (sw *sweep) take() bool {
	if !takeFresh(sw.h.cap) {
		if sw.fresh == 0 {
			sw.l.block(sw)
		}
		return false
	}
	if !sw.r.share.tryAcquire() {
		sw.h.cap.fresh.Add(-1)
		sw.l.block(sw)
		return false
	}
	sw.fresh++
	return true
}

// pump starts whatever may start: queued attempts first, then new ports.
func (sw *sweep) pump() {
	if sw.stopped || sw.finished {
		return
	}
	if stopped(sw.ctx) {
		sw.stop()
		return
	}
	now := time.Now()
	for len(sw.queue) > 0 {
		a := sw.queue[0]
		if a.state != queued {
			sw.queue = sw.queue[1:]
			continue
		}
		if !sw.take() {
			return
		}
		sw.queue[0] = nil
		sw.queue = sw.queue[1:]
		a.slot, a.fresh = true, true
		sw.launch(a, now)
	}
	for len(sw.active) < sw.perHost && sw.pi < len(sw.ports) {
		if !sw.h.ports.tryAcquire() {
			sw.l.block(sw) // other scans' ports towards the host
			return
		}
		if !sw.take() {
			sw.h.ports.release()
			return
		}
		port, check, ok := sw.next()
		if !ok {
			sw.h.ports.release()
			sw.release(&attempt{slot: true, fresh: true})
			return
		}
		p := &tcpPort{sw: sw, port: port, check: check, idx: len(sw.active)}
		sw.active = append(sw.active, p)
		p.begin(now)
	}
}

// release gives back what an attempt holds.
func (sw *sweep) release(a *attempt) {
	if a.slot {
		a.slot = false
		sw.r.share.release()
		sw.l.freed()
	}
	if a.fresh {
		a.fresh = false
		sw.fresh--
		sw.h.cap.fresh.Add(-1)
	}
}

// launch starts an attempt that holds a slot and a fresh place, after the
// scan's pace allows it.
func (sw *sweep) launch(a *attempt, now time.Time) {
	if sw.r.pace != nil {
		if at := sw.r.pace.reserve(); at.After(now) {
			a.state = pacing
			sw.l.at(at, timer{a: a})
			return
		}
	}
	a.fire(now)
}

// stop reports every port not yet reported as unknown: the run was cancelled or
// ran out of time.
func (sw *sweep) stop() {
	sw.stopped = true
	reason := stopReason(sw.ctx)
	for len(sw.active) > 0 {
		p := sw.active[len(sw.active)-1]
		p.v = verdict{state: results.Unknown, reason: reason}
		p.finish()
	}
	sw.queue = nil
	for sw.left > 0 {
		port, check, ok := sw.next()
		if !ok {
			break
		}
		sw.left--
		sw.out(withCheck(results.Result{Proto: results.TCP, Port: port, State: results.Unknown, Reason: reason}, check))
	}
	if !sw.finished {
		sw.end()
	}
}

// tcpPort is one port under test.
type tcpPort struct {
	sw    *sweep
	idx   int // in sw.active
	port  uint16
	check *results.Check
	// What is reported once the port is over (a whole Result would double a
	// port's size while it waits): the last attempt's verdict, and what the
	// attempts recorded.
	v        verdict
	attempts int
	rtt      time.Duration
	detail   string

	T      time.Duration
	start  time.Time
	giveUp time.Time
	sent   int        // attempts of the first round made so far (1 + retries in all)
	made   int        // attempts made in all
	last   bool       // the last attempt, with the configured timeout, was made
	atts   []*attempt // every attempt not over
	hidx   int        // the retry timer's place in the loop's heap; -1: none
	over   bool
}

// begin makes the port's first attempt, which holds a slot and a fresh place.
func (p *tcpPort) begin(now time.Time) {
	r := p.sw.r
	p.hidx = -1
	p.T = p.sw.h.est.timeout()
	p.start = now
	p.giveUp = now.Add(max(p.T, time.Duration(r.retries+1)*p.T/2))
	p.sent = 1
	a := p.attempt(false)
	a.slot, a.fresh = true, true
	if r.retries > 0 {
		p.sw.l.at(p.start.Add(p.T/2), timer{p: p})
	}
	p.sw.launch(a, now)
}

func (p *tcpPort) attempt(last bool) *attempt {
	p.made++
	a := &attempt{p: p, last: last, nth: p.made, hidx: -1}
	p.atts = append(p.atts, a)
	return a
}

// retry makes the next attempt of the first round, when the port is still
// silent k·T/2 after the first.
func (p *tcpPort) retry() {
	if p.over {
		return
	}
	a := p.attempt(false)
	p.sent++
	if p.sent <= p.sw.r.retries {
		p.sw.l.at(p.start.Add(time.Duration(p.sent)*p.T/2), timer{p: p})
	}
	a.state = queued
	p.sw.queue = append(p.sw.queue, a)
	p.sw.pump()
}

// advance decides what the port does after an attempt ended.
func (p *tcpPort) advance() {
	if p.over {
		return
	}
	sw := p.sw
	switch {
	case p.v.final:
	case len(p.atts) > 0 || !p.last && p.sent <= sw.r.retries:
		return // attempts still out, or still to come
	case stopped(sw.ctx):
		p.v = verdict{state: results.Unknown, reason: stopReason(sw.ctx)}
	case !p.last && p.T < sw.r.timeout, p.made < sw.h.lossAttempts(p.made):
		// Silent within a window learnt from this host's quick answers. Before
		// calling it filtered, give it the full configured timeout once: a burst
		// of probes can overflow a queue on the path (or this machine can be slow
		// to notice the answer), and one dropped port among answering ones is
		// exactly what a firewall rule looks like, so it must be checked.
		// Or the path has been seen to lose packets (lossMeter): before calling
		// the port filtered, the attempts that make a lost answer rarer than
		// lossGoal, each with the configured timeout.
		p.last = true
		a := p.attempt(true)
		a.state = queued
		sw.queue = append(sw.queue, a)
		return
	}
	p.finish()
}

// finish ends the port's attempts still out and reports it.
func (p *tcpPort) finish() {
	sw := p.sw
	p.over = true
	sw.l.cancel(p.hidx)
	for _, a := range p.atts {
		if a.state == live {
			sw.l.io.abort(a)
		}
		a.state = over
		sw.l.cancel(a.hidx)
		sw.release(a)
	}
	p.atts = nil
	sw.h.ports.release()
	last := sw.active[len(sw.active)-1]
	last.idx = p.idx
	sw.active[p.idx] = last
	sw.active[len(sw.active)-1] = nil
	sw.active = sw.active[:len(sw.active)-1]
	sw.left--
	sw.out(results.Result{Proto: results.TCP, Port: p.port, State: p.v.state, Reason: p.v.reason,
		Attempts: p.attempts, RTT: p.rtt, Detail: p.detail, Check: p.check})
	if sw.left == 0 && !sw.finished {
		sw.end()
	}
}

// Attempt states.
const (
	queued  = iota // waiting for a socket slot and a fresh place
	pacing         // holds them, waiting for the scan's pace
	backoff        // waiting out a local shortage (see waitOut)
	live           // sent, on the poller
	over
)

// attempt is one connection attempt.
type attempt struct {
	p      *tcpPort
	state  uint8
	last   bool // the port's last attempt, with the configured timeout
	nth    int  // the port's first attempt is 1
	slot   bool // holds a socket slot
	fresh  bool // holds a fresh place
	wait   time.Duration
	hidx   int // its timer's place in the loop's heap; -1: none
	sent   time.Time
	until  time.Time // the attempt's window ends
	freshT time.Time // its fresh place is given back

	// The poller's.
	fd     int
	seq    uint32
	cancel context.CancelFunc
}

func (a *attempt) addrPort() netip.AddrPort {
	return netip.AddrPortFrom(a.p.sw.h.addr, a.p.port)
}

// backOff waits out a local shortage (waitOut's schedule on the loop): the
// attempt is fired again after a doubling wait, 5 ms to 1 s.
func (a *attempt) backOff(now time.Time) {
	a.state = backoff
	a.wait = min(max(2*a.wait, 5*time.Millisecond), time.Second)
	a.p.sw.l.at(now.Add(a.wait), timer{a: a})
}

// fire sends the attempt. Local shortages (out of descriptors or ephemeral
// ports) are waited out with backoff and never become a verdict; the window
// starts again once a socket could be made.
func (a *attempt) fire(now time.Time) {
	p := a.p
	sw := p.sw
	a.sent = now
	if err := sw.l.io.connect(a); err != nil {
		sw.release(a)
		a.backOff(now)
		return
	}
	a.state = live
	window := sw.r.timeout
	if !a.last {
		window = max(p.giveUp.Sub(now), p.T/2)
	}
	a.until = now.Add(window)
	a.freshT = now.Add(freshAge)
	first := a.freshT
	if a.until.Before(first) {
		first = a.until
	}
	sw.l.at(first, timer{a: a})
}

// due runs when the attempt's timer comes.
func (a *attempt) due() {
	sw := a.p.sw
	switch a.state {
	case pacing:
		a.fire(time.Now())
	case backoff:
		a.state = queued
		sw.queue = append(sw.queue, a)
		sw.pump()
	case live:
		now := time.Now()
		if a.fresh && !now.Before(a.freshT) {
			// An attempt unanswered for freshAge gives its place to the next.
			a.fresh = false
			sw.fresh--
			sw.h.cap.fresh.Add(-1)
		}
		if now.Before(a.until) {
			sw.l.at(a.until, timer{a: a})
			sw.pump()
			return
		}
		sw.l.io.abort(a)
		a.ended(os.ErrDeadlineExceeded, false, nil)
	}
}

// ended judges an attempt that the poller reported or whose window closed.
func (a *attempt) ended(err error, self bool, icmp *verdict) {
	if a.state != live {
		return
	}
	p := a.p
	sw := p.sw
	now := time.Now()
	a.state = over
	sw.l.cancel(a.hidx)
	sw.release(a)
	if err != nil && transient(err) {
		a.backOff(now)
		return
	}
	for i, b := range p.atts {
		if b == a {
			p.atts[i] = p.atts[len(p.atts)-1]
			p.atts = p.atts[:len(p.atts)-1]
			break
		}
	}
	if !p.over {
		// judge records into a Result; a port keeps only the fields it sets.
		r := results.Result{Attempts: p.attempts, RTT: p.rtt, Detail: p.detail}
		p.v = sw.r.judge(sw.h, &r, err, self, icmp, now.Sub(a.sent))
		p.attempts, p.rtt, p.detail = r.Attempts, r.RTT, r.Detail
		if p.v.final && (p.v.state == results.Open || p.v.state == results.Closed) {
			sw.h.tcpLoss.observe(a.nth)
		}
		p.advance()
	}
	sw.pump()
}

// judge has one attempt's end classified (classifyConnect), records what the
// verdict says in res and feeds the host's round-trip estimate.
func (r *run) judge(h *host, res *results.Result, err error, self bool, icmp *verdict, rtt time.Duration) verdict {
	res.Attempts++
	v := classifyConnect(err, self, icmp)
	if d := v.detail(h.addr); d != "" {
		res.Detail = d
	}
	if v.final {
		res.RTT = rtt
		// A connect that met itself had no answer from the host: no round trip
		// to learn from.
		if !self && (v.state == results.Open || v.state == results.Closed) {
			h.est.observe(rtt)
		}
	}
	return v
}

func isSelfConnect(c net.Conn) bool {
	l, ok1 := c.LocalAddr().(*net.TCPAddr)
	r, ok2 := c.RemoteAddr().(*net.TCPAddr)
	return ok1 && ok2 && l.Port == r.Port && l.IP.Equal(r.IP)
}

// closeNow closes with SO_LINGER 0: an RST instead of a FIN, so scheduled scans
// leave no TIME_WAIT sockets behind on either side.
func closeNow(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
