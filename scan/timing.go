package scan

import (
	"context"
	"sync"
	"time"
)

// rttFloor is the least a host's adaptive timeout may fall to: below it, a busy
// scanning machine's own scheduling delays would start to look like loss.
const rttFloor = 100 * time.Millisecond

// estimator keeps a host's smoothed round-trip time and variance (RFC 6298 §2) and
// derives the timeout for the host's next probes from them. Until the host has
// answered once, the timeout is the configured ceiling.
type estimator struct {
	mu      sync.Mutex
	ceiling time.Duration
	srtt    time.Duration
	rttvar  time.Duration
	samples int
}

func (e *estimator) observe(rtt time.Duration) {
	if rtt <= 0 {
		rtt = time.Microsecond
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.samples == 0 {
		e.srtt, e.rttvar = rtt, rtt/2 // RFC 6298 §2.2
	} else {
		d := e.srtt - rtt // RFC 6298 §2.3, alpha 1/8, beta 1/4
		if d < 0 {
			d = -d
		}
		e.rttvar = (3*e.rttvar + d) / 4
		e.srtt = (7*e.srtt + rtt) / 8
	}
	e.samples++
}

// timeout is RTO = SRTT + 4·RTTVAR, clamped to [rttFloor, ceiling].
func (e *estimator) timeout() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.samples == 0 {
		return e.ceiling
	}
	rto := e.srtt + 4*e.rttvar
	return min(max(rto, rttFloor), e.ceiling)
}

// pacer spaces sends to at most rate per second across the whole scan.
// A nil pacer does not limit.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newPacer(rate int) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{interval: time.Second / time.Duration(rate)}
}

// wait blocks until the next send may go, or ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return ctx.Err()
	}
	return sleepUntil(ctx, p.reserve())
}

// reserve takes the next send's place and says when it may go.
func (p *pacer) reserve() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	at := p.next
	p.next = p.next.Add(p.interval)
	return at
}

func sleepUntil(ctx context.Context, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Fresh connection attempts towards one host are capped apart from the sockets
// open towards it: up to freshCap attempts younger than freshAge. An attempt that
// is answered, or that has waited freshAge, gives its place to the next. Silent
// (dropped) ports therefore wait side by side in their hundreds at no cost, while
// a run of ports that answer at once (RSTs) is sent at the pace the answers come
// back, not in bursts of a thousand SYNs that overflow queues on the path (seen:
// the veth backlog of a test host dropping SYNs and RSTs, which would make closed
// ports look filtered).
const (
	freshCap = 128
	freshAge = 50 * time.Millisecond
)
