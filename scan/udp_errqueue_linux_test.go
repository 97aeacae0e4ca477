package scan

import (
	"github.com/portreach/portreach/internal/testnet"

	"net/netip"
	"testing"
	"time"
)

// TestErrQueueWhileReading: the portable poller reads each UDP socket from a
// goroutine that waits for a datagram, holding the descriptor's read lock; a
// send that fails reads the error queue meanwhile, and must not wait for that
// lock (on a silent port it waited forever, and the loop with it).
func TestErrQueueWhileReading(t *testing.T) {
	sock, err := dialUDP(netip.AddrPortFrom(loopback, testnet.ClosedUDPPort(t)), netip.Addr{}, false)
	if err != nil {
		t.Fatal(err)
	}
	u := sock.(*linuxUDP)
	reading := make(chan struct{})
	go func() {
		close(reading)
		u.recv(make([]byte, 512)) // waits: nothing is sent
	}()
	<-reading
	time.Sleep(50 * time.Millisecond) // let it reach the wait for a datagram
	done := make(chan *verdict, 1)
	go func() { done <- u.readErrQueue() }()
	select {
	case v := <-done:
		if v != nil {
			t.Errorf("an error queue with nothing sent gave %+v", v)
		}
	case <-time.After(10 * time.Second): // a hang, not a speed bound
		t.Fatal("reading the error queue waited for the reader's lock")
	}
	u.close()
}
