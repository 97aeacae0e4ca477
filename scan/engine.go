package scan

import (
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portreach/portreach/results"
)

// Engine is what the scans of one process can share: the event loops that
// own their sockets (one per processor, each on one OS thread while it
// waits), the budget of sockets open at once, and the caps towards one host.
// A Scanner whose Engine is nil runs each Scan on an engine of its own, sized
// by its Concurrency and PerHost; scans that share an Engine (an exporter's
// concurrent probes) share its loops and its limits, so that forty scans run
// on as many threads as one, and a host that several of them probe at once
// is not probed harder than one scan would.
//
// The socket budget is shared fairly: a scan may hold more than its share
// (Concurrency divided by the scans running) only while no other scan is
// waiting for a socket, so a scan of 16384 ports does not starve one of 20.
//
// The zero value is ready to use. The loops start with the first scan and
// stop when the last one ends. An Engine is safe for concurrent use; its
// fields must not change once a scan has used it.
type Engine struct {
	// Concurrency caps sockets open at once across every scan on the engine.
	// Zero means a value sized from the process's file-descriptor limit (at
	// most DefaultConcurrency).
	Concurrency int
	// PerHost caps the ports in progress at once towards one host across
	// every scan on the engine (each scan's own Scanner.PerHost applies too).
	// Zero means min(1024, Concurrency).
	PerHost int

	once    sync.Once
	slots   *budget
	perHost int

	mu    sync.Mutex
	users int // scans running
	loops []*loop
	hosts map[netip.Addr]*hostCap
	// next spreads hosts over the loops.
	next atomic.Uint32
}

// init sizes the engine once.
func (e *Engine) init() {
	e.once.Do(func() {
		conc := e.Concurrency
		if conc <= 0 {
			conc = defaultConcurrency()
		}
		perHost := e.PerHost
		if perHost <= 0 {
			perHost = min(1024, conc)
		}
		e.slots = &budget{size: conc}
		e.perHost = perHost
		e.hosts = map[netip.Addr]*hostCap{}
	})
}

// size is the engine's socket budget.
func (e *Engine) size() int { e.init(); return e.slots.size }

// join starts a scan on the engine (and the loops, for the first) and returns
// its share of the socket budget, capped at limit (0: no cap of its own).
func (e *Engine) join(limit int) *share {
	e.init()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.users == 0 {
		for range max(1, runtime.GOMAXPROCS(0)) {
			e.loops = append(e.loops, newLoop(newPoller()))
		}
	}
	e.users++
	return e.slots.join(limit)
}

// leave ends a scan started by join; the last one stops the loops.
func (e *Engine) leave(s *share) {
	e.slots.leave(s)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.users--; e.users == 0 {
		for _, l := range e.loops {
			l.stop() // the loops never take e.mu
		}
		e.loops = nil
	}
}

// loopsFrom returns the engine's loops and where the next host starts among
// them, so that hosts spread over the loops.
func (e *Engine) loopsFrom() (first int, loops []*loop) {
	e.mu.Lock()
	loops = e.loops
	e.mu.Unlock()
	return int(e.next.Add(1)), loops
}

// hostCap is what every scan on an engine shares about one host: its ports
// in progress (a budget of PerHost, shared fairly among the scans of the
// host as the sockets are among all scans) and its fresh attempts (see
// freshCap).
type hostCap struct {
	refs  int // scans of the host, under Engine.mu
	ports *budget
	fresh atomic.Int32
}

// host returns addr's shared caps and the scan's share of its ports; each
// call is matched by a call of unhost.
func (e *Engine) host(addr netip.Addr) (*hostCap, *share) {
	e.mu.Lock()
	defer e.mu.Unlock()
	hc := e.hosts[addr]
	if hc == nil {
		hc = &hostCap{ports: &budget{size: e.perHost}}
		e.hosts[addr] = hc
	}
	hc.refs++
	return hc, hc.ports.join(0)
}

func (e *Engine) unhost(addr netip.Addr, s *share) {
	s.b.leave(s)
	e.mu.Lock()
	defer e.mu.Unlock()
	if hc := e.hosts[addr]; hc != nil {
		if hc.refs--; hc.refs == 0 {
			delete(e.hosts, addr)
		}
	}
}

// takeFresh takes a place among the host's fresh attempts.
func takeFresh(hc *hostCap) bool {
	if hc.fresh.Add(1) > freshCap {
		hc.fresh.Add(-1)
		return false
	}
	return true
}

