package scan

import (
	"context"
	"sync"
	"time"
)

// usePortable makes scans use the portable poller even where a faster one
// exists: the tests run the engine on both.
var usePortable bool

// dialPoller is the portable poller: a net.Dialer on a goroutine per attempt,
// which is what the scanner did everywhere before the epoll poller. It is used
// where epoll is not available, and by the tests that run the engine on both.
type dialPoller struct {
	mu    sync.Mutex
	ended []completion
	wakeC chan struct{}
	timer *time.Timer
}

func newDialPoller() *dialPoller {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &dialPoller{wakeC: make(chan struct{}, 1), timer: t}
}

func (p *dialPoller) connect(a *attempt) error {
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	target := a.addrPort().String()
	d := &a.p.sw.r.dialer // the scan's: its source address and socket options
	go func() {
		c, err := d.DialContext(ctx, "tcp", target)
		self := false
		if c != nil {
			self = isSelfConnect(c)
			closeNow(c)
		}
		if ctx.Err() != nil {
			return // aborted: nobody is waiting
		}
		cancel()
		p.mu.Lock()
		p.ended = append(p.ended, completion{a: a, err: err, self: self})
		p.mu.Unlock()
		p.wake()
	}()
	return nil
}

func (p *dialPoller) abort(a *attempt) { a.cancel() }

func (p *dialPoller) wait(until time.Time, out []completion) []completion {
	p.mu.Lock()
	if len(p.ended) == 0 {
		p.mu.Unlock()
		if until.IsZero() {
			<-p.wakeC
		} else if d := time.Until(until); d > 0 {
			p.timer.Reset(d)
			select {
			case <-p.wakeC:
			case <-p.timer.C:
			}
			p.timer.Stop()
		}
		p.mu.Lock()
	}
	out = append(out, p.ended...)
	clear(p.ended)
	p.ended = p.ended[:0]
	p.mu.Unlock()
	return out
}

func (p *dialPoller) wake() {
	select {
	case p.wakeC <- struct{}{}:
	default:
	}
}

func (p *dialPoller) close() {}
