//go:build linux

package scan

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/portreach/portreach/results"
)

// On Linux every UDP probe uses an unconnected socket with IP_RECVERR (ip(7)): it
// sees replies from any source port or address (TFTP, L2TP, clustered SQL
// Browser), and the kernel still queues the ICMP errors for it, with their type and
// code, so admin-prohibited can be told from port-unreachable.
type linuxUDP struct {
	conn   *net.UDPConn
	target netip.AddrPort
	stop   atomic.Bool
}

func (r *run) openUDP(ctx context.Context, target netip.AddrPort, _ bool) (udpSocket, error) {
	var c *net.UDPConn
	err := r.waitOut(ctx, func() (err error) {
		c, err = net.ListenUDP(udpNetwork(target), udpLocal(r.Source))
		return err
	})
	if err != nil {
		return nil, err
	}
	sock := &linuxUDP{conn: c, target: target}
	if err := sock.enableRecvErr(); err != nil {
		c.Close()
		return nil, err
	}
	return sock, nil
}

func (u *linuxUDP) enableRecvErr() error {
	rc, err := u.conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		if u.target.Addr().Is6() {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVERR, 1)
		} else {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVERR, 1)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

func (u *linuxUDP) send(b []byte) (*icmpReply, error) {
	_, err := u.conn.WriteToUDPAddrPort(b, u.target)
	if err != nil && !transient(err) {
		if icmp := u.readErrQueue(); icmp != nil {
			return icmp, nil
		}
	}
	return nil, err
}

func (u *linuxUDP) close() error { return u.conn.Close() }

func (u *linuxUDP) interrupt() {
	u.stop.Store(true)
	_ = u.conn.SetReadDeadline(time.Now())
}

func (u *linuxUDP) recv(buf []byte, deadline time.Time) (int, netip.AddrPort, *icmpReply, error) {
	if err := u.conn.SetReadDeadline(deadline); err != nil {
		return 0, netip.AddrPort{}, nil, err
	}
	if u.stop.Load() { // interrupted before the deadline above was set
		_ = u.conn.SetReadDeadline(time.Now())
	}
	n, from, err := u.conn.ReadFromUDPAddrPort(buf)
	if err == nil {
		return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), nil, nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return 0, netip.AddrPort{}, nil, err
	}
	// A pending socket error: the ICMP message behind it is on the error queue.
	if icmp := u.readErrQueue(); icmp != nil {
		return 0, netip.AddrPort{}, icmp, nil
	}
	return 0, netip.AddrPort{}, nil, err
}

// readErrQueue reads one queued extended error (struct sock_extended_err) and
// decodes it, or returns nil when there is none or it is not about our target.
func (u *linuxUDP) readErrQueue() *icmpReply {
	rc, err := u.conn.SyscallConn()
	if err != nil {
		return nil
	}
	var icmp *icmpReply
	buf := make([]byte, 512)
	oob := make([]byte, 512)
	_ = rc.Read(func(fd uintptr) bool {
		for {
			_, oobn, _, to, err := unix.Recvmsg(int(fd), buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
			if err != nil {
				return true // nothing queued: fall back to the errno
			}
			if !sameDest(to, u.target) {
				continue
			}
			if r := decodeErrQueue(oob[:oobn]); r != nil {
				icmp = r
				return true
			}
		}
	})
	return icmp
}

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
// data u32) followed by the offender's sockaddr.
func decodeErrQueue(oob []byte) *icmpReply {
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
		origin, typ, code := m.Data[4], m.Data[5], m.Data[6]
		var r *icmpReply
		switch origin {
		case unix.SO_EE_ORIGIN_ICMP:
			r = icmp4Verdict(typ, code)
		case unix.SO_EE_ORIGIN_ICMP6:
			r = icmp6Verdict(typ, code)
		default:
			continue
		}
		if r == nil {
			continue
		}
		r.from = offender(m.Data[16:])
		return r
	}
	return nil
}

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

// icmp4Verdict maps ICMP destination-unreachable codes (RFC 792, RFC 1812 §5.2.7.1)
// the way PortQry and nmap do: port unreachable is closed, the rest filtered.
func icmp4Verdict(typ, code uint8) *icmpReply {
	if typ != 3 {
		if typ == 11 {
			return &icmpReply{state: results.Filtered, reason: results.ReasonTTLExceeded}
		}
		return nil
	}
	switch code {
	case 3:
		return &icmpReply{state: results.Closed, reason: results.ReasonPortUnreach}
	case 0, 6, 11:
		return &icmpReply{state: results.Filtered, reason: results.ReasonNetUnreach}
	case 1, 7, 12:
		return &icmpReply{state: results.Filtered, reason: results.ReasonHostUnreach}
	case 2:
		return &icmpReply{state: results.Filtered, reason: results.ReasonProtoUnreach}
	case 9, 10, 13:
		return &icmpReply{state: results.Filtered, reason: results.ReasonAdminProhibited}
	case 4:
		return nil // fragmentation needed: path MTU news, not a verdict
	}
	return &icmpReply{state: results.Filtered, reason: results.ReasonICMPUnreach}
}

// icmp6Verdict maps ICMPv6 destination-unreachable codes (RFC 4443 §3.1).
func icmp6Verdict(typ, code uint8) *icmpReply {
	if typ != 1 {
		if typ == 3 {
			return &icmpReply{state: results.Filtered, reason: results.ReasonTTLExceeded}
		}
		return nil
	}
	switch code {
	case 4:
		return &icmpReply{state: results.Closed, reason: results.ReasonPortUnreach}
	case 0, 2:
		return &icmpReply{state: results.Filtered, reason: results.ReasonNetUnreach}
	case 3:
		return &icmpReply{state: results.Filtered, reason: results.ReasonHostUnreach}
	case 1, 5, 6:
		return &icmpReply{state: results.Filtered, reason: results.ReasonAdminProhibited}
	}
	return &icmpReply{state: results.Filtered, reason: results.ReasonICMPUnreach}
}
