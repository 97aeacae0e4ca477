package scan

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/portreach/portreach/results"
)

type dialResult struct {
	conn     net.Conn
	err      error
	rtt      time.Duration
	attempts int // dials that reached the network (transient local failures excluded)
}

// tcp tests one TCP port with a connect scan. T is the host's current timeout.
// Attempt k starts k·T/2 after the first while the port is still silent, and the
// port is given up at max(T, (retries+1)·T/2): a retry goes out only for a silent
// port, each attempt has at least T/2 to be answered (T is the configured 1 s, or
// SRTT + 4·RTTVAR once the host has answered, so T/2 is still many round trips),
// and a dropped port costs T with the default single retry rather than 2·T.
//
// The first attempt runs on the calling goroutine; retries are started by a
// timer, so the common case (an answer within T/2) spawns nothing.
func (s *run) tcp(ctx context.Context, h *host, port uint16, release func()) results.Result {
	r := results.Result{Proto: results.TCP, Port: port}
	ap := netip.AddrPortFrom(h.addr, port)
	T := h.est.timeout()
	start := time.Now()
	giveUp := start.Add(max(T, time.Duration(s.retries+1)*T/2))
	window := func() time.Duration { return max(time.Until(giveUp), T/2) }
	if s.pace.wait(ctx) != nil {
		if release != nil {
			release()
		}
		r.State, r.Reason = results.Unknown, stopReason(ctx)
		return r
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()

	ch := make(chan dialResult, s.retries)
	var wg sync.WaitGroup
	var timer *time.Timer
	if s.retries > 0 {
		wg.Add(1)
		timer = time.AfterFunc(T/2, func() {
			defer wg.Done()
			for k := 1; k <= s.retries; k++ {
				if k > 1 && sleepUntil(actx, start.Add(time.Duration(k)*T/2)) != nil {
					return
				}
				if s.pace.wait(actx) != nil {
					return
				}
				wg.Add(1)
				go func() { defer wg.Done(); ch <- s.dialOnce(actx, h, ap, window(), nil) }()
			}
		})
		go func() { wg.Wait(); close(ch) }()
	} else {
		close(ch)
	}

	best := s.judge(h, &r, s.dialOnce(actx, h, ap, window(), release))
	for !best.final && !stopped(ctx) {
		d, ok := <-ch
		if !ok {
			break
		}
		best = s.judge(h, &r, d)
	}
	cancel()
	if timer != nil && timer.Stop() {
		wg.Done() // the retries never started
	}
	go func() { // late attempts: close whatever they opened
		for d := range ch {
			if d.conn != nil {
				closeNow(d.conn)
			}
		}
	}()

	if !best.final && stopped(ctx) {
		r.State, r.Reason = results.Unknown, stopReason(ctx)
		return r
	}
	if !best.final && T < s.timeout {
		// Silent within a window learnt from this host's quick answers. Before
		// calling it filtered, give it the full configured timeout once: a burst
		// of probes can overflow a queue on the path (or this machine can be slow
		// to notice the answer), and one dropped port among answering ones is
		// exactly what a firewall rule looks like, so it must be checked.
		best = s.judge(h, &r, s.dialOnce(ctx, h, ap, s.timeout, nil))
		if !best.final && stopped(ctx) {
			r.State, r.Reason = results.Unknown, stopReason(ctx)
			return r
		}
	}
	r.State, r.Reason = best.state, best.reason
	return r
}

// judge turns one attempt into an outcome, records it in r and feeds the host's
// round-trip estimate. A loopback connect that met itself (TCP simultaneous open,
// when the kernel picks the target port as the source port; the kernel never
// picks a port a listener holds) is closed, never open.
func (s *run) judge(h *host, r *results.Result, d dialResult) outcome {
	r.Attempts += d.attempts
	if d.conn != nil {
		self := isSelfConnect(d.conn)
		closeNow(d.conn)
		if self {
			r.RTT = d.rtt
			return outcome{results.Closed, results.ReasonSelfConnect, true}
		}
	}
	o := classify(d.err)
	if o.final {
		r.RTT = d.rtt
		if o.state == results.Open || o.state == results.Closed {
			h.est.observe(d.rtt)
		}
	}
	return o
}

// dialOnce makes one connection attempt with its own window. Local shortages
// (out of descriptors or ephemeral ports) are waited out with backoff and never
// become a verdict; the window starts again once a socket could be made.
// release, when not nil, is a place at the host's fresh gate already taken for
// this attempt.
func (s *run) dialOnce(ctx context.Context, h *host, ap netip.AddrPort, window time.Duration, release func()) dialResult {
	var d dialResult
	err := s.waitOut(ctx, func() error {
		s.slots <- struct{}{}
		defer func() { <-s.slots }()
		if release == nil {
			release = h.fresh.take(ctx)
		}
		dctx, cancel := context.WithTimeout(ctx, window)
		start := time.Now()
		c, err := s.dialer.DialContext(dctx, "tcp", ap.String())
		d = dialResult{conn: c, err: err, rtt: time.Since(start), attempts: 1}
		cancel()
		release()
		release = nil
		if ctx.Err() != nil {
			return nil // cancelled: whatever the error, nothing to wait out
		}
		return err
	})
	if d.err != nil && transient(d.err) {
		return dialResult{err: err} // cancelled while waiting out a shortage: no attempt made
	}
	return d
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
