//go:build unix

package testnet

import (
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The held ports are closed (refused, port unreachable) and cannot be taken.
func TestClosedPorts(t *testing.T) {
	tcp := strconv.Itoa(int(ClosedTCPPort(t)))
	if c, err := net.Dial("tcp4", "127.0.0.1:"+tcp); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial %s/tcp: %v, want connection refused", tcp, err)
		if c != nil {
			c.Close()
		}
	}
	for _, addr := range []string{"127.0.0.1:" + tcp, ":" + tcp} {
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			t.Errorf("listen on %s: taken from the test", addr)
		}
	}

	udp := strconv.Itoa(int(ClosedUDPPort(t)))
	c, err := net.Dial("udp4", "127.0.0.1:"+udp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second)) // a reply, or a hang, fails
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 16)); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("%s/udp: %v, want connection refused (ICMP port unreachable)", udp, err)
	}
	if l, err := net.ListenPacket("udp4", "127.0.0.1:"+udp); err == nil {
		l.Close()
		t.Errorf("bind %s/udp: taken from the test", udp)
	}
}
