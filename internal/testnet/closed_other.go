//go:build !unix

package testnet

import (
	"net"
	"testing"
)

// ClosedTCPPort returns a loopback TCP port that nothing listens on. Here it
// is bound and released, not held: another process may take it meanwhile.
func ClosedTCPPort(t testing.TB) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// ClosedUDPPort returns a loopback UDP port that nothing is bound to, bound
// and released as ClosedTCPPort's is.
func ClosedUDPPort(t testing.TB) uint16 {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}
