//go:build unix

package main

import (
	"testing"

	"golang.org/x/sys/unix"
)

// reservedTCPPort returns a TCP port that nothing listens on and nothing else
// can take until the test ends: a socket bound to it on every address, without
// SO_REUSEADDR, and never put into listen. A port merely freed after a listen
// (the usual trick) can be taken by any other process on a busy machine before
// the test looks at it, and then it is listening.
func reservedTCPPort(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		// One socket for IPv4 and IPv6, as a dual-stack listener would be.
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
		if err == nil {
			err = unix.Bind(fd, &unix.SockaddrInet6{})
		}
	}
	if err != nil { // no IPv6 on this machine
		if fd >= 0 {
			unix.Close(fd)
		}
		if fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
			t.Fatal(err)
		}
		if err = unix.Bind(fd, &unix.SockaddrInet4{}); err != nil {
			unix.Close(fd)
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { unix.Close(fd) })
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet6:
		return sa.Port
	case *unix.SockaddrInet4:
		return sa.Port
	}
	t.Fatalf("getsockname: %T", sa)
	return 0
}
