//go:build linux

package scan

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// A socket with IP_RECVERR (IPV6_RECVERR) set keeps the ICMP errors the kernel
// receives about its packets on an error queue (ip(7), ipv6(7)), each with the
// ICMP type and code and the address of whoever sent it; recvmsg with
// MSG_ERRQUEUE reads them: a struct sock_extended_err in a control message, the
// sender's address after it (SO_EE_OFFENDER), and as data the part of the
// offending packet the error quoted (for UDP its payload, after the UDP header;
// for TCP from the TCP header on). What they mean is classifyICMP's to say.
// Since Linux 5.8 (commit 45af29ca761c) a TCP socket in SYN_SENT queues them
// too, which makes TCP traces possible without privileges.

// extErr is one queued ICMP error.
type extErr struct {
	errno     unix.Errno
	family    icmpFamily
	typ, code uint8
	from      netip.Addr // who sent it: a router on the way, or the target; invalid when not given
}

// sizeofExtErr is sizeof(struct sock_extended_err): errno u32, origin u8, type
// u8, code u8, pad u8, info u32, data u32, in host byte order.
const sizeofExtErr = 16

// parseErrQueue decodes the control messages of one recvmsg(MSG_ERRQUEUE) and
// returns the first ICMP or ICMPv6 error among them. Errors of other origins
// (a local error, SO_EE_ORIGIN_LOCAL, or a timestamp) have no ICMP behind them.
func parseErrQueue(oob []byte) (extErr, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return extErr{}, false
	}
	for _, m := range msgs {
		v4 := m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_RECVERR
		v6 := m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_RECVERR
		if (!v4 && !v6) || len(m.Data) < sizeofExtErr {
			continue
		}
		e := extErr{
			errno: unix.Errno(binary.NativeEndian.Uint32(m.Data[0:4])),
			typ:   m.Data[5],
			code:  m.Data[6],
			from:  offender(m.Data[sizeofExtErr:]),
		}
		switch m.Data[4] {
		case unix.SO_EE_ORIGIN_ICMP:
			e.family = icmp4
		case unix.SO_EE_ORIGIN_ICMP6:
			e.family = icmp6
		default:
			continue
		}
		return e, true
	}
	return extErr{}, false
}

// verdict is what the error says about the port; ok is false for one that
// says nothing about it (fragmentation needed: news about the path's MTU).
func (e extErr) verdict() (verdict, bool) { return classifyICMP(e.family, e.typ, e.code, e.from) }

// decodeErrQueue decodes the control messages of one queued error to a
// verdict naming who sent it; nil when they carry no ICMP error that says
// something about the port.
func decodeErrQueue(oob []byte) *verdict {
	e, ok := parseErrQueue(oob)
	if !ok {
		return nil
	}
	if v, ok := e.verdict(); ok {
		return &v
	}
	return nil
}

// nextErrQueue reads one entry of fd's error queue without waiting, into buf
// and oob. ok is false when nothing is queued; an entry that is not an ICMP
// error is skipped. to is the destination of the packet the error is about,
// quote what the error quoted of that packet (the start of buf).
func nextErrQueue(fd int, buf, oob []byte) (e extErr, to unix.Sockaddr, quote []byte, ok bool) {
	for {
		n, oobn, _, sa, err := unix.Recvmsg(fd, buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
		if err != nil {
			return extErr{}, nil, nil, false // nothing queued
		}
		if e, ok := parseErrQueue(oob[:oobn]); ok {
			return e, sa, buf[:n], true
		}
	}
}

// readErrQueue reads the socket fd's queued extended errors (it never blocks)
// until one is about target and decodes to a verdict; nil when none does.
func readErrQueue(fd int, target netip.AddrPort) *verdict {
	buf := make([]byte, 512)
	oob := make([]byte, 512)
	for {
		e, to, _, ok := nextErrQueue(fd, buf, oob)
		if !ok {
			return nil // nothing queued: the caller falls back to the errno
		}
		if !sameDest(to, target) {
			continue
		}
		if v, ok := e.verdict(); ok {
			return &v
		}
	}
}

// sameDest reports whether the packet an error is about was sent to want.
func sameDest(to unix.Sockaddr, want netip.AddrPort) bool {
	switch sa := to.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(sa.Addr) == want.Addr() && sa.Port == int(want.Port())
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(sa.Addr).Unmap() == want.Addr() && sa.Port == int(want.Port())
	}
	return true // no address given: trust the per-probe socket
}

// offender decodes the sockaddr that follows a sock_extended_err: the address
// of whoever sent the ICMP error.
func offender(sa []byte) netip.Addr {
	if len(sa) < 2 {
		return netip.Addr{}
	}
	switch binary.NativeEndian.Uint16(sa) {
	case unix.AF_INET:
		if len(sa) >= 8 {
			return netip.AddrFrom4([4]byte(sa[4:8]))
		}
	case unix.AF_INET6:
		if len(sa) >= 24 {
			return netip.AddrFrom16([16]byte(sa[8:24])).Unmap()
		}
	}
	return netip.Addr{}
}
