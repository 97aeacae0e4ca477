package scan

import (
	"context"
	"math"
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

// lossGoal is the chance of a wrong "filtered" (or open|filtered) that a lossy
// path is allowed: every attempt of a port that does answer lost. It is per
// port, and a run checks hundreds of ports: at 1e-4, a scan of 600 ports over a
// path losing 10% each way (19% an attempt, 6 attempts) expects one wrong verdict
// in about 35 runs; at 1e-5 (8 attempts), about one in a thousand. One late
// answer in a thousand still counts as clean (2 attempts).
const lossGoal = 1e-5

// lossMeter learns a path's loss from a host's own answers: a port that
// answered only to a later attempt had its earlier attempts lost on the way
// (the probe or its answer), which a port that answered at once did not. Ports
// silent after their attempts are no evidence either way: a firewall drops them
// on a clean path too.
//
// A silent port gets enough attempts that, if the port does answer, every one of
// them being lost is rarer than lossGoal (nmap adapts its retries to the drops
// it sees in the same spirit). Until a late answer is seen the path counts as
// clean and silent ports cost what they always did.
type lossMeter struct {
	mu       sync.Mutex
	answered int // ports that answered
	late     int // of those, ports answered only by a later attempt
}

// observe records a port that answered to its attempt-th attempt (1 is the first).
func (m *lossMeter) observe(attempt int) {
	m.mu.Lock()
	m.answered++
	if attempt > 1 {
		m.late++
	}
	m.mu.Unlock()
}

// attempts is how many attempts a silent port needs on this path, given that
// base are made anyway; at most MaxRetries+1.
func (m *lossMeter) attempts(base int) int {
	m.mu.Lock()
	answered, late := m.answered, m.late
	m.mu.Unlock()
	return lossAttempts(answered, late, base)
}

// lossAttempts is the decision behind lossMeter.attempts, as a pure function.
// The loss per attempt is estimated as (late+1)/(answered+1), a little above
// late/answered, so that a handful of answers does not pass for a clean path;
// with no late answer at all the path is taken as clean.
func lossAttempts(answered, late, base int) int {
	if late == 0 || answered == 0 {
		return base
	}
	p := float64(late+1) / float64(answered+1)
	if p >= 0.5 {
		p = 0.5 // so lossy that most answers come late: the cap decides
	}
	n := int(math.Ceil(math.Log(lossGoal) / math.Log(p)))
	return min(max(n, base), MaxRetries+1)
}
