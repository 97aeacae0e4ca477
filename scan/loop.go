package scan

import (
	"net/netip"
	"sync"
	"time"
)

// The engine is a few event loops (one per processor) that each own a
// poller, which owns the sockets, and a heap of deadlines, and nothing else:
// what an answer means is decided by the TCP sweep (tcp.go) or the UDP
// exchange (udp.go) through the one classifier, and a port costs a few
// hundred bytes and no goroutine, timer or channel. Everything a loop runs, it
// runs on its own goroutine, so the tasks it drives need no locks.

// poller is the per-OS half of a loop: it makes connection attempts and says
// when they end, and owns the sockets of UDP exchanges and says when they have
// something to read. On Linux it is non-blocking sockets in an epoll set
// (poller_linux.go); elsewhere, or when epoll cannot be had, a net.Dialer per
// attempt and a reading goroutine per UDP socket (poller.go). A poller is used
// from its loop's goroutine only, except wake, which any goroutine may call.
type poller interface {
	// connect starts a connection attempt to a.ap. An error means no attempt
	// was made (a local shortage, see transient); otherwise the attempt's end is
	// reported by wait, unless abort comes first.
	connect(a *attempt) error
	// abort ends an attempt that wait has not reported; it is never reported.
	abort(a *attempt)
	// openUDP makes u's socket, from src when valid (anySource: where the
	// system must choose, see udp_other.go, replies may come from any
	// port). An error that transient reports is a local shortage.
	openUDP(u *udpConn, src netip.Addr, anySource bool) error
	// sendUDP sends one datagram on u; a pending ICMP error, classified, may
	// come back instead.
	sendUDP(u *udpConn, b []byte) (*verdict, error)
	// recvUDP reads, without waiting, what came for u into buf: a datagram,
	// or an ICMP error (classified by classifyICMP where the system tells its
	// type and code), or an error; ok is false when nothing is left.
	recvUDP(u *udpConn, buf []byte) (r udpRead, ok bool)
	// closeUDP closes u's socket; nothing is reported for it afterwards.
	closeUDP(u *udpConn)
	// wait blocks until attempts end, UDP sockets have something to read,
	// wake is called, or until passes (zero: no bound), and appends them to
	// out.
	wait(until time.Time, out []completion) []completion
	// wake makes a blocked wait return.
	wake()
	close()
}

// completion is the end of one attempt (err nil means connected), or a UDP
// socket with something to read (u).
type completion struct {
	a    *attempt
	u    *udpConn
	err  error
	self bool // connected to itself (see judge)
	// icmp is the ICMP error behind err, classified, when the poller could
	// read it (IP_RECVERR on Linux): its real type, code and sender, which
	// err alone does not tell (admin-prohibited reads EHOSTUNREACH).
	icmp *verdict
}

// loop runs one poller, its deadlines and the callbacks posted to it.
type loop struct {
	io     poller
	timers timerHeap
	ended  []completion

	mu    sync.Mutex
	inbox []func()
	quit  bool
	dead  bool // stopped: what is posted now is dropped

	tasks      map[task]struct{}
	blocked    []task // waiting for a socket slot or a place towards a host
	retrying   bool   // a retry of the blocked tasks is scheduled
	unblocking bool   // … and one at once, for a slot this loop freed
	exited     chan struct{}
	buf        []byte // UDP datagrams are read into it, one at a time
}

// task is what a loop drives: a host's TCP sweep (or part of one) or its UDP
// exchanges.
type task interface {
	// pump starts whatever may start.
	pump()
	// stop reports every port not yet reported as unknown: the run was
	// cancelled or ran out of time.
	stop()
	// base holds what the loop keeps of every task.
	base() *taskBase
}

type taskBase struct {
	r         *run
	isBlocked bool
}

func (b *taskBase) base() *taskBase { return b }

func newLoop(io poller) *loop {
	l := &loop{io: io, tasks: map[task]struct{}{}, exited: make(chan struct{})}
	go l.run()
	return l
}

// post runs f on the loop's goroutine; after stop, never.
func (l *loop) post(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock() // the wake too: stop must not close the poller under it
	if l.dead {
		return
	}
	if len(l.inbox) == 0 {
		l.io.wake()
	}
	l.inbox = append(l.inbox, f)
}

// stop ends the loop once what was posted before has run.
func (l *loop) stop() {
	l.post(func() { l.quit = true })
	<-l.exited
	l.mu.Lock()
	l.dead = true // a late post must not wake a closed poller
	l.mu.Unlock()
	l.io.close()
}

