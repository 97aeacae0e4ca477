//go:build linux

package scan

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// On Linux a trace needs no privileges: its probes are ordinary TCP connects and
// UDP datagrams with a lowered TTL (IP_TTL, IPV6_UNICAST_HOPS), and the ICMP
// errors they draw come back on the socket's error queue (IP_RECVERR,
// errqueue_linux.go) with the sender's address, type and code.

// newHopProber makes the prober of a trace of dst from src: TCP when probe is
// nil and tcp is set, else UDP with probe's request (an empty datagram when
// probe is nil).
func (r *run) newHopProber(src netip.Addr, dst netip.AddrPort, tcp bool, probe *probes.Probe) (hopProber, error) {
	if tcp {
		return newTCPHopProber(src, dst)
	}
	return newUDPHopProber(src, dst, probe, r.opts)
}

// tcpHopProber makes each probe a non-blocking connect from one source port.
// A socket's connect cannot be tried again, so each probe has a socket of its
// own; the port is held for the whole trace by a holder socket bound to it with
// SO_REUSEADDR and never connected, so no other connection of this machine
// (the scan's own, in their thousands) is given it meanwhile, while the probe
// sockets, with SO_REUSEADDR too, may bind it. No probe leaves a TIME_WAIT to
// block the next one: a probe still in SYN_SENT closes without one, a refused
// one has none, and one that connected is closed with a RST (SO_LINGER 0).
// A late ICMP error about an earlier probe finds the next one's socket (the
// same four-tuple), and the kernel drops it: the sequence number it quotes is
// not the new connection's.
type tcpHopProber struct {
	family   int
	v6       bool
	local    unix.Sockaddr // src and the held port
	dst      netip.AddrPort
	sa       unix.Sockaddr
	holder   int
	buf, oob []byte
}

func newTCPHopProber(src netip.Addr, dst netip.AddrPort) (*tcpHopProber, error) {
	family, sa := toSockaddr(dst)
	_, local := toSockaddr(netip.AddrPortFrom(src, 0))
	holder, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := unix.SetsockoptInt(holder, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		unix.Close(holder)
		return nil, os.NewSyscallError("setsockopt", err)
	}
	if err := unix.Bind(holder, local); err != nil {
		unix.Close(holder)
		return nil, os.NewSyscallError("bind", err)
	}
	if local, err = unix.Getsockname(holder); err != nil {
		unix.Close(holder)
		return nil, os.NewSyscallError("getsockname", err)
	}
	return &tcpHopProber{family: family, v6: dst.Addr().Is6(), local: local, dst: dst, sa: sa, holder: holder,
		buf: make([]byte, 256), oob: make([]byte, 256)}, nil
}

func (p *tcpHopProber) close() { unix.Close(p.holder) }

// setTTL sets the socket's TTL (hop limit) and asks for ICMP errors on its
// error queue.
func setTTL(fd int, v6 bool, ttl int) error {
	if v6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVERR, 1); err != nil {
			return err
		}
		return unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, ttl)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVERR, 1); err != nil {
		return err
	}
	return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TTL, ttl)
}

