package scan

import "testing"

// The Windows controls by version, as Microsoft documents them: SIO_TCP_INITIAL_RTO
// from Windows 8 / Server 2012 (6.2), TCP_INITIAL_RTO_NO_SYN_RETRANSMISSIONS from
// Windows 10 1709 (build 16299), TCP_FAIL_CONNECT_ON_ICMP_ERROR from version 2004
// (build 19041).
func TestTCPControlsFor(t *testing.T) {
	tests := []struct {
		name string
		v    winVersion
		want winTCPControls
	}{
		{"Windows 7 / Server 2008 R2", winVersion{6, 1, 7601}, winTCPControls{}},
		{"Windows 8 / Server 2012", winVersion{6, 2, 9200}, winTCPControls{initialRTO: true, maxSynRetransmissions: 1}},
		{"Windows 8.1 / Server 2012 R2", winVersion{6, 3, 9600}, winTCPControls{initialRTO: true, maxSynRetransmissions: 1}},
		{"Server 2016 (1607)", winVersion{10, 0, 14393}, winTCPControls{initialRTO: true, maxSynRetransmissions: 1}},
		{"Windows 10 1709", winVersion{10, 0, 16299}, winTCPControls{initialRTO: true, maxSynRetransmissions: 0xFE}},
		{"Server 2019 (1809)", winVersion{10, 0, 17763}, winTCPControls{initialRTO: true, maxSynRetransmissions: 0xFE}},
		{"Windows 10 2004", winVersion{10, 0, 19041}, winTCPControls{initialRTO: true, maxSynRetransmissions: 0xFE, failOnICMP: true}},
		{"Server 2022", winVersion{10, 0, 20348}, winTCPControls{initialRTO: true, maxSynRetransmissions: 0xFE, failOnICMP: true}},
		{"Windows 11 24H2 / Server 2025", winVersion{10, 0, 26100}, winTCPControls{initialRTO: true, maxSynRetransmissions: 0xFE, failOnICMP: true}},
	}
	for _, tt := range tests {
		if got := tcpControlsFor(tt.v); got != tt.want {
			t.Errorf("%s %v: %+v, want %+v", tt.name, tt.v, got, tt.want)
		}
	}
}

// TCP_INITIAL_RTO_PARAMETERS { Rtt = TCP_INITIAL_RTO_UNSPECIFIED_RTT (0xFFFF),
// MaxSynRetransmissions }, little-endian, padded to 4 bytes.
func TestInitialRTOParams(t *testing.T) {
	if got := initialRTOParams(0xFE); got != [4]byte{0xFF, 0xFF, 0xFE, 0x00} {
		t.Errorf("no SYN retransmissions: % x", got)
	}
	if got := initialRTOParams(1); got != [4]byte{0xFF, 0xFF, 0x01, 0x00} {
		t.Errorf("one SYN retransmission: % x", got)
	}
}
