package scan

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// usePortable makes scans use the portable poller even where a faster one
// exists: the tests run the engine on both.
var usePortable bool

// dialPoller is the portable poller: a net.Dialer on a goroutine per attempt,
// which is what the scanner did everywhere before the epoll poller, and for UDP
// a net.UDPConn with a goroutine that reads it. It is used where epoll is not
// available, and by the tests that run the engine on both.
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

func (p *dialPoller) openUDP(u *udpConn, src netip.Addr, anySource bool) error {
	sock, err := dialUDP(u.target, src, anySource)
	if err != nil {
		return err
	}
	u.sock, u.open = sock, true
	go p.readUDP(u, sock)
	return nil
}

// readUDP reads u's socket until it is closed, and queues what it reads for
// the loop.
func (p *dialPoller) readUDP(u *udpConn, sock udpSocket) {
	buf := make([]byte, 64*1024)
	for {
		n, from, icmp, err := sock.recv(buf)
		r := udpRead{n: n, from: from, icmp: icmp, err: err}
		if err == nil && icmp == nil {
			r.b = append([]byte(nil), buf[:n]...)
		}
		p.mu.Lock()
		if !u.open {
			p.mu.Unlock()
			return
		}
		u.reads = append(u.reads, r)
		tell := !u.notified
		if tell {
			u.notified = true
			p.ended = append(p.ended, completion{u: u})
		}
		p.mu.Unlock()
		if tell {
			p.wake()
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

func (p *dialPoller) sendUDP(u *udpConn, b []byte) (*verdict, error) { return u.sock.send(b) }

func (p *dialPoller) recvUDP(u *udpConn, buf []byte) (udpRead, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(u.reads) == 0 {
		u.notified = false
		return udpRead{}, false
	}
	r := u.reads[0]
	u.reads[0] = udpRead{}
	u.reads = u.reads[1:]
	if r.b != nil {
		r.n = copy(buf, r.b)
		r.b = nil
	}
	return r, true
}

func (p *dialPoller) closeUDP(u *udpConn) {
	p.mu.Lock()
	u.open = false
	u.reads = nil
	p.mu.Unlock()
	u.sock.close()
}
