//go:build linux

package scan

import (
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// On Linux every UDP probe uses an unconnected socket with IP_RECVERR (ip(7)): it
// sees replies from any source port or address (TFTP, L2TP, clustered SQL
// Browser), and the kernel still queues the ICMP errors for it, with their type and
// code, so admin-prohibited can be told from port-unreachable. The epoll poller
// makes such sockets itself (poller_linux.go); linuxUDP is the portable poller's,
// which the tests run the engine on too.
type linuxUDP struct {
	conn   *net.UDPConn
	target netip.AddrPort
}

func dialUDP(target netip.AddrPort, src netip.Addr, _ bool) (udpSocket, error) {
	c, err := net.ListenUDP(udpNetwork(target), udpLocal(src))
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
	err = rc.Control(func(fd uintptr) { serr = recvErrOn(int(fd), u.target.Addr().Is6()) })
	if err != nil {
		return err
	}
	return serr
}

// recvErrOn sets IP_RECVERR (IPV6_RECVERR) on a UDP socket.
func recvErrOn(fd int, v6 bool) error {
	if v6 {
		return unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVERR, 1)
	}
	return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVERR, 1)
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

func (u *linuxUDP) recv(buf []byte) (int, netip.AddrPort, *verdict, error) {
	n, from, err := u.conn.ReadFromUDPAddrPort(buf)
	if err == nil {
		return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), nil, nil
	}
	// A pending socket error: the ICMP message behind it is on the error queue.
	if icmp := u.readErrQueue(); icmp != nil {
		return 0, netip.AddrPort{}, icmp, nil
	}
	return 0, netip.AddrPort{}, nil, err
}

// readErrQueue reads the ICMP error queued for the target, if any. It goes
// through Control, not Read: reading the error queue never blocks
// (MSG_DONTWAIT), and Read would wait for the descriptor's read lock, which
// the portable poller's reader goroutine holds while it waits for a datagram:
// a send that failed on an earlier ICMP error then stopped the loop that made
// it until a datagram came, on a silent port never (a whole scan hung).
func (u *linuxUDP) readErrQueue() *verdict {
	rc, err := u.conn.SyscallConn()
	if err != nil {
		return nil
	}
	var v *verdict
	_ = rc.Control(func(fd uintptr) { v = readErrQueue(int(fd), u.target) })
	return v
}
