//go:build !unix

package scan

import (
	"net"
	"testing"
)

// freeTCPPort returns a loopback TCP port with nothing listening: bound, then
// released (here not held, so another process may take it meanwhile).
func freeTCPPort(t testing.TB) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return uint16(p)
}

// freeUDPPort returns a loopback UDP port with nothing bound: bound, then released.
func freeUDPPort(t testing.TB) uint16 {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	return uint16(p)
}
