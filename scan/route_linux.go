package scan

import (
	"net/netip"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// routeSource returns the local address the system would send to addr from
// (src, when valid), or why it would not send there: a UDP socket connected
// to the discard port, which routes and binds without sending anything. It is
// made with raw system calls (none of them blocks), and never enters the
// runtime's network poller: a scan of thousands of hosts makes one per host
// (make bench's row 2), and through the net package it cost eight system calls
// and two registrations with the poller instead of four.
func routeSource(addr, src netip.Addr) (netip.Addr, error) {
	family, sa := toSockaddr(netip.AddrPortFrom(addr, 9))
	fd, _, errno := unix.RawSyscall(unix.SYS_SOCKET, uintptr(family), unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if errno != 0 {
		return netip.Addr{}, os.NewSyscallError("socket", errno)
	}
	defer rawClose(int(fd))
	if src.IsValid() {
		_, local := toSockaddr(netip.AddrPortFrom(src, 0))
		if err := unix.Bind(int(fd), local); err != nil {
			return netip.Addr{}, os.NewSyscallError("bind", err)
		}
	}
	if err := rawConnect(int(fd), sa); err != nil {
		return netip.Addr{}, os.NewSyscallError("connect", err)
	}
	local, ok := rawSockname(int(fd))
	if !ok {
		return routeSourceDial(addr, src) // cannot happen; the slow way says why
	}
	return local.Addr(), nil
}

// rawSockname is getsockname(2) for an IPv4 or IPv6 socket. (unix.Getsockname
// also asks the socket's protocol, a system call more, to tell L2TP sockets.)
func rawSockname(fd int) (netip.AddrPort, bool) {
	var rsa unix.RawSockaddrAny
	n := uint32(unix.SizeofSockaddrAny)
	if _, _, e := unix.RawSyscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n))); e != 0 {
		return netip.AddrPort{}, false
	}
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(p[0])<<8|uint16(p[1])), true
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(p[0])<<8|uint16(p[1])), true
	}
	return netip.AddrPort{}, false
}
