package scan

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// udpFloor is the least time a UDP probe waits for an answer: a service's reply
// comes from user space and may lag well behind the kernel's RSTs that set the
// host's round-trip estimate.
const udpFloor = 300 * time.Millisecond

// udpSocket is a UDP exchange's socket as the portable poller uses it (a
// net.UDPConn; udp_linux.go, udp_other.go).
type udpSocket interface {
	// send sends one datagram; a pending ICMP error, classified, may come back
	// instead.
	send(b []byte) (*verdict, error)
	// recv waits for a datagram or an ICMP error (classified by classifyICMP
	// where the system tells its type and code) until the socket is closed.
	recv(buf []byte) (n int, from netip.AddrPort, icmp *verdict, err error)
	close() error
}

// udpConn is the socket of one UDP exchange while it runs, owned by a loop's
// poller.
type udpConn struct {
	j      *udpJob
	target netip.AddrPort
	open   bool // between openUDP and closeUDP

	// The epoll poller's.
	fd  int
	seq uint32
	sa  any // the target's unix.Sockaddr
	// The portable poller's: what its reading goroutine has read.
	sock     udpSocket
	reads    []udpRead
	notified bool // a completion for what was read is on its way to the loop
}

// udpRead is one thing read from a UDP socket: n bytes of a datagram from
// from, or an ICMP error (icmp), or an error.
type udpRead struct {
	n    int
	from netip.AddrPort
	icmp *verdict
	err  error
	b    []byte // the portable poller's copy of the datagram
}

// The states of a UDP exchange (udpJob.state).
const (
	udpIdle      = iota // no attempt under way
	udpWaiting          // waiting out a local shortage, or for the scan's pace
	udpListening        // sent: the window for an answer is open
)

// udpJob is one UDP port's exchange: its probe, its query (kept across attempts so
// that a late answer to an early attempt still counts) and what it has learned.
// It runs on its host's UDP task's loop.
type udpJob struct {
	port   uint16
	plan   Port          // the plan entry the port comes from
	probe  *probes.Probe // nil: no probe knows this port
	query  probes.Query
	result results.Result
	done   bool
	full   bool // the next attempts wait the configured timeout, not the host's adaptive one

	t        *udpTask
	conn     *udpConn // while the job runs: it holds a socket slot
	running  bool
	reported bool
	state    uint8
	hidx     int           // its timer's place in the loop's heap; -1: none
	backoff  time.Duration // the last wait for a local shortage
	start    time.Time     // the current attempt was sent
	deadline time.Time     // its window ends
	fromNote string        // where the attempt's first matching reply came from, if unexpected
	upTo     int           // the attempts it has after a paced attempt or its last chance
	// quiet: the job's result is its starter's to read once the task is
	// done (the DC locator's DNS questions), never reported as a port's.
	quiet bool
}

func (r *run) newUDPJob(h *host, p Port, port uint16) (*udpJob, error) {
	j := &udpJob{port: port, plan: p}
	j.result = results.Result{Proto: results.UDP, Port: port}
	var err error
	if j.probe, err = p.udpProbeFor(port); err != nil {
		return nil, err
	}
	if j.probe != nil {
		q, err := j.probe.New(rand.Reader, r.opts)
		if err != nil {
			return nil, fmt.Errorf("probe %s: %w", j.probe.Name, err)
		}
		j.query = q
		j.result.Probe = j.probe.Name
	}
	return j, nil
}

func (j *udpJob) packets() [][]byte {
	if j.query == nil {
		// No protocol is known for this port. An empty datagram cannot prove the
		// port open, but it still draws an ICMP port unreachable from a closed one.
		return [][]byte{{}}
	}
	return j.query.Packets()
}

func (j *udpJob) anySource() bool { return j.probe != nil && (j.probe.AnySource || j.probe.AnyAddress) }

func (j *udpJob) anyAddress() bool { return j.probe != nil && j.probe.AnyAddress }

// waitFor is how long an attempt of the job listens for an answer.
func (j *udpJob) waitFor(h *host) time.Duration {
	w := max(h.est.timeout(), udpFloor)
	if j.full {
		w = max(w, h.est.ceiling)
	}
	if j.probe != nil && j.probe.MinWait > w {
		w = j.probe.MinWait
	}
	return w
}