func (l *loop) run() {
	defer close(l.exited)
	var inbox []func()
	for {
		until := time.Time{}
		if len(l.timers) > 0 {
			until = l.timers[0].at
		}
		l.ended = l.io.wait(until, l.ended[:0])
		for i, c := range l.ended {
			if c.u != nil {
				l.readUDP(c.u)
			} else {
				c.a.ended(c.err, c.self, c.icmp)
			}
			l.ended[i] = completion{}
		}
		now := time.Now()
		for len(l.timers) > 0 && !l.timers[0].at.After(now) {
			l.timers.pop().fire()
		}
		l.mu.Lock()
		inbox, l.inbox = l.inbox, inbox[:0]
		l.mu.Unlock()
		for i, f := range inbox {
			f()
			inbox[i] = nil
		}
		if l.quit {
			return
		}
	}
}

// block remembers a task that found no free socket slot (or no place towards
// its host). Slots are shared with the other loops and with the other scans on
// the engine, which do not say when they free one, so the blocked tasks are
// tried again a moment later, and whenever this loop frees one.
func (l *loop) block(t task) {
	if b := t.base(); !b.isBlocked {
		b.isBlocked = true
		l.blocked = append(l.blocked, t)
	}
	if !l.retrying {
		l.retrying = true
		l.at(time.Now().Add(2*time.Millisecond), timer{f: func() { l.retrying = false; l.unblock() }})
	}
}

// freed runs when this loop gave back a socket slot.
func (l *loop) freed() {
	if len(l.blocked) > 0 && !l.unblocking {
		l.unblocking = true
		l.at(time.Time{}, timer{f: func() { l.unblocking = false; l.unblock() }})
	}
}

// stopRun stops every task of r: it was cancelled or ran out of time.
func (l *loop) stopRun(r *run) {
	for t := range l.tasks {
		if t.base().r == r {
			t.stop()
		}
	}
}

func (l *loop) unblock() {
	bs := l.blocked
	l.blocked = nil
	for _, t := range bs {
		t.base().isBlocked = false
		t.pump()
	}
}

// readUDP hands what came for u to its exchange, all of it: the epoll
// poller's readiness is level-triggered.
func (l *loop) readUDP(u *udpConn) {
	if l.buf == nil {
		l.buf = make([]byte, 64*1024)
	}
	for u.open {
		r, ok := l.io.recvUDP(u, l.buf)
		if !ok {
			return
		}
		u.j.read(r, l.buf[:r.n])
	}
}

// at schedules t; the zero time means now. (A timer at the zero time would
// otherwise be the loop's wait bound, which the poller reads as none: the loop
// slept with the timer due.)
func (l *loop) at(when time.Time, t timer) {
	if when.IsZero() {
		when = time.Now()
	}
	t.at = when
	l.timers.push(t)
}

// cancel takes out the timer at hidx, if any.
func (l *loop) cancel(hidx int) {
	if hidx >= 0 {
		l.timers.remove(hidx)
	}
}

// timer is one deadline: an attempt's (its window or its place at the fresh
// gate), a port's next retry, a UDP exchange's (its window, its pace, its
// wait for a socket), or f.
type timer struct {
	at time.Time
	a  *attempt
	p  *tcpPort
	u  *udpJob
	f  func()
}

func (t timer) fire() {
	switch {
	case t.a != nil:
		t.a.due()
	case t.p != nil:
		t.p.retry()
	case t.u != nil:
		t.u.due()
	default:
		t.f()
	}
}

// timerHeap is a binary min-heap on at. An attempt or a port has at most one
// timer at a time and knows where it is (hidx, -1 when none), so that a port
// that finishes takes its timers out at once rather than holding its memory
// until they come due. (container/heap would box every timer into an
// interface on each push and pop: two allocations per attempt on the hot path.)
type timerHeap []timer

// setIndex tells t's owner where t is.
func (t timer) setIndex(i int) {
	switch {
	case t.a != nil:
		t.a.hidx = i
	case t.p != nil:
		t.p.hidx = i
	case t.u != nil:
		t.u.hidx = i
	}
}

// place puts t at i and tells its owner.
func (h timerHeap) place(i int, t timer) {
	h[i] = t
	t.setIndex(i)
}

func (h timerHeap) swap(i, j int) {
	a, b := h[i], h[j]
	h.place(i, b)
	h.place(j, a)
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].at.Before(h[p].at) {
			break
		}
		h.swap(i, p)
		i = p
	}
}

func (h timerHeap) down(i int) {
	n := len(h)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1].at.Before(h[c].at) {
			c++
		}
		if !h[c].at.Before(h[i].at) {
			break
		}
		h.swap(i, c)
		i = c
	}
}

func (h *timerHeap) push(t timer) {
	*h = append(*h, timer{})
	h.place(len(*h)-1, t)
	h.up(len(*h) - 1)
}

func (h *timerHeap) pop() timer {
	return h.remove(0)
}

// remove takes out the timer at i.
func (h *timerHeap) remove(i int) timer {
	s := *h
	t := s[i]
	n := len(s) - 1
	if i != n {
		s.place(i, s[n])
	}
	s[n] = timer{}
	s = s[:n]
	*h = s
	if i < n {
		s.down(i)
		s.up(i)
	}
	t.setIndex(-1)
	return t
}
