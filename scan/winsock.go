package scan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Windows socket controls. Windows answers a RST to a SYN by sending the SYN
// again (several times, about a second apart) before connect reports
// WSAECONNREFUSED, and ignores ICMP unreachables during connect, so with a 1 s
// timeout every closed or rejected port would read filtered (nmap issue 2113).
// The decisions are made here, from the Windows version, as plain functions
// tested on every platform; sockopt_windows.go applies them.

// winVersion is a Windows version as RtlGetVersion reports it.
type winVersion struct{ major, minor, build uint32 }

func (v winVersion) atLeast(major, minor, build uint32) bool {
	if v.major != major {
		return v.major > major
	}
	if v.minor != minor {
		return v.minor > minor
	}
	return v.build >= build
}

// winTCPControls are the controls a TCP connect socket gets.
type winTCPControls struct {
	// initialRTO: SIO_TCP_INITIAL_RTO with TCP_INITIAL_RTO_PARAMETERS
	// (Windows 8 and Server 2012, version 6.2, and later).
	initialRTO bool
	// maxSynRetransmissions is its MaxSynRetransmissions:
	// TCP_INITIAL_RTO_NO_SYN_RETRANSMISSIONS (a RST ends the connect at once)
	// from Windows 10 version 1709 (build 16299); 1 before, the least those
	// versions take. portreach's own retries replace the stack's.
	maxSynRetransmissions uint8
	// failOnICMP: TCP_FAIL_CONNECT_ON_ICMP_ERROR, so that an ICMP error ends
	// the connect with WSAEHOSTUNREACH (Windows 10 and Windows Server version
	// 2004, build 19041, and later).
	failOnICMP bool
}

// Values from mstcpip.h.
const (
	tcpInitialRTOUnspecifiedRTT       = 0xFFFF // TCP_INITIAL_RTO_UNSPECIFIED_RTT: the administrator's setting
	tcpInitialRTONoSYNRetransmissions = 0xFE   // TCP_INITIAL_RTO_NO_SYN_RETRANSMISSIONS, ((UCHAR)-2)
)

func tcpControlsFor(v winVersion) winTCPControls {
	var c winTCPControls
	if v.atLeast(6, 2, 0) {
		c.initialRTO = true
		c.maxSynRetransmissions = 1
		if v.atLeast(10, 0, 16299) {
			c.maxSynRetransmissions = tcpInitialRTONoSYNRetransmissions
		}
	}
	c.failOnICMP = v.atLeast(10, 0, 19041)
	return c
}

// initialRTOParams lays out TCP_INITIAL_RTO_PARAMETERS as Windows reads it: USHORT
// Rtt (unspecified: the system's initial RTT), UCHAR MaxSynRetransmissions, and
// the pad byte that makes the structure 4 bytes; little-endian.
func initialRTOParams(maxSyn uint8) [4]byte {
	return [4]byte{tcpInitialRTOUnspecifiedRTT & 0xFF, tcpInitialRTOUnspecifiedRTT >> 8, maxSyn, 0}
}

// Traces on Windows. A trace's probes are TCP connects with a lowered TTL; what
// a program without Administrator can learn of the ICMP error that ends one is,
// by Microsoft's documentation:
//
//   - IP_TTL (IPPROTO_IP socket options; IPV6_UNICAST_HOPS for IPv6) "changes
//     the default value ... in the TTL field of the IP header in outgoing
//     datagrams", not restricted to datagram sockets; its support is optional
//     and shows in getsockopt.
//   - TCP_FAIL_CONNECT_ON_ICMP_ERROR (IPPROTO_TCP socket options, Windows 10
//     and Windows Server version 2004, build 19041): "a connect API call will
//     return upon the receipt of an ICMP error with the value WSAEHOSTUNREACH.
//     The source address of the error will then be available through the
//     TCP_ICMP_ERROR_INFO socket option".
//   - TCP_ICMP_ERROR_INFO (WSAGetIcmpErrorInfo, same versions) gives an
//     ICMP_ERROR_INFO: the error's source address, its protocol (IPPROTO_ICMP
//     or IPPROTO_ICMPV6), type and code; WSANO_DATA when no ICMP error came
//     since the last connect.
//
// So from build 19041 a TCP port can be traced as on Linux. A UDP socket learns
// only that a port was unreachable (WSAECONNRESET, SIO_UDP_CONNRESET), never
// from whom: UDP traces, and TCP traces before build 19041, need raw sockets,
// which need Administrator.

// winTraceFor says whether TCP traces can be made on Windows version v, and
// why not when they cannot.
func winTraceFor(v winVersion) (tcp bool, why string) {
	if v.atLeast(10, 0, 19041) {
		return true, ""
	}
	return false, fmt.Sprintf("tracing without Administrator needs Windows 10 or Windows Server version 2004 (build 19041) or later, whose TCP_FAIL_CONNECT_ON_ICMP_ERROR and TCP_ICMP_ERROR_INFO report who sent an ICMP error (this is %d.%d build %d)", v.major, v.minor, v.build)
}

// errWinUDPTrace is a UDP trace's error on Windows.
var errWinUDPTrace = errors.New("UDP ports are not traced on Windows: a UDP socket learns that an ICMP error came, never from whom, without raw sockets (Administrator)")

// ICMP_ERROR_INFO (ws2ipdef.h): SOCKADDR_INET srcaddress (the union of
// SOCKADDR_IN and SOCKADDR_IN6, 28 bytes), IPPROTO protocol (an enum, 4
// bytes), UINT8 type, UINT8 code; 36 bytes with the padding. Little-endian,
// but for the address's port and address, which are in network order.
const (
	sizeofICMPErrorInfo = 36
	winAFInet           = 2  // AF_INET
	winAFInet6          = 23 // AF_INET6 on Windows
	winIPProtoICMP      = 1  // IPPROTO_ICMP
	winIPProtoICMPv6    = 58 // IPPROTO_ICMPV6
)

// parseICMPErrorInfo decodes the ICMP_ERROR_INFO that getsockopt
// (TCP_ICMP_ERROR_INFO) fills: which ICMP, its type and code, and who sent
// it. ok is false for bytes that are not one (too short, an unknown family,
// a protocol that does not match the address's family).
func parseICMPErrorInfo(b []byte) (family icmpFamily, typ, code uint8, from netip.Addr, ok bool) {
	if len(b) < sizeofICMPErrorInfo {
		return 0, 0, 0, netip.Addr{}, false
	}
	proto := binary.LittleEndian.Uint32(b[28:32])
	switch af := binary.LittleEndian.Uint16(b[0:2]); {
	case af == winAFInet && proto == winIPProtoICMP:
		family, from = icmp4, netip.AddrFrom4([4]byte(b[4:8]))
	case af == winAFInet6 && proto == winIPProtoICMPv6:
		family, from = icmp6, netip.AddrFrom16([16]byte(b[8:24])).Unmap()
	default:
		return 0, 0, 0, netip.Addr{}, false
	}
	return family, b[32], b[33], from, true
}
