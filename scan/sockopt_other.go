//go:build !windows

package scan

import (
	"net"
	"syscall"
)

// tcpControl: elsewhere the connect sockets need no control.
func tcpControl() func(network, address string, c syscall.RawConn) error { return nil }

// udpControl: elsewhere ICMP errors reach UDP sockets without asking.
func udpControl(*net.UDPConn) {}
