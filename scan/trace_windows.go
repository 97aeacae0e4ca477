//go:build windows

package scan

import (
	"context"
	"errors"
	"net/netip"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// On Windows a trace's probes are blocking TCP connects with a lowered TTL and
// TCP_FAIL_CONNECT_ON_ICMP_ERROR, and the ICMP error that ends one is read
// with TCP_ICMP_ERROR_INFO (winsock.go says what Microsoft documents and
// decides from the version). UDP ports are not traced. No Windows machine runs
// this in the tests: the decisions and the structure's decoding are tested on
// Linux, as the other Windows controls are.

func traceSupport() error {
	v := windows.RtlGetVersion()
	if ok, why := winTraceFor(winVersion{v.MajorVersion, v.MinorVersion, v.BuildNumber}); !ok {
		return errors.New(why)
	}
	return nil
}

func (r *run) newHopProber(src netip.Addr, dst netip.AddrPort, tcp bool, _ *probes.Probe) (hopProber, error) {
	if !tcp {
		return nil, errWinUDPTrace
	}
	if err := traceSupport(); err != nil {
		return nil, err
	}
	return newWinTCPProber(src, dst)
}

// winTCPProber makes each probe a connect from one source port, held for the
// whole trace by a socket bound to it; each probe's socket binds it too
// (SO_REUSEADDR).
type winTCPProber struct {
	family int
	v6     bool
	local  windows.Sockaddr
	dst    netip.AddrPort
	sa     windows.Sockaddr
	holder windows.Handle
}

func winSockaddr(ap netip.AddrPort) (int, windows.Sockaddr) {
	if ap.Addr().Is4() {
		return windows.AF_INET, &windows.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return windows.AF_INET6, &windows.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

func newWinTCPProber(src netip.Addr, dst netip.AddrPort) (*winTCPProber, error) {
	family, sa := winSockaddr(dst)
	_, local := winSockaddr(netip.AddrPortFrom(src, 0))
	holder, err := windows.Socket(family, windows.SOCK_STREAM, windows.IPPROTO_TCP)
	if err != nil {
		return nil, err
	}
	if err := windows.Bind(holder, local); err != nil {
		windows.Closesocket(holder)
		return nil, err
	}
	if local, err = windows.Getsockname(holder); err != nil {
		windows.Closesocket(holder)
		return nil, err
	}
	return &winTCPProber{family: family, v6: dst.Addr().Is6(), local: local, dst: dst, sa: sa, holder: holder}, nil
}

func (p *winTCPProber) close() { windows.Closesocket(p.holder) }

func (p *winTCPProber) probe(ctx context.Context, ttl int, wait time.Duration) (hopAnswer, error) {
	s, err := windows.Socket(p.family, windows.SOCK_STREAM, windows.IPPROTO_TCP)
	if err != nil {
		return hopAnswer{}, err
	}
	closed := false
	closeOnce := func() {
		if !closed {
			closed = true
			windows.Closesocket(s)
		}
	}
	defer closeOnce()
	level, opt := windows.IPPROTO_IP, windows.IP_TTL
	if p.v6 {
		level, opt = windows.IPPROTO_IPV6, windows.IPV6_UNICAST_HOPS
	}
	if err := windows.SetsockoptInt(s, level, opt, ttl); err != nil {
		return hopAnswer{}, err
	}
	if err := windows.SetsockoptInt(s, windows.IPPROTO_TCP, windows.TCP_FAIL_CONNECT_ON_ICMP_ERROR, 1); err != nil {
		return hopAnswer{}, err
	}
	// No SYN retransmissions: a retry is a probe of its own.
	params := initialRTOParams(tcpInitialRTONoSYNRetransmissions)
	var n uint32
	_ = windows.WSAIoctl(s, sioTCPInitialRTO, &params[0], uint32(len(params)), nil, 0, &n, nil, 0)
	if err := windows.SetsockoptInt(s, windows.SOL_SOCKET, windows.SO_REUSEADDR, 1); err != nil {
		return hopAnswer{}, err
	}
	if err := windows.Bind(s, p.local); err != nil {
		return hopAnswer{}, err
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- windows.Connect(s, p.sa) }()
	timer := time.NewTimer(time.Until(earliest(ctx, start.Add(wait))))
	defer timer.Stop()
	select {
	case err = <-done:
	case <-timer.C:
		closeOnce() // ends the blocked connect
		<-done
		return hopAnswer{}, nil
	case <-ctx.Done():
		closeOnce()
		<-done
		return hopAnswer{}, nil
	}
	rtt := time.Since(start)
	switch {
	case err == nil:
		_ = windows.SetsockoptLinger(s, windows.SOL_SOCKET, windows.SO_LINGER, &windows.Linger{Onoff: 1, Linger: 0})
		return hopAnswer{reason: results.ReasonSynAck, from: p.dst.Addr(), rtt: rtt}, nil
	case errors.Is(err, windows.WSAECONNREFUSED):
		return hopAnswer{reason: results.ReasonConnRefused, from: p.dst.Addr(), rtt: rtt}, nil
	case errors.Is(err, windows.WSAEHOSTUNREACH), errors.Is(err, windows.WSAENETUNREACH):
		var info [sizeofICMPErrorInfo]byte
		size := int32(len(info))
		if gerr := windows.Getsockopt(s, windows.IPPROTO_TCP, windows.TCP_ICMP_ERROR_INFO, (*byte)(unsafe.Pointer(&info[0])), &size); gerr == nil {
			if family, typ, code, from, ok := parseICMPErrorInfo(info[:size]); ok {
				if v, ok := classifyICMP(family, typ, code, from); ok {
					return hopAnswer{reason: v.reason, from: v.from, rtt: rtt}, nil
				}
			}
		}
		return hopAnswer{}, errors.New("Windows reported an ICMP error for the connect without its details (TCP_ICMP_ERROR_INFO)")
	}
	return hopAnswer{}, err
}
