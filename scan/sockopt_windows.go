//go:build windows

package scan

import (
	"net"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// sioTCPInitialRTO is SIO_TCP_INITIAL_RTO, _WSAIOW(IOC_VENDOR, 17) in mstcpip.h.
const sioTCPInitialRTO = windows.IOC_IN | windows.IOC_VENDOR | 17

var windowsTCPControls = sync.OnceValue(func() winTCPControls {
	v := windows.RtlGetVersion()
	return tcpControlsFor(winVersion{v.MajorVersion, v.MinorVersion, v.BuildNumber})
})

// tcpControl is the Control of the dialer's connect sockets: the controls
// winsock.go decides on. A control Windows refuses leaves its default
// behaviour; it never fails the attempt.
func tcpControl() func(network, address string, c syscall.RawConn) error {
	ctl := windowsTCPControls()
	return func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			s := windows.Handle(fd)
			if ctl.initialRTO {
				p := initialRTOParams(ctl.maxSynRetransmissions)
				var n uint32
				_ = windows.WSAIoctl(s, sioTCPInitialRTO, &p[0], uint32(len(p)), nil, 0, &n, nil, 0)
			}
			if ctl.failOnICMP {
				_ = windows.SetsockoptInt(s, windows.IPPROTO_TCP, windows.TCP_FAIL_CONNECT_ON_ICMP_ERROR, 1)
			}
		})
	}
}

// udpControl switches SIO_UDP_CONNRESET back on, which Go switches off on every
// UDP socket: with it, an ICMP port unreachable for a datagram of this socket
// makes the next receive fail with WSAECONNRESET, the only way a Windows
// program sees that a UDP port is closed.
func udpControl(c *net.UDPConn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		on := uint32(1)
		var n uint32
		_ = windows.WSAIoctl(windows.Handle(fd), windows.SIO_UDP_CONNRESET, (*byte)(unsafe.Pointer(&on)), 4, nil, 0, &n, nil, 0)
	})
}