// udpError decides a job from an ICMP error (icmp, classified where the socket
// tells its type and code) or else from the bare errno err. It returns false
// for errors that decide nothing.
func (r *run) udpError(h *host, j *udpJob, err error, icmp *verdict, rtt time.Duration) bool {
	var v verdict
	switch {
	case icmp != nil:
		v = *icmp
	case err != nil:
		v = classifyDatagram(err)
	}
	if !v.final {
		return false
	}
	j.result.State, j.result.Reason, j.result.Detail = v.state, v.reason, v.detail(h.addr)
	j.done = true
	if v.reason == results.ReasonLocalError {
		return true // this machine's failure: nothing learnt about the path
	}
	h.icmpSeen.Store(true)
	j.result.RTT = rtt
	if v.state == results.Closed {
		h.est.observe(rtt)
	}
	return true
}

// lastChance reports whether a job still silent deserves one more attempt with
// the configured timeout before it is called open|filtered: its probe expects an
// answer, and its windows so far were the shorter ones the host's quick answers
// taught. A service takes longer to answer than the network takes to carry the
// answer (a busy DC's CLDAP or Kerberos, a SQL Browser, SNMP on a loaded switch),
// and a required port's silence fails its check, so the host's network round trip
// must not be what decides it. TCP does the same before it says filtered.
func (j *udpJob) lastChance(h *host) bool {
	return !j.done && !j.full && j.probe != nil && !j.probe.Mute && j.waitFor(h) < h.est.ceiling
}

func (j *udpJob) finishSilent() {
	j.result.State, j.result.Reason = results.OpenFiltered, results.ReasonNoResponse
	if j.probe != nil && j.probe.Mute {
		j.result.Reason = results.ReasonNoReplyExpected
	}
	switch {
	case j.probe == nil:
		j.result.Detail = "no probe for this port: an empty datagram cannot prove it open"
	case j.probe.Silence != "":
		j.result.Detail = j.probe.Silence
	}
}

func earliest(ctx context.Context, t time.Time) time.Time {
	if d, ok := ctx.Deadline(); ok && d.Before(t) {
		return d
	}
	return t
}

func udpNetwork(target netip.AddrPort) string {
	if target.Addr().Is6() {
		return "udp6"
	}
	return "udp4"
}

// waitOut runs open until it succeeds or fails for a reason other than a local
// shortage (descriptors, ports, buffers), which it waits out with backoff: a
// shortage here is never a port's verdict.
func (r *run) waitOut(ctx context.Context, open func() error) error {
	backoff := 5 * time.Millisecond
	for {
		err := open()
		if err == nil || !transient(err) {
			return err
		}
		if sleepUntil(ctx, time.Now().Add(backoff)) != nil {
			return ctx.Err()
		}
		backoff = min(backoff*2, time.Second)
	}
}

// The UDP exchanges of a host run on one loop, in phases (udpTask.next):
//
//  1. every port gets its attempts side by side (as many as the loss seen on
//     the path asks for, lossMeter), and on a path seen to lose answers
//     before the last port started, those attempts again for the ports
//     that went first;
//  2. if the host has shown that it sends ICMP errors, the ports still
//     silent are probed again one at a time, UDPPace apart, because their
//     silence may only mean the host's ICMP rate limit swallowed the port
//     unreachable;
//  3. a port still silent on windows learnt from the host's quick answers
//     gets one attempt more with the configured timeout (lastChance), side
//     by side.
//
// Ports silent after them are open|filtered. A port holds a socket slot and
// a place towards its host only while it runs in a phase, and its socket
// lives only as long, so a host's UDP ports may outnumber the descriptors the
// process may open; a port is reported as soon as it is decided.
const (
	udpFirst = iota + 1
	udpLossy
	udpPaced
	udpLast
	udpOver
)

// udpTask is a host's UDP exchanges on one loop. It is used from that loop's
// goroutine only.
type udpTask struct {
	taskBase
	ctx  context.Context
	l    *loop
	h    *host
	jobs []*udpJob

	phase    int
	todo     []*udpJob         // to start in this phase
	need     func(*udpJob) int // attempts a job makes in this phase
	notUntil time.Time         // the paced phase's next attempt goes no sooner
	paced    int               // the paced phase: jobs[paced] is under way …
	tries    int               // … and has made this many paced attempts
	running  int               // jobs holding a slot
	pumping  bool              // in pump: what ends meanwhile leaves the rest to it
	moving   bool              // in next: pump leaves the next phase to it
	waking   bool              // a pump is scheduled for notUntil
	stopped  bool
	done     chan struct{}
}

