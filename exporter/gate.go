package exporter

import (
	"context"
	"net/netip"
	"sync"
	"time"
)

// gate admits probes to scan: at most max at once across all clients, and at
// most perClient of them from one client (its source address). A probe that
// cannot start waits in line; each slot that frees goes to the waiting client
// that has the fewest probes scanning, the one whose probe has waited longest
// among equals. So a client that sends many slow probes holds at most
// perClient slots, and another client's probe passes every probe it queued:
// four slow /probe requests from one address no longer make a Prometheus
// server's scrape wait for them and get 503.
//
// A gate is safe for concurrent use.
type gate struct {
	max, perClient int

	mu      sync.Mutex
	running int
	waiting int
	clients map[string]*gateClient // clients with probes running or waiting
	seq     uint64                 // order of arrival of waiters
}

// gateClient is one client's probes: those scanning, and those waiting, oldest
// first.
type gateClient struct {
	key     string
	running int
	queue   []*gateWaiter
}

type gateWaiter struct {
	seq     uint64
	ready   chan struct{} // closed when the slot is granted
	granted bool          // g.mu held
}

func newGate(max, perClient int) *gate {
	return &gate{max: max, perClient: perClient, clients: map[string]*gateClient{}}
}

// busyReason says why a probe that waited in vain got no slot.
type busyReason int

const (
	busyAll    busyReason = iota // every slot was taken (max)
	busyClient                   // its client held perClient slots, and slots were free
)

// acquire takes a slot for a probe of client, waiting no later than until or
// ctx's end; it reports whether it got one, and if not, why. A slot granted as
// the wait ends is kept: the probe runs.
func (g *gate) acquire(ctx context.Context, client string, until time.Time) (bool, busyReason) {
	g.mu.Lock()
	c := g.clients[client]
	if c == nil {
		c = &gateClient{key: client}
		g.clients[client] = c
	}
	// Whenever a slot is free, no waiter could take it (dispatch hands out
	// every slot it can): a probe that fits starts at once, passing nobody.
	if g.running < g.max && c.running < g.perClient {
		g.running++
		c.running++
		g.mu.Unlock()
		return true, 0
	}
	g.seq++
	w := &gateWaiter{seq: g.seq, ready: make(chan struct{})}
	c.queue = append(c.queue, w)
	g.waiting++
	g.mu.Unlock()

	wait, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	select {
	case <-w.ready:
		return true, 0
	case <-wait.Done():
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.granted {
		return true, 0
	}
	for i, x := range c.queue {
		if x == w {
			c.queue = append(c.queue[:i], c.queue[i+1:]...)
			break
		}
	}
	g.waiting--
	g.forget(c)
	if g.running < g.max {
		return false, busyClient
	}
	return false, busyAll
}

// release gives back the slot a probe of client took.
func (g *gate) release(client string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.clients[client]
	c.running--
	g.running--
	g.dispatch()
	g.forget(c)
}

// dispatch hands free slots to waiters: each to the client below its cap with
// the fewest probes running, the one waiting longest among equals. g.mu held.
func (g *gate) dispatch() {
	for g.running < g.max {
		var next *gateClient
		for _, c := range g.clients {
			if len(c.queue) == 0 || c.running >= g.perClient {
				continue
			}
			if next == nil || c.running < next.running ||
				(c.running == next.running && c.queue[0].seq < next.queue[0].seq) {
				next = c
			}
		}
		if next == nil {
			return
		}
		w := next.queue[0]
		next.queue = next.queue[1:]
		next.running++
		g.running++
		g.waiting--
		w.granted = true
		close(w.ready)
	}
}

// forget drops a client with nothing running or waiting. g.mu held.
func (g *gate) forget(c *gateClient) {
	if c.running == 0 && len(c.queue) == 0 {
		delete(g.clients, c.key)
	}
}

// counts returns the probes scanning and waiting now.
func (g *gate) counts() (running, waiting int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running, g.waiting
}

// clientKey is the client a request counts against: its source address, or
// for IPv6 the /64 it is in, since one host commonly holds a whole /64 (SLAAC,
// privacy addresses) and could otherwise count as 2^64 clients. A remote
// address that does not parse (not a TCP connection) is its own key.
func clientKey(remote string) string {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return remote
	}
	a := ap.Addr().Unmap().WithZone("")
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}
