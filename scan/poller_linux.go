package scan

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// newPoller returns the epoll poller, or the portable one when epoll cannot
// be had.
func newPoller() poller {
	if !usePortable {
		if e, err := newEpoll(); err == nil {
			return e
		}
	}
	return newDialPoller()
}

// epollPoller makes connection attempts with non-blocking sockets and learns
// their ends from one epoll set: a connect that completes or fails makes its
// socket writable (SO_ERROR says which), so an attempt costs a socket, an epoll
// registration and a few system calls, and nothing on the Go heap but its
// attempt.
type epollPoller struct {
	epfd, evfd int
	byFD       []*attempt // the live attempt on each descriptor
	udpByFD    []*udpConn // the open UDP socket on each descriptor
	seq        uint32     // tells an attempt (or UDP socket) from an earlier one on the same descriptor
	ephemeral  [2]int     // the local ports the system picks from (isSelf)
	events     [256]unix.EpollEvent
	ready      []completion // attempts that ended inside connect
}

func newEpoll() (*epollPoller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, err
	}
	return &epollPoller{epfd: epfd, evfd: evfd, ephemeral: ephemeralRange()}, nil
}

func sockaddr(a *attempt) (int, unix.Sockaddr) { return toSockaddr(a.addrPort()) }

func toSockaddr(ap netip.AddrPort) (int, unix.Sockaddr) {
	if ap.Addr().Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	if z := ap.Addr().Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		} else if n, err := strconv.ParseUint(z, 10, 32); err == nil {
			sa.ZoneId = uint32(n)
		}
	}
	return unix.AF_INET6, sa
}

func (e *epollPoller) connect(a *attempt) error {
	a.fd = -1
	family, sa := sockaddr(a)
	fd, err := rawSocket(family)
	if err != nil {
		if transient(err) {
			return err
		}
		e.ready = append(e.ready, completion{a: a, err: os.NewSyscallError("socket", err)})
		return nil
	}
	// IP_RECVERR: an ICMP error that ends the connect is kept on the socket's
	// error queue, with its real type and code and its sender (collect). Not
	// towards loopback, where no router can send one and the system call is
	// a measurable part of a port's cost (make bench's loopback rows).
	if !a.p.sw.h.addr.IsLoopback() {
		recvErr(fd, family)
	}
	if src := a.p.sw.r.src; src.IsValid() {
		// IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect, per
		// destination, so a bound source does not use one port per socket
		// of the whole ephemeral range.
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
		_, local := toSockaddr(netip.AddrPortFrom(src, 0))
		if err := unix.Bind(fd, local); err != nil {
			rawClose(fd)
			if transient(err) {
				return err
			}
			e.ready = append(e.ready, completion{a: a, err: os.NewSyscallError("bind", err)})
			return nil
		}
	}
	switch err = rawConnect(fd, sa); err {
	case unix.EINPROGRESS:
	case nil:
		self := e.isSelf(fd, a)
		closeRST(fd)
		e.ready = append(e.ready, completion{a: a, self: self})
		return nil
	default:
		rawClose(fd)
		if transient(err) {
			return err
		}
		e.ready = append(e.ready, completion{a: a, err: os.NewSyscallError("connect", err)})
		return nil
	}
	seq := e.next()
	ev := unix.EpollEvent{Events: unix.EPOLLOUT, Fd: int32(fd), Pad: int32(seq)}
	if err := e.add(fd, &ev); err != nil {
		rawClose(fd)
		return err
	}
	for fd >= len(e.byFD) {
		e.byFD = append(e.byFD, nil)
	}
	e.byFD[fd], a.fd, a.seq = a, fd, seq
	return nil
}

// udpEvent marks the epoll events of UDP sockets, in the sequence number.
const udpEvent = 1 << 31

// next is the sequence number of a new registration, without udpEvent.
func (e *epollPoller) next() uint32 {
	e.seq = (e.seq + 1) &^ udpEvent
	return e.seq
}

func (e *epollPoller) abort(a *attempt) {
	if a.fd >= 0 && a.fd < len(e.byFD) && e.byFD[a.fd] == a {
		e.byFD[a.fd] = nil
		closeRST(a.fd) // it may have connected since the last wait
	}
	a.fd = -1
}

func (e *epollPoller) wait(until time.Time, out []completion) []completion {
	timeout := -1
	if len(e.ready) > 0 {
		out = append(out, e.ready...)
		clear(e.ready)
		e.ready = e.ready[:0]
		timeout = 0
	} else if !until.IsZero() {
		timeout = max(0, int((time.Until(until)+time.Millisecond-1)/time.Millisecond))
	}
	// Every ready socket is collected before the loop fires any deadline: an
	// answer that came in time must not lose to its attempt's timer because
	// more sockets were ready than one call returns.
	for {
		n, err := unix.EpollWait(e.epfd, e.events[:], timeout)
		if err != nil {
			return out // EINTR
		}
		out = e.collect(e.events[:n], out)
		if n < len(e.events) {
			return out
		}
		timeout = 0
	}
}