// budget is an engine's socket slots.
type budget struct {
	mu     sync.Mutex
	size   int
	used   int
	shares []*share
	// freed is closed when a slot is given back while a blocking acquire
	// waits for one.
	freed chan struct{}
}

// share is one scan's part of a budget.
type share struct {
	b     *budget
	limit int // the scan's own cap; 0: none
	held  int
	// wanted is when the scan was last refused a slot: a scan refused within
	// wantFresh is still waiting, and the others keep to their share.
	wanted time.Time
}

// wantFresh is how long a refused scan counts as waiting for a slot: the
// engine's loops try their blocked sweeps again every 2 ms.
const wantFresh = 20 * time.Millisecond

func (b *budget) join(limit int) *share {
	s := &share{b: b, limit: limit}
	b.mu.Lock()
	b.shares = append(b.shares, s)
	b.mu.Unlock()
	return s
}

func (b *budget) leave(s *share) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, o := range b.shares {
		if o == s {
			b.shares[i] = b.shares[len(b.shares)-1]
			b.shares[len(b.shares)-1] = nil
			b.shares = b.shares[:len(b.shares)-1]
			break
		}
	}
}

// take takes a slot for s if the budget and fairness allow; b.mu held.
func (b *budget) take(s *share) bool {
	if s.limit > 0 && s.held >= s.limit {
		return false // its own cap: its own releases free a place
	}
	if b.used >= b.size {
		s.wanted = time.Now()
		return false
	}
	if n := len(b.shares); n > 1 && s.held*n >= b.size {
		// At its share or above it: a slot goes to a scan waiting for one.
		now := time.Now()
		for _, o := range b.shares {
			if o != s && !o.wanted.IsZero() && now.Sub(o.wanted) < wantFresh {
				s.wanted = now
				return false
			}
		}
	}
	b.used++
	s.held++
	s.wanted = time.Time{}
	return true
}

// tryAcquire takes a slot if one is free to s at once: the loops must not
// block.
func (s *share) tryAcquire() bool {
	b := s.b
	b.mu.Lock()
	ok := b.take(s)
	b.mu.Unlock()
	return ok
}

// acquire takes a slot, waiting until one is free to s or done is closed (nil:
// never); it reports whether it took one.
func (s *share) acquire(done <-chan struct{}) bool {
	b := s.b
	for {
		b.mu.Lock()
		if b.take(s) {
			b.mu.Unlock()
			return true
		}
		if b.freed == nil {
			b.freed = make(chan struct{})
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-done:
			return false
		}
	}
}

// release gives back a slot.
func (s *share) release() {
	b := s.b
	b.mu.Lock()
	b.used--
	s.held--
	if b.freed != nil {
		close(b.freed)
		b.freed = nil
	}
	b.mu.Unlock()
}

// resultQueue carries a scan's results from whoever reaches them (the loops,
// the goroutines of UDP and confirmation) to the goroutine that calls emit.
type resultQueue struct {
	mu     sync.Mutex
	cond   sync.Cond // signalled on push, and on drain for pushers that wait
	items  []results.Result
	spare  []results.Result
	limit  int // push waits while this many wait; 0: never
	closed bool
}

func newResultQueue(limit int) *resultQueue {
	q := &resultQueue{limit: limit}
	q.cond.L = &q.mu
	return q
}

func (q *resultQueue) push(r results.Result) {
	q.mu.Lock()
	for q.limit > 0 && len(q.items) >= q.limit {
		q.cond.Wait()
	}
	q.items = append(q.items, r)
	if len(q.items) == 1 {
		q.cond.Broadcast()
	}
	q.mu.Unlock()
}

// close says no more results come; drain returns once it has emitted the rest.
func (q *resultQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// drain calls emit on every result, in order, until the queue is closed and
// empty.
func (q *resultQueue) drain(emit func(results.Result)) {
	for {
		q.mu.Lock()
		for len(q.items) == 0 && !q.closed {
			q.cond.Wait()
		}
		batch := q.items
		q.items, q.spare = q.spare[:0], nil
		closed := q.closed
		q.cond.Broadcast() // pushers waiting for room
		q.mu.Unlock()
		for i := range batch {
			emit(batch[i])
			batch[i] = results.Result{}
		}
		if closed && len(batch) == 0 {
			return
		}
		q.mu.Lock()
		if q.spare == nil && cap(batch) <= max(q.limit, 4096) {
			q.spare = batch[:0]
		}
		q.mu.Unlock()
	}
}