func (p *tcpHopProber) probe(ctx context.Context, ttl int, wait time.Duration) (hopAnswer, error) {
	fd, err := unix.Socket(p.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return hopAnswer{}, os.NewSyscallError("socket", err)
	}
	f := os.NewFile(uintptr(fd), "trace") // the runtime's poller waits for it; f owns fd
	connected := false
	defer func() {
		if connected {
			_ = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		}
		f.Close()
	}()
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return hopAnswer{}, os.NewSyscallError("setsockopt", err)
	}
	if err := setTTL(fd, p.v6, ttl); err != nil {
		return hopAnswer{}, os.NewSyscallError("setsockopt", err)
	}
	if err := unix.Bind(fd, p.local); err != nil {
		return hopAnswer{}, os.NewSyscallError("bind", err)
	}
	start := time.Now()
	switch err := unix.Connect(fd, p.sa); err {
	case unix.EINPROGRESS:
	case nil: // a loopback handshake completes inside connect
		connected = true
		return hopAnswer{reason: results.ReasonSynAck, from: p.dst.Addr(), rtt: time.Since(start)}, nil
	case unix.ECONNREFUSED:
		return hopAnswer{reason: results.ReasonConnRefused, from: p.dst.Addr(), rtt: time.Since(start)}, nil
	default:
		return hopAnswer{}, os.NewSyscallError("connect", err)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return hopAnswer{}, err
	}
	_ = f.SetWriteDeadline(earliest(ctx, start.Add(wait)))
	defer context.AfterFunc(ctx, func() { _ = f.SetWriteDeadline(time.Now()) })()
	var a hopAnswer
	var perr error
	// A connect's end makes the socket writable (SO_ERROR says how it
	// ended); an error queued makes it report an error: either wakes Write.
	werr := rc.Write(func(fd uintptr) bool {
		for {
			e, _, quote, ok := nextErrQueue(int(fd), p.buf, p.oob)
			if !ok {
				break
			}
			if v, ok := e.verdict(); ok && quotesPorts(quote, p.local, p.dst.Port()) {
				a = hopAnswer{reason: v.reason, from: e.from, rtt: time.Since(start)}
				return true
			}
		}
		soerr, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		switch {
		case err != nil:
			perr = os.NewSyscallError("getsockopt", err)
		case soerr == 0:
			if _, err := unix.Getpeername(int(fd)); err != nil {
				return false // still connecting
			}
			connected = true
			a = hopAnswer{reason: results.ReasonSynAck, from: p.dst.Addr(), rtt: time.Since(start)}
		case unix.Errno(soerr) == unix.ECONNREFUSED, unix.Errno(soerr) == unix.ECONNRESET:
			a = hopAnswer{reason: results.ReasonConnRefused, from: p.dst.Addr(), rtt: time.Since(start)}
		default:
			// An ICMP error ended the connect, but nothing was queued.
			perr = fmt.Errorf("%w (connect: %v)", errNoICMPDetail, unix.Errno(soerr))
		}
		return true
	})
	if werr != nil && !errors.Is(werr, os.ErrDeadlineExceeded) {
		return hopAnswer{}, werr
	}
	return a, perr
}

// quotesPorts reports whether an ICMP error's quote of a TCP segment (from its
// header on, as the error queue gives it) is about a segment from local's port
// to dport; a quote too short to say is taken as ours (the kernel matched the
// error to this socket by its four-tuple already).
func quotesPorts(quote []byte, local unix.Sockaddr, dport uint16) bool {
	sport, dp, ok := quotedPorts(quote)
	if !ok {
		return true
	}
	switch sa := local.(type) {
	case *unix.SockaddrInet4:
		return sport == uint16(sa.Port) && dp == dport
	case *unix.SockaddrInet6:
		return sport == uint16(sa.Port) && dp == dport
	}
	return true
}

// quotedPorts reads the source and destination ports at the start of a quoted
// TCP or UDP header (RFC 792 quotes at least its first 8 bytes).
func quotedPorts(quote []byte) (sport, dport uint16, ok bool) {
	if len(quote) < 4 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint16(quote[0:2]), binary.BigEndian.Uint16(quote[2:4]), true
}

// udpHopProber sends the probe's request from one socket, whose port stays
// the same for every TTL; each TTL's request is a new query (a new ID), so an
// ICMP error that quotes an earlier TTL's datagram is told from the current
// one's and dropped.
type udpHopProber struct {
	conn     *net.UDPConn
	dst      netip.AddrPort
	req      *probes.Probe // nil: an empty datagram
	opts     probes.Options
	buf, oob []byte
}

func newUDPHopProber(src netip.Addr, dst netip.AddrPort, probe *probes.Probe, opts probes.Options) (*udpHopProber, error) {
	c, err := net.ListenUDP(udpNetwork(dst), udpLocal(src))
	if err != nil {
		return nil, err
	}
	return &udpHopProber{conn: c, dst: dst, req: probe, opts: opts, buf: make([]byte, 64*1024), oob: make([]byte, 256)}, nil
}

func (p *udpHopProber) close() { p.conn.Close() }

