//go:build unix

package scan

import (
	"testing"

	"golang.org/x/sys/unix"
)

// freeTCPPort returns a loopback TCP port that nothing listens on, held until
// the test ends by a socket bound to it without SO_REUSEADDR and never put into
// listen: a connection to it is refused, and no other process can take it
// meanwhile (a port merely freed after a listen can be taken by any process on
// a busy machine, and then it scans open).
func freeTCPPort(t testing.TB) uint16 {
	t.Helper()
	return reservedPort(t, unix.SOCK_STREAM)
}

// freeUDPPort returns a loopback UDP port where datagrams draw an ICMP port
// unreachable, held until the test ends: a socket bound to it and connected to
// itself, so the kernel delivers it nothing from any other address and port
// (a connected UDP socket only matches its peer) while no one else can bind it.
func freeUDPPort(t testing.TB) uint16 {
	t.Helper()
	return reservedPort(t, unix.SOCK_DGRAM)
}

func reservedPort(t testing.TB, typ int) uint16 {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	if typ == unix.SOCK_DGRAM {
		if err := unix.Connect(fd, sa); err != nil {
			t.Fatal(err)
		}
	}
	return uint16(sa.(*unix.SockaddrInet4).Port)
}
