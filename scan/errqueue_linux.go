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
// MSG_ERRQUEUE reads them. What they mean is classifyICMP's to say.

// readErrQueue reads the socket fd's queued extended errors (it never blocks)
// until one is about target and decodes to a verdict; nil when none does.
func readErrQueue(fd int, target netip.AddrPort) *verdict {
	buf := make([]byte, 512)
	oob := make([]byte, 512)
	for {
		_, oobn, _, to, err := unix.Recvmsg(fd, buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
		if err != nil {
			return nil // nothing queued: the caller falls back to the errno
		}
		if !sameDest(to, target) {
			continue
		}
		if v := decodeErrQueue(oob[:oobn]); v != nil {
			return v
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

// decodeErrQueue parses the IP_RECVERR / IPV6_RECVERR control message: a
// sock_extended_err (errno u32, origin u8, type u8, code u8, pad u8, info u32,
// data u32) followed by the offender's sockaddr (SO_EE_OFFENDER), and
// classifies the ICMP error it carries; nil when it carries none that says
// something about the port.
func decodeErrQueue(oob []byte) *verdict {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	for _, m := range msgs {
		v4 := m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_RECVERR
		v6 := m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_RECVERR
		if (!v4 && !v6) || len(m.Data) < 16 {
			continue
		}
		var family icmpFamily
		switch origin := m.Data[4]; origin {
		case unix.SO_EE_ORIGIN_ICMP:
			family = icmp4
		case unix.SO_EE_ORIGIN_ICMP6:
			family = icmp6
		default:
			continue // a local error (SO_EE_ORIGIN_LOCAL) or a timestamp: no ICMP behind it
		}
		if v, ok := classifyICMP(family, m.Data[5], m.Data[6], offender(m.Data[16:])); ok {
			return &v
		}
	}
	return nil
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