// startUDP starts a host's UDP exchanges on a loop and returns a function that
// waits until each has been reported.
func (r *run) startUDP(ctx context.Context, h *host, jobs []*udpJob) (wait func()) {
	first, loops := r.eng.loopsFrom()
	t := &udpTask{taskBase: taskBase{r: r}, ctx: ctx, l: loops[first%len(loops)], h: h, jobs: jobs, done: make(chan struct{})}
	for _, j := range jobs {
		j.t, j.hidx = t, -1
	}
	t.l.post(t.start)
	return func() { <-t.done }
}

func (t *udpTask) start() {
	t.l.tasks[t] = struct{}{}
	t.next()
}

// next moves to the next phase once nothing of this one is left.
func (t *udpTask) next() {
	h, r := t.h, t.r
	base := r.retries + 1
	t.moving = true
	defer func() { t.moving = false }()
	for t.running == 0 && len(t.todo) == 0 && !t.stopped {
		if stopped(t.ctx) {
			t.stop()
			return
		}
		switch t.phase++; t.phase {
		case udpFirst:
			t.parallel(t.jobs, func(*udpJob) int { return h.lossAttempts(base) })
		case udpLossy:
			// The ports that went first decided before the loss was known.
			if need := h.lossAttempts(base); need > base && !h.icmpSeen.Load() {
				t.parallel(t.jobs, func(*udpJob) int { return need })
			}
		case udpPaced:
			if h.icmpSeen.Load() {
				t.paced, t.tries = 0, 0
				t.pace()
			}
		case udpLast:
			var last []*udpJob
			for _, j := range t.jobs {
				if j.lastChance(h) {
					j.full = true
					j.upTo = j.result.Attempts + 1
					last = append(last, j)
				}
			}
			// Side by side: a host's dropped ports cost one configured
			// timeout more, not one each.
			t.parallel(last, func(j *udpJob) int { return j.upTo })
		default:
			t.finish()
			return
		}
	}
}

// parallel gives every undecided job of jobs attempts, side by side, until
// it has made need() of them or is decided.
func (t *udpTask) parallel(jobs []*udpJob, need func(*udpJob) int) {
	t.need = need
	t.todo = t.todo[:0]
	for _, j := range jobs {
		if !j.done {
			t.todo = append(t.todo, j)
		}
	}
	t.pump()
}

// pace queues the paced phase's next attempt: the next silent job's, or one
// more of the current job's, UDPPace after the host's last datagram. One
// paced attempt on a clean path; on a lossy one as many as the loss asks for:
// attempts of phase 1 may all have met the host's ICMP rate limit, so they do
// not count here.
func (t *udpTask) pace() {
	for t.paced < len(t.jobs) {
		j := t.jobs[t.paced]
		if !j.done && t.tries < t.h.lossAttempts(1) {
			t.h.mu.Lock()
			t.notUntil = t.h.lastUDPSend.Add(t.r.udpPace)
			t.h.mu.Unlock()
			j.upTo = j.result.Attempts + 1
			t.need = func(j *udpJob) int { return j.upTo }
			t.todo = append(t.todo[:0], j)
			t.tries++
			t.pump()
			return
		}
		t.paced++
		t.tries = 0
	}
}

// pump starts the jobs of the phase that may start: each holds a socket slot
// and a place towards the host while it runs.
func (t *udpTask) pump() {
	if t.stopped || t.pumping {
		return
	}
	if stopped(t.ctx) {
		t.stop()
		return
	}
	t.pumping = true
	for len(t.todo) > 0 && t.running < t.r.perHost {
		if now := time.Now(); now.Before(t.notUntil) {
			if !t.waking {
				t.waking = true
				t.l.at(t.notUntil, timer{f: func() { t.waking = false; t.pump() }})
			}
			break
		}
		if !t.h.ports.tryAcquire() {
			t.l.block(t)
			break
		}
		if !t.r.share.tryAcquire() {
			t.h.ports.release()
			t.l.block(t)
			break
		}
		j := t.todo[0]
		t.todo[0] = nil
		t.todo = t.todo[1:]
		t.running++
		j.running = true
		j.attempt()
	}
	t.pumping = false
	if t.running == 0 && len(t.todo) == 0 && !t.moving {
		t.next()
	}
}

