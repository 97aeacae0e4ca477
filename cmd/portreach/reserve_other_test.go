//go:build !unix

package main

import (
	"net"
	"testing"
)

// reservedTCPPort returns a TCP port that nothing listens on; here it is only
// freed, not held, so another process may take it meanwhile.
func reservedTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
