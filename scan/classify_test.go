package scan

import (
	"fmt"
	"net/netip"
	"syscall"
	"testing"

	"github.com/portreach/portreach/results"
)

// Every ICMP error the kernel may queue, IPv4 and IPv6, read the same way
// whichever socket it came to: port unreachable closes the port, every other
// unreachable and time exceeded filter it, fragmentation needed and the types
// that are not delivery errors say nothing.
func TestClassifyICMP(t *testing.T) {
	router := netip.MustParseAddr("198.18.0.1")
	tests := []struct {
		family    icmpFamily
		typ, code uint8
		reason    results.Reason // "": not a verdict
	}{
		{icmp4, 3, 0, results.ReasonNetUnreach},
		{icmp4, 3, 1, results.ReasonHostUnreach},
		{icmp4, 3, 2, results.ReasonProtoUnreach},
		{icmp4, 3, 3, results.ReasonPortUnreach},
		{icmp4, 3, 4, ""}, // fragmentation needed
		{icmp4, 3, 5, results.ReasonICMPUnreach},
		{icmp4, 3, 6, results.ReasonNetUnreach},
		{icmp4, 3, 7, results.ReasonHostUnreach},
		{icmp4, 3, 8, results.ReasonICMPUnreach},
		{icmp4, 3, 9, results.ReasonAdminProhibited},
		{icmp4, 3, 10, results.ReasonAdminProhibited},
		{icmp4, 3, 11, results.ReasonNetUnreach},
		{icmp4, 3, 12, results.ReasonHostUnreach},
		{icmp4, 3, 13, results.ReasonAdminProhibited},
		{icmp4, 3, 14, results.ReasonICMPUnreach},
		{icmp4, 3, 15, results.ReasonICMPUnreach},
		{icmp4, 11, 0, results.ReasonTTLExceeded},
		{icmp4, 11, 1, results.ReasonTTLExceeded},
		{icmp4, 0, 0, ""},  // echo reply
		{icmp4, 12, 0, ""}, // parameter problem
		{icmp6, 1, 0, results.ReasonNetUnreach},
		{icmp6, 1, 1, results.ReasonAdminProhibited},
		{icmp6, 1, 2, results.ReasonNetUnreach},
		{icmp6, 1, 3, results.ReasonHostUnreach},
		{icmp6, 1, 4, results.ReasonPortUnreach},
		{icmp6, 1, 5, results.ReasonAdminProhibited},
		{icmp6, 1, 6, results.ReasonAdminProhibited},
		{icmp6, 1, 7, results.ReasonICMPUnreach},
		{icmp6, 3, 0, results.ReasonTTLExceeded},
		{icmp6, 2, 0, ""},   // packet too big
		{icmp6, 129, 0, ""}, // echo reply
		{0, 3, 3, ""},       // no family: nothing to read the numbers by
	}
	for _, tt := range tests {
		v, ok := classifyICMP(tt.family, tt.typ, tt.code, router)
		if tt.reason == "" {
			if ok {
				t.Errorf("ICMP%d type %d code %d: %+v, want no verdict", tt.family, tt.typ, tt.code, v)
			}
			continue
		}
		want := results.Filtered
		if tt.reason == results.ReasonPortUnreach {
			want = results.Closed
		}
		if !ok || v.state != want || v.reason != tt.reason || !v.final || v.from != router {
			t.Errorf("ICMP%d type %d code %d: %+v (ok %v), want final %s %s from %s", tt.family, tt.typ, tt.code, v, ok, want, tt.reason, router)
		}
	}
}

var errRefused = fmt.Errorf("write udp: %w", syscall.ECONNREFUSED)

// A refusal is closed on both protocols, but what it stands for differs: a RST
// for TCP, an ICMP port unreachable the kernel relays for UDP.
func TestClassifyRefused(t *testing.T) {
	if v := classify(errRefused); v.state != results.Closed || v.reason != results.ReasonConnRefused || !v.final {
		t.Errorf("TCP: %+v", v)
	}
	if v := classifyDatagram(errRefused); v.state != results.Closed || v.reason != results.ReasonPortUnreach || !v.final {
		t.Errorf("UDP: %+v", v)
	}
	if v := classifyConnect(nil, true, nil); v.state != results.Closed || v.reason != results.ReasonSelfConnect || !v.final {
		t.Errorf("self-connect: %+v", v)
	}
}

// A verdict's detail names who sent an ICMP error unless it was the host
// itself, and what failed when this machine failed.
func TestVerdictDetail(t *testing.T) {
	host, router := netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("::ffff:198.18.0.1")
	fromRouter, _ := classifyICMP(icmp4, 3, 13, router)
	closedByHost, _ := classifyICMP(icmp4, 3, 3, host)
	rejectedByHost, _ := classifyICMP(icmp6, 1, 1, host)
	tests := []struct {
		v    verdict
		want string
	}{
		{fromRouter, "ICMP from 198.18.0.1, a router on the way, not the host"},
		{closedByHost, ""},
		{rejectedByHost, "ICMP from the host itself"},
		{classifyDatagram(errRefused), ""},
		{classify(nil), ""},
		{classifyOpen(errRefused), errRefused.Error()},
	}
	for _, tt := range tests {
		if got := tt.v.detail(host); got != tt.want {
			t.Errorf("%+v: detail %q, want %q", tt.v, got, tt.want)
		}
	}
}