// collect turns epoll events into completions.
func (e *epollPoller) collect(events []unix.EpollEvent, out []completion) []completion {
	for _, ev := range events {
		fd := int(ev.Fd)
		if fd == e.evfd {
			var b [8]byte
			_, _ = unix.Read(fd, b[:])
			continue
		}
		if uint32(ev.Pad)&udpEvent != 0 {
			if fd < len(e.udpByFD) && e.udpByFD[fd] != nil && e.udpByFD[fd].seq == uint32(ev.Pad) {
				out = append(out, completion{u: e.udpByFD[fd]})
			}
			continue
		}
		if fd >= len(e.byFD) || e.byFD[fd] == nil || e.byFD[fd].seq != uint32(ev.Pad) {
			continue
		}
		a := e.byFD[fd]
		e.byFD[fd], a.fd = nil, -1
		var cerr error
		var icmp *verdict
		switch soerr, gerr := soError(fd); {
		case gerr != 0:
			cerr = os.NewSyscallError("getsockopt", gerr)
		case soerr != 0:
			cerr = os.NewSyscallError("connect", soerr)
			if icmpErrno(soerr) {
				icmp = readErrQueue(fd, a.addrPort())
			}
		default:
			self := e.isSelf(fd, a)
			closeRST(fd)
			out = append(out, completion{a: a, self: self})
			continue
		}
		rawClose(fd)
		out = append(out, completion{a: a, err: cerr, icmp: icmp})
	}
	return out
}

// closeRST closes a connected socket with SO_LINGER 0: an RST instead of a
// FIN, so scans leave no TIME_WAIT sockets behind on either side. (A socket
// that never connected has nothing to linger over: it is closed plainly, a
// system call fewer for every closed or filtered port.)
func closeRST(fd int) {
	l := unix.Linger{Onoff: 1, Linger: 0}
	unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_LINGER, uintptr(unsafe.Pointer(&l)), unsafe.Sizeof(l), 0)
	rawClose(fd)
}

// isSelf reports a connection whose local end is its remote end (see judge):
// TCP's simultaneous open, when the system picked the target's own port as the
// local one. It picks local ports from ip_local_port_range only, so a
// connection to a port outside it cannot be one, and getsockname is spared
// for nearly every open port of a usual scan.
func (e *epollPoller) isSelf(fd int, a *attempt) bool {
	if port := int(a.p.port); port < e.ephemeral[0] || port > e.ephemeral[1] {
		return false
	}
	local, ok := rawSockname(fd)
	return ok && local.Port() == a.p.port && local.Addr() == a.p.sw.h.addr.WithZone("")
}

// ephemeralRange reads the range the system picks local ports from; the
// widest range when it cannot be read.
func ephemeralRange() [2]int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	var lo, hi int
	if err != nil || func() bool { _, err := fmt.Sscan(string(b), &lo, &hi); return err != nil }() || lo > hi {
		return [2]int{1, 65535}
	}
	return [2]int{lo, hi}
}

// soError reads SO_ERROR: the end of a connect.
func soError(fd int) (soerr, err unix.Errno) {
	var v int32
	n := uint32(4)
	_, _, err = unix.RawSyscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_ERROR, uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&n)), 0)
	return unix.Errno(v), err
}

// add adds fd to the epoll set (it never blocks).
func (e *epollPoller) add(fd int, ev *unix.EpollEvent) error {
	if _, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(e.epfd), unix.EPOLL_CTL_ADD, uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0); errno != 0 {
		return errno
	}
	return nil
}

func (e *epollPoller) wake() {
	one := [8]byte{1}
	_, _ = unix.Write(e.evfd, one[:]) // little-endian 1; a full counter still wakes
}

func (e *epollPoller) close() {
	for fd, a := range e.byFD {
		if a != nil {
			rawClose(fd)
		}
	}
	for fd, u := range e.udpByFD {
		if u != nil {
			rawClose(fd)
		}
	}
	unix.Close(e.epfd)
	unix.Close(e.evfd)
}

// The calls on a scan's sockets never block (the sockets are non-blocking), so
// they are made as raw system calls: through the runtime's usual path, a connect
// that does a whole loopback handshake in the kernel (tens of µs) looks like a
// blocking call, and the runtime hands the loop's processor to another thread
// and takes it back afterwards, a context switch or two per port.

func rawSocket(family int) (int, error) {
	fd, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(family), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}

func rawConnect(fd int, sa unix.Sockaddr) error {
	var e unix.Errno
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		raw := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: sa.Addr}
		p := (*[2]byte)(unsafe.Pointer(&raw.Port))
		p[0], p[1] = byte(sa.Port>>8), byte(sa.Port)
		_, _, e = unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&raw)), unix.SizeofSockaddrInet4)
	case *unix.SockaddrInet6:
		raw := unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: sa.Addr, Scope_id: sa.ZoneId}
		p := (*[2]byte)(unsafe.Pointer(&raw.Port))
		p[0], p[1] = byte(sa.Port>>8), byte(sa.Port)
		_, _, e = unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&raw)), unix.SizeofSockaddrInet6)
	default:
		return unix.Connect(fd, sa)
	}
	if e != 0 {
		return e
	}
	return nil
}

