package scan

import (
	"net/netip"
	"testing"

	"github.com/portreach/portreach/results"
)

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

// TCP traces need build 19041 (TCP_FAIL_CONNECT_ON_ICMP_ERROR and
// TCP_ICMP_ERROR_INFO), and say so before it.
func TestWinTraceFor(t *testing.T) {
	for _, tt := range []struct {
		v   winVersion
		tcp bool
	}{
		{winVersion{6, 1, 7601}, false},
		{winVersion{10, 0, 17763}, false}, // Server 2019
		{winVersion{10, 0, 19041}, true},
		{winVersion{10, 0, 20348}, true}, // Server 2022
		{winVersion{10, 0, 26100}, true}, // Server 2025
	} {
		tcp, why := winTraceFor(tt.v)
		if tcp != tt.tcp || (why == "") != tt.tcp {
			t.Errorf("%v: %v %q", tt.v, tcp, why)
		}
	}
	want := "tracing without Administrator needs Windows 10 or Windows Server version 2004 (build 19041) or later, whose TCP_FAIL_CONNECT_ON_ICMP_ERROR and TCP_ICMP_ERROR_INFO report who sent an ICMP error (this is 10.0 build 17763)"
	if _, why := winTraceFor(winVersion{10, 0, 17763}); why != want {
		t.Errorf("Server 2019: %q", why)
	}
}

// icmpErrorInfo lays out an ICMP_ERROR_INFO as ws2ipdef.h does.
func icmpErrorInfo(af uint16, addr []byte, proto uint32, typ, code uint8) []byte {
	b := make([]byte, sizeofICMPErrorInfo)
	b[0], b[1] = byte(af), byte(af>>8)
	if af == winAFInet {
		copy(b[4:8], addr)
	} else {
		copy(b[8:24], addr)
	}
	b[28], b[29], b[30], b[31] = byte(proto), byte(proto>>8), byte(proto>>16), byte(proto>>24)
	b[32], b[33] = typ, code
	return b
}

func TestParseICMPErrorInfo(t *testing.T) {
	r2 := netip.MustParseAddr("198.18.9.2")
	r6 := netip.MustParseAddr("2001:2:0:9::2")
	tests := []struct {
		name   string
		b      []byte
		ok     bool
		family icmpFamily
		typ    uint8
		code   uint8
		from   netip.Addr
		reason results.Reason
	}{
		{"time exceeded", icmpErrorInfo(winAFInet, r2.AsSlice(), winIPProtoICMP, 11, 0), true, icmp4, 11, 0, r2, results.ReasonTTLExceeded},
		{"admin-prohibited", icmpErrorInfo(winAFInet, r2.AsSlice(), winIPProtoICMP, 3, 13), true, icmp4, 3, 13, r2, results.ReasonAdminProhibited},
		{"ICMPv6 time exceeded", icmpErrorInfo(winAFInet6, r6.AsSlice(), winIPProtoICMPv6, 3, 0), true, icmp6, 3, 0, r6, results.ReasonTTLExceeded},
		{"ICMPv6 prohibited", icmpErrorInfo(winAFInet6, r6.AsSlice(), winIPProtoICMPv6, 1, 1), true, icmp6, 1, 1, r6, results.ReasonAdminProhibited},
		{"family and protocol disagree", icmpErrorInfo(winAFInet, r2.AsSlice(), winIPProtoICMPv6, 3, 0), false, 0, 0, 0, netip.Addr{}, ""},
		{"Linux's AF_INET6", icmpErrorInfo(10, r6.AsSlice(), winIPProtoICMPv6, 3, 0), false, 0, 0, 0, netip.Addr{}, ""},
		{"short", icmpErrorInfo(winAFInet, r2.AsSlice(), winIPProtoICMP, 11, 0)[:35], false, 0, 0, 0, netip.Addr{}, ""},
	}
	for _, tt := range tests {
		family, typ, code, from, ok := parseICMPErrorInfo(tt.b)
		if ok != tt.ok || family != tt.family || typ != tt.typ || code != tt.code || from != tt.from {
			t.Errorf("%s: %v %v %d %d %v", tt.name, ok, family, typ, code, from)
			continue
		}
		if ok {
			if v, vok := classifyICMP(family, typ, code, from); !vok || v.reason != tt.reason {
				t.Errorf("%s: classified %+v", tt.name, v)
			}
		}
	}
}

// FuzzParseICMPErrorInfo: the structure carries an ICMP error's fields from
// the network; any bytes decode without a panic, to an address of their family.
func FuzzParseICMPErrorInfo(f *testing.F) {
	f.Add(icmpErrorInfo(winAFInet, []byte{198, 18, 9, 2}, winIPProtoICMP, 11, 0))
	f.Add(icmpErrorInfo(winAFInet6, netip.MustParseAddr("2001:2:0:9::2").AsSlice(), winIPProtoICMPv6, 1, 1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		family, _, _, from, ok := parseICMPErrorInfo(b)
		if ok && (family == icmp4) != from.Is4() {
			t.Fatalf("family %v, address %v", family, from)
		}
	})
}
