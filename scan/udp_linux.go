//go:build linux

package scan

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
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

func (u *linuxUDP) send(b []byte) (*verdict, error) {
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

func (u *linuxUDP) recv(buf []byte, deadline time.Time) (int, netip.AddrPort, *verdict, error) {
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

// readErrQueue reads the ICMP error queued for the target, if any.
func (u *linuxUDP) readErrQueue() *verdict {
	rc, err := u.conn.SyscallConn()
	if err != nil {
		return nil
	}
	var v *verdict
	_ = rc.Read(func(fd uintptr) bool {
		v = readErrQueue(int(fd), u.target)
		return true
	})
	return v
}