// ended runs when a job's run in the phase is over.
func (t *udpTask) ended(j *udpJob) {
	t.running--
	j.running = false
	t.r.share.release()
	t.h.ports.release()
	t.l.freed()
	if j.done {
		t.r.udpDecided(t.h, j)
		j.reported = true
	}
	if t.phase == udpPaced && !t.stopped {
		t.pace()
	}
	t.pump()
}

// stop reports every port not yet reported as unknown: the run was cancelled or
// ran out of time. A port decided meanwhile is reported as decided.
func (t *udpTask) stop() {
	if t.stopped {
		return
	}
	t.stopped = true
	t.todo = nil
	for _, j := range t.jobs {
		if j.running {
			j.abort()
		}
	}
	t.finish()
}

// finish reports the ports left: silent, or unknown when the run stopped.
func (t *udpTask) finish() {
	for _, j := range t.jobs {
		if j.done || j.reported {
			continue
		}
		if stopped(t.ctx) {
			j.result.State, j.result.Reason = results.Unknown, stopReason(t.ctx)
		} else {
			j.finishSilent()
		}
		j.reported = true
		if !j.quiet {
			t.r.emit(t.h, t.h.name, withCheck(j.result, j.plan.Check))
		}
	}
	t.stopped = true
	delete(t.l.tasks, t)
	close(t.done)
}

// attempt makes the job's next attempt: its socket first, if it has none,
// then the scan's pace, then its datagrams.
func (j *udpJob) attempt() {
	t := j.t
	if j.conn == nil {
		c := &udpConn{j: j, target: netip.AddrPortFrom(t.h.addr, j.port), fd: -1}
		if err := t.l.io.openUDP(c, t.r.src, j.anySource()); err != nil {
			if stopped(t.ctx) {
				j.endRun() // reported unknown with the other unfinished ports
				return
			}
			if transient(err) {
				// A local shortage (descriptors, ports, buffers) is waited out
				// with backoff, never a port's verdict.
				j.backoff = min(max(2*j.backoff, 5*time.Millisecond), time.Second)
				j.wait(time.Now().Add(j.backoff))
				return
			}
			v := classifyOpen(err)
			j.result.State, j.result.Reason, j.result.Detail = v.state, v.reason, v.detail(t.h.addr)
			j.done = true
			j.endRun()
			return
		}
		j.conn = c
	}
	if t.r.pace != nil {
		if at := t.r.pace.reserve(); at.After(time.Now()) {
			j.wait(at)
			return
		}
	}
	j.send()
}

// wait puts the job's attempt off until at.
func (j *udpJob) wait(at time.Time) {
	j.state = udpWaiting
	j.t.l.at(at, timer{u: j})
}

// send sends the attempt's datagrams and opens its window.
func (j *udpJob) send() {
	t := j.t
	h := t.h
	j.start = time.Now()
	j.fromNote = ""
	h.noteUDPSend(j.start)
	j.result.Attempts++
	for _, b := range j.packets() {
		// An ICMP error for an earlier datagram can surface on a later send.
		icmp, err := t.l.io.sendUDP(j.conn, b)
		if icmp == nil && err != nil && transient(err) {
			// A full send buffer (EAGAIN on the poller's non-blocking
			// socket, ENOBUFS): the datagram never left, so the attempt
			// is not made yet and its silence counts for nothing; it is
			// made again after a pause, as a shortage of sockets is.
			j.result.Attempts--
			j.backoff = min(max(2*j.backoff, 5*time.Millisecond), time.Second)
			j.wait(time.Now().Add(j.backoff))
			return
		}
		if err != nil || icmp != nil {
			if t.r.udpError(h, j, err, icmp, time.Since(j.start)) {
				j.windowOver()
				return
			}
		}
	}
	j.backoff = 0
	j.state = udpListening
	j.deadline = earliest(t.ctx, j.start.Add(j.waitFor(h)))
	t.l.at(j.deadline, timer{u: j})
}

// due runs when the job's timer comes.
func (j *udpJob) due() {
	switch j.state {
	case udpWaiting:
		j.state = udpIdle
		if stopped(j.t.ctx) {
			j.endRun()
			return
		}
		j.attempt()
	case udpListening:
		if time.Now().Before(j.deadline) {
			j.t.l.at(j.deadline, timer{u: j})
			return
		}
		j.windowOver()
	}
}

// read takes one thing read from the job's socket (b: the datagram).
func (j *udpJob) read(r udpRead, b []byte) {
	if j.state != udpListening {
		// Between attempts (waiting for the pace): a late answer to an
		// earlier attempt still decides the port.
		if r.err != nil || r.icmp != nil || j.done || !j.answer(r.from, b) {
			return
		}
		j.t.l.cancel(j.hidx)
		j.endRun()
		return
	}
	if j.heard(r, b) {
		j.windowOver()
	}
}

