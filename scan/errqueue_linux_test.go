//go:build linux

package scan

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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

// FuzzDecodeErrQueue: the control messages carry ICMP type, code and offender
// address from the network; decoding any bytes must not panic, and a decoded
// error always names a state.
func FuzzDecodeErrQueue(f *testing.F) {
	f.Add(captureErrQueue(f))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if r := decodeErrQueue(b); r != nil && r.reason == "" {
			t.Fatalf("decoded %+v without a reason", r)
		}
	})
}