func rawClose(fd int) { unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0) }

// recvErr sets IP_RECVERR (IPV6_RECVERR) on a new socket; a socket that
// refuses it still connects, its ICMP errors told only by their errno.
func recvErr(fd, family int) {
	level, opt := unix.IPPROTO_IP, unix.IP_RECVERR
	if family == unix.AF_INET6 {
		level, opt = unix.IPPROTO_IPV6, unix.IPV6_RECVERR
	}
	on := int32(1)
	unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(unsafe.Pointer(&on)), 4, 0)
}

// icmpErrno reports the errnos a connect ends with when an ICMP error ended
// it (net, host and protocol unreachable, administratively prohibited, time
// exceeded; ICMPv6 prohibited is EACCES): then the error queue says which. A
// refusal is a RST nearly always (an ICMP port unreachable would mean closed
// too), so the queue is not read for it, the commonest end of all.
func icmpErrno(e unix.Errno) bool {
	switch e {
	case unix.EHOSTUNREACH, unix.ENETUNREACH, unix.EACCES, unix.ENOPROTOOPT, unix.EPROTO, unix.EHOSTDOWN, unix.ENONET:
		return true
	}
	return false
}

// openUDP makes a non-blocking UDP socket with IP_RECVERR (see udp_linux.go),
// bound to src when it is valid, in the epoll set.
func (e *epollPoller) openUDP(u *udpConn, src netip.Addr, _ bool) error {
	family, sa := toSockaddr(u.target)
	fd, _, errno := unix.RawSyscall(unix.SYS_SOCKET, uintptr(family), unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if errno != 0 {
		return os.NewSyscallError("socket", errno)
	}
	fail := func(op string, err error) error {
		rawClose(int(fd))
		return os.NewSyscallError(op, err)
	}
	if err := recvErrOn(int(fd), family == unix.AF_INET6); err != nil {
		return fail("setsockopt", err)
	}
	if src.IsValid() {
		_, local := toSockaddr(netip.AddrPortFrom(src, 0))
		if err := unix.Bind(int(fd), local); err != nil {
			return fail("bind", err)
		}
	}
	seq := e.next() | udpEvent
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd), Pad: int32(seq)}
	if err := e.add(int(fd), &ev); err != nil {
		return fail("epoll_ctl", err)
	}
	for int(fd) >= len(e.udpByFD) {
		e.udpByFD = append(e.udpByFD, nil)
	}
	e.udpByFD[fd] = u
	u.fd, u.seq, u.sa, u.open = int(fd), seq, sa, true
	return nil
}

func (e *epollPoller) sendUDP(u *udpConn, b []byte) (*verdict, error) {
	err := unix.Sendto(u.fd, b, 0, u.sa.(unix.Sockaddr))
	if err == nil {
		return nil, nil
	}
	if !transient(err) {
		if icmp := readErrQueue(u.fd, u.target); icmp != nil {
			return icmp, nil
		}
	}
	return nil, os.NewSyscallError("sendto", err)
}

func (e *epollPoller) recvUDP(u *udpConn, buf []byte) (udpRead, bool) {
	n, sa, err := unix.Recvfrom(u.fd, buf, unix.MSG_DONTWAIT)
	switch {
	case err == nil:
		return udpRead{n: n, from: fromSockaddr(sa, u.target)}, true
	case err == unix.EAGAIN || err == unix.EINTR:
		// Nothing to read; an ICMP error whose errno a read already took
		// may still sit on the error queue, which keeps the socket ready.
		if icmp := readErrQueue(u.fd, u.target); icmp != nil {
			return udpRead{icmp: icmp}, true
		}
		return udpRead{}, false
	}
	// A pending socket error: the ICMP message behind it is on the error queue.
	if icmp := readErrQueue(u.fd, u.target); icmp != nil {
		return udpRead{icmp: icmp}, true
	}
	return udpRead{err: os.NewSyscallError("recvfrom", err)}, true
}

func (e *epollPoller) closeUDP(u *udpConn) {
	if u.fd >= 0 && u.fd < len(e.udpByFD) && e.udpByFD[u.fd] == u {
		e.udpByFD[u.fd] = nil
		rawClose(u.fd) // which takes it out of the epoll set
	}
	u.fd, u.open = -1, false
}

// fromSockaddr is a datagram's source; the target's zone stands for the
// interface index of a link-local source.
func fromSockaddr(sa unix.Sockaddr, target netip.AddrPort) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr).Unmap()
		if a == target.Addr().WithZone("") {
			a = target.Addr()
		}
		return netip.AddrPortFrom(a, uint16(sa.Port))
	}
	return netip.AddrPort{}
}
