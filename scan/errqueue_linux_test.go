//go:build linux

package scan

import (
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/portreach/portreach/internal/hexdump"
	"github.com/portreach/portreach/results"
)

// captureErrQueue provokes a real ICMP port unreachable on loopback and returns
// the control message the kernel queued for it (IP_RECVERR).
func captureErrQueue(t testing.TB) []byte {
	t.Helper()
	target := netip.AddrPortFrom(loopback, freeUDPPort(t))
	c, err := net.ListenUDP("udp4", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	u := &linuxUDP{conn: c, target: target}
	if err := u.enableRecvErr(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteToUDPAddrPort([]byte("x"), target); err != nil {
		t.Fatal(err)
	}
	rc, _ := c.SyscallConn()
	oob := make([]byte, 512)
	buf := make([]byte, 512)
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		var rerr error
		rc.Read(func(fd uintptr) bool {
			_, n, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
			return true
		})
		if rerr == nil {
			return append([]byte(nil), oob[:n]...)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no ICMP error queued for a closed loopback port")
	return nil
}

func TestDecodeErrQueueReal(t *testing.T) {
	r := decodeErrQueue(captureErrQueue(t))
	if r == nil || r.state != results.Closed || r.reason != results.ReasonPortUnreach || r.from != loopback {
		t.Fatalf("decoded %+v, want closed port-unreachable from 127.0.0.1", r)
	}
}

// The error-queue messages a trace through testnet.Chain drew (captured by
// TestTraceChain -trace-capture): who sent each ICMP error, its type and code,
// and what it means.
func TestParseErrQueueCaptured(t *testing.T) {
	tests := []struct {
		file      string
		v6        bool
		typ, code uint8
		errno     unix.Errno
		from      string
		reason    results.Reason
	}{
		{"tcp4-time-exceeded", false, 11, 0, unix.EHOSTUNREACH, "198.18.8.2", results.ReasonTTLExceeded},
		{"tcp4-admin-prohibited", false, 3, 13, unix.EHOSTUNREACH, "198.18.8.2", results.ReasonAdminProhibited},
		{"tcp6-time-exceeded", true, 3, 0, unix.EHOSTUNREACH, "2001:2:0:8::2", results.ReasonTTLExceeded},
		{"tcp6-admin-prohibited", true, 1, 1, unix.EACCES, "2001:2:0:8::2", results.ReasonAdminProhibited},
		{"udp4-time-exceeded", false, 11, 0, unix.EHOSTUNREACH, "198.18.8.2", results.ReasonTTLExceeded},
	}
	for _, tt := range tests {
		e, ok := parseErrQueue(hexdump.File(t, "testdata/errqueue-"+tt.file+".cmsg.hex"))
		if !ok {
			t.Errorf("%s: not decoded", tt.file)
			continue
		}
		if (e.family == icmp6) != tt.v6 || e.typ != tt.typ || e.code != tt.code || e.errno != tt.errno || e.from.String() != tt.from {
			t.Errorf("%s: %+v, want v6 %v type %d code %d errno %v from %s", tt.file, e, tt.v6, tt.typ, tt.code, tt.errno, tt.from)
		}
		if v, ok := e.verdict(); !ok || v.reason != tt.reason || v.from != e.from {
			t.Errorf("%s: verdict %+v, want %s", tt.file, v, tt.reason)
		}
	}
	// The quote of a SYN starts with its ports.
	sport, dport, ok := quotedPorts(hexdump.File(t, "testdata/errqueue-tcp4-admin-prohibited.quote.hex"))
	if !ok || dport != 82 || sport < 1024 {
		t.Errorf("quoted ports %d → %d (%v), want → 82", sport, dport, ok)
	}
	// A UDP datagram's quote is its payload: told from another TTL's request.
	quote := hexdump.File(t, "testdata/errqueue-udp4-time-exceeded.quote.hex")
	req := []byte("portreach trace capture: a datagram whose quote the error queue returns")
	if !quotesOneOf(quote, [][]byte{[]byte("another request"), req}) || quotesOneOf(quote, [][]byte{[]byte("portreach trace capture: another")}) {
		t.Errorf("quotesOneOf misreads the captured quote")
	}
}

// errQueueSeeds are the captured control messages or quotes in testdata.
func errQueueSeeds(f *testing.F, suffix string) {
	files, _ := filepath.Glob("testdata/errqueue-*." + suffix + ".hex")
	if len(files) == 0 {
		f.Fatalf("no testdata/errqueue-*.%s.hex", suffix)
	}
	for _, file := range files {
		f.Add(hexdump.File(f, file))
	}
}

// FuzzDecodeErrQueue: the control messages carry ICMP type, code and offender
// address from the network; decoding any bytes must not panic, and a decoded
// error always names a state.
func FuzzDecodeErrQueue(f *testing.F) {
	f.Add(captureErrQueue(f))
	f.Add([]byte{})
	errQueueSeeds(f, "cmsg")
	f.Fuzz(func(t *testing.T, b []byte) {
		if r := decodeErrQueue(b); r != nil && r.reason == "" {
			t.Fatalf("decoded %+v without a reason", r)
		}
		if e, ok := parseErrQueue(b); ok && e.from.IsValid() && !e.from.Is4() && !e.from.Is6() {
			t.Fatalf("offender %v", e.from)
		}
	})
}

// FuzzQuote: an ICMP error's quote of our packet comes from the router that
// sent it; reading it must not panic, and only a quote that begins like a
// request (or says nothing) is taken for it.
func FuzzQuote(f *testing.F) {
	errQueueSeeds(f, "quote")
	f.Add([]byte{0x9c})
	req := []byte("portreach trace capture: a datagram whose quote the error queue returns")
	f.Fuzz(func(t *testing.T, quote []byte) {
		if sport, dport, ok := quotedPorts(quote); ok != (len(quote) >= 4) || ok && (sport != uint16(quote[0])<<8|uint16(quote[1]) || dport != uint16(quote[2])<<8|uint16(quote[3])) {
			t.Fatalf("quotedPorts(% x) = %d, %d, %v", quote, sport, dport, ok)
		}
		n := min(len(quote), len(req))
		if quotesOneOf(quote, [][]byte{req}) != (n == 0 || string(quote[:n]) == string(req[:n])) {
			t.Fatalf("quotesOneOf(% x)", quote)
		}
	})
}
