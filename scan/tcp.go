package scan

import (
	"context"
	"net"
	"net/netip"
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
func (s *run) tcp(ctx context.Context, h *host, port uint16) results.Result {
	r := results.Result{Proto: results.TCP, Port: port}
	ap := netip.AddrPortFrom(h.addr, port)
	T := h.est.timeout()
	giveUp := time.Now().Add(max(T, time.Duration(s.retries+1)*T/2))
	ch := make(chan dialResult, s.retries+1)
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	pending := 0
	launch := func() bool {
		if s.pace.wait(ctx) != nil {
			return false
		}
		pending++
		window := max(time.Until(giveUp), T/2)
		go func() { ch <- s.dialOnce(actx, ap, window) }()
		return true
	}
	if !launch() {
		r.State, r.Reason = results.Unknown, stopReason(ctx)
		return r
	}
	next := time.NewTimer(T / 2)
	defer next.Stop()
	launched := 1
	selfConnects := 0
	var best outcome
	best.state, best.reason = results.Filtered, ReasonNoResponse
	for pending > 0 {
		select {
		case <-next.C:
			if launched <= s.retries && launch() {
				launched++
				next.Reset(T / 2)
			}
			continue
		case d := <-ch:
			pending--
			r.Attempts += d.attempts
			if d.conn != nil {
				if isSelfConnect(d.conn) {
					// A loopback connect can meet itself (TCP simultaneous open)
					// when the kernel picks the target port as the source port:
					// that is not a listener. Try again with another source port.
					closeNow(d.conn)
					if selfConnects++; selfConnects < 3 && launch() {
						continue
					}
					best = outcome{results.Closed, "self-connect", true}
					break
				}
				closeNow(d.conn)
			}
			o := classify(d.err)
			if o.final {
				best = o
				r.RTT = d.rtt
				if o.state == results.Open || o.state == results.Closed {
					h.est.observe(d.rtt)
					h.answered.Store(true)
				}
			}
		}
		if best.final {
			break
		}
	}
	if pending > 0 {
		cancel()
		go func(n int) { // late attempts: close whatever they opened
			for range n {
				if d := <-ch; d.conn != nil {
					closeNow(d.conn)
				}
			}
		}(pending)
	}
	if !best.final && stopped(ctx) {
		r.State, r.Reason = results.Unknown, stopReason(ctx)
		return r
	}
	r.State, r.Reason = best.state, best.reason
	return r
}

// dialOnce makes one connection attempt with its own window. Local shortages
// (out of descriptors or ephemeral ports) are waited out with backoff and never
// become a verdict; the window starts again once a socket could be made.
func (s *run) dialOnce(ctx context.Context, ap netip.AddrPort, window time.Duration) dialResult {
	backoff := 5 * time.Millisecond
	for {
		s.slots <- struct{}{}
		dctx, cancel := context.WithTimeout(ctx, window)
		start := time.Now()
		c, err := s.dialer.DialContext(dctx, "tcp", ap.String())
		rtt := time.Since(start)
		cancel()
		<-s.slots
		if err != nil && transient(err) && ctx.Err() == nil {
			s.pressure.Add(1)
			if sleepUntil(ctx, time.Now().Add(backoff)) != nil {
				return dialResult{err: ctx.Err()}
			}
			backoff = min(backoff*2, time.Second)
			continue
		}
		return dialResult{conn: c, err: err, rtt: rtt, attempts: 1}
	}
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
