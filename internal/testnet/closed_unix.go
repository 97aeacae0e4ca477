//go:build unix

package testnet

import (
	"testing"

	"golang.org/x/sys/unix"
)

// ClosedTCPPort returns a TCP port that nothing listens on and nothing else can
// take until the test ends: a socket bound to it on every address (IPv4 and,
// where there is IPv6, IPv6) without SO_REUSEADDR, and never put into listen.
// A connection to it is refused, and it is not in the listening socket table.
// A port merely freed after a listen (the usual trick) can be taken by any
// process on a busy machine before the test uses it, and then it is open.
func ClosedTCPPort(t testing.TB) uint16 {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		// One socket for IPv4 and IPv6, as a dual-stack listener would be.
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
		if err == nil {
			err = unix.Bind(fd, &unix.SockaddrInet6{})
		}
		if err != nil {
			unix.Close(fd)
		}
	}
	if err != nil { // no IPv6 here
		fd = socket(t, unix.SOCK_STREAM)
		if err := unix.Bind(fd, &unix.SockaddrInet4{}); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Cleanup(func() { unix.Close(fd) })
	}
	return localPort(t, fd)
}

// ClosedUDPPort returns a loopback (127.0.0.1) UDP port where a datagram draws
// ICMP port unreachable, held until the test ends: a socket bound to it and
// connected to itself, so the system delivers it nothing from any other sender
// (a connected UDP socket matches its peer only) while no one else can bind it.
func ClosedUDPPort(t testing.TB) uint16 {
	t.Helper()
	fd := socket(t, unix.SOCK_DGRAM)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Connect(fd, sa); err != nil {
		t.Fatal(err)
	}
	return localPort(t, fd)
}

// socket opens an IPv4 socket closed when the test ends.
func socket(t testing.TB, typ int) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func localPort(t testing.TB, fd int) uint16 {
	t.Helper()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return uint16(sa.Port)
	case *unix.SockaddrInet6:
		return uint16(sa.Port)
	}
	t.Fatalf("getsockname: %T", sa)
	return 0
}
