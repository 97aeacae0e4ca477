package scan

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