func (p *udpHopProber) probe(ctx context.Context, ttl int, wait time.Duration) (hopAnswer, error) {
	rc, err := p.conn.SyscallConn()
	if err != nil {
		return hopAnswer{}, err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = setTTL(int(fd), p.dst.Addr().Is6(), ttl) }); err != nil {
		return hopAnswer{}, err
	}
	if serr != nil {
		return hopAnswer{}, os.NewSyscallError("setsockopt", serr)
	}
	var q probes.Query
	packets := [][]byte{{}}
	if p.req != nil {
		if q, err = p.req.New(rand.Reader, p.opts); err != nil {
			return hopAnswer{}, fmt.Errorf("probe %s: %w", p.req.Name, err)
		}
		packets = q.Packets()
	}
	p.drain() // errors about earlier TTLs' datagrams
	start := time.Now()
	for _, b := range packets {
		// A send may fail with the error an ICMP error raised about the
		// datagram before: the error itself stays queued, read below.
		if _, err := p.conn.WriteToUDPAddrPort(b, p.dst); err != nil && !isICMPErrno(err) {
			return hopAnswer{}, err
		}
	}
	if err := p.conn.SetReadDeadline(earliest(ctx, start.Add(wait))); err != nil {
		return hopAnswer{}, err
	}
	defer context.AfterFunc(ctx, func() { _ = p.conn.SetReadDeadline(time.Now()) })()
	var a hopAnswer
	// A queued error makes the socket report an error, a datagram makes it
	// readable: either wakes Read, which looks at both.
	err = rc.Read(func(fd uintptr) bool {
		for {
			e, to, quote, ok := nextErrQueue(int(fd), p.buf, p.oob)
			if !ok {
				break
			}
			if !sameDest(to, p.dst) || !quotesOneOf(quote, packets) {
				continue // about an earlier TTL's datagram
			}
			if v, ok := e.verdict(); ok {
				a = hopAnswer{reason: v.reason, from: e.from, rtt: time.Since(start)}
				return true
			}
		}
		for {
			n, from, err := unix.Recvfrom(int(fd), p.buf, unix.MSG_DONTWAIT)
			if err != nil {
				// EAGAIN: nothing yet; an ICMP error's errno: its details
				// are queued, and were not this TTL's.
				return false
			}
			if addrOf(from) != p.dst.Addr() {
				continue
			}
			if q != nil {
				if _, merr := q.Match(p.buf[:n]); merr != nil {
					continue // stale, foreign or garbled
				}
			}
			a = hopAnswer{reason: results.ReasonUDPResponse, from: p.dst.Addr(), rtt: time.Since(start)}
			return true
		}
	})
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return hopAnswer{}, err
	}
	return a, nil
}

// addrOf is a socket address's IP address.
func addrOf(sa unix.Sockaddr) netip.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(sa.Addr)
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(sa.Addr).Unmap()
	}
	return netip.Addr{}
}

// drain empties the error queue.
func (p *udpHopProber) drain() {
	rc, err := p.conn.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Read(func(fd uintptr) bool {
		for {
			if _, _, _, ok := nextErrQueue(int(fd), p.buf, p.oob); !ok {
				return true
			}
		}
	})
}

// quotesOneOf reports whether an ICMP error's quote of a UDP datagram (its
// payload, as the error queue gives it: as much as the router quoted, maybe
// followed by RFC 4884 padding and extensions) begins like one of packets. An
// empty quote (a router that quoted only the UDP header) cannot tell, and is
// taken as the current TTL's.
func quotesOneOf(quote []byte, packets [][]byte) bool {
	if len(quote) == 0 {
		return true
	}
	for _, b := range packets {
		n := min(len(quote), len(b))
		if n > 0 && bytes.Equal(quote[:n], b[:n]) || len(b) == 0 {
			return true
		}
	}
	return false
}

// isICMPErrno reports a socket error that a queued ICMP error raises.
func isICMPErrno(err error) bool {
	for _, e := range []unix.Errno{unix.ECONNREFUSED, unix.EHOSTUNREACH, unix.ENETUNREACH, unix.EACCES, unix.EPROTO, unix.ENOPROTOOPT, unix.EMSGSIZE} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func traceSupport() error {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return nil
	}
	return linuxTraceSupport(unix.ByteSliceToString(u.Release[:]))
}