// heard judges what came in the window; it reports whether the window is over.
func (j *udpJob) heard(r udpRead, b []byte) bool {
	t := j.t
	h := t.h
	rtt := time.Since(j.start)
	if r.err != nil || r.icmp != nil {
		if !j.done {
			// An error that decides nothing ends the window: silent so far.
			t.r.udpError(h, j, r.err, r.icmp, rtt)
		}
		return true // or, collecting the rest of an answered exchange: window over
	}
	if !j.answer(r.from, b) {
		return false
	}
	// DNS, SNMP and SSDP draw several replies whose details merge: keep
	// reading until the exchange is complete or the window ends.
	if c, ok := j.query.(probes.Completer); ok && !c.Complete() {
		// The rest usually follows within a round trip; a half that never
		// comes (SNMP v2c with a wrong community) must not cost the whole
		// window, unless the protocol itself takes time (SSDP's MX delay).
		if j.probe.MinWait == 0 {
			if soon := time.Now().Add(max(4*rtt, 250*time.Millisecond)); soon.Before(j.deadline) {
				j.deadline = soon
				t.l.cancel(j.hidx)
				t.l.at(j.deadline, timer{u: j})
			}
		}
		return false
	}
	return true
}

// answer takes a datagram from from: it reports whether it is an answer to
// the job's query, which decides the port open.
func (j *udpJob) answer(from netip.AddrPort, b []byte) bool {
	h := j.t.h
	target := netip.AddrPortFrom(h.addr, j.port)
	if !j.anySource() && from != target || !j.anyAddress() && from.Addr() != h.addr {
		return false // someone else's datagram
	}
	rtt := time.Since(j.start)
	if j.query == nil {
		if !j.done {
			j.result.State, j.result.Reason, j.result.RTT = results.Open, results.ReasonUDPResponse, rtt
			j.result.Detail = fmt.Sprintf("%d-byte reply (no probe knows this port)", len(b))
			h.est.observe(rtt)
			j.done = true
		}
		return true
	}
	d, err := j.query.Match(b)
	if errors.Is(err, probes.ErrNotMine) || err != nil {
		return false // stale, foreign or garbled: never evidence of an open port
	}
	if !j.done {
		j.result.State, j.result.Reason, j.result.RTT = results.Open, results.ReasonUDPResponse, rtt
		h.est.observe(rtt)
		if from.Addr() != h.addr || (j.anySource() && from.Port() != j.port) {
			j.fromNote = fmt.Sprintf(" (reply from %s)", from)
		}
	}
	j.result.Details = d
	j.result.Detail = d.Summary() + j.fromNote
	j.done = true
	return true
}

// windowOver ends the attempt's window: another attempt follows while the
// port is silent and the phase gives it more; else the job's run is over.
func (j *udpJob) windowOver() {
	t := j.t
	t.l.cancel(j.hidx)
	j.state = udpIdle
	if !j.done && !stopped(t.ctx) && j.result.Attempts < t.need(j) {
		j.attempt()
		return
	}
	j.endRun()
}

// endRun closes the job's socket and gives back what its run holds.
func (j *udpJob) endRun() {
	j.closeConn()
	j.t.ended(j)
}

// abort ends the job's run at once: the run stopped. A port decided by then
// is reported as decided.
func (j *udpJob) abort() {
	j.t.l.cancel(j.hidx)
	j.state = udpIdle
	j.closeConn()
	j.running = false
	t := j.t
	t.running--
	t.r.share.release()
	t.h.ports.release()
	if j.done && !j.reported {
		t.r.udpDecided(t.h, j)
		j.reported = true
	}
}

func (j *udpJob) closeConn() {
	if j.conn != nil {
		j.t.l.io.closeUDP(j.conn)
		j.conn = nil
	}
}

// udpDecided reports a decided job and feeds the host's loss meter with it. An
// ICMP port unreachable is no evidence: a host's ICMP rate limit swallows them
// on a clean path too.
func (r *run) udpDecided(h *host, j *udpJob) {
	if j.result.State == results.Open {
		h.udpLoss.observe(j.result.Attempts)
	}
	if !j.quiet {
		r.emit(h, h.name, withCheck(j.result, j.plan.Check))
	}
}
