package probes_test

import (
	"bytes"
	"fmt"

	"github.com/portreach/portreach/probes"
)

// A probe is used in three steps: New with a source of randomness (crypto/rand
// in the scanner; a fixed one here, so the request is the same every time),
// Packets to send, and Match on every datagram that comes back.
func Example() {
	p, _ := probes.ByName("nbstat")
	rnd := bytes.NewReader([]byte{0x12, 0x34}) // the transaction ID
	q, err := p.New(rnd, probes.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	req := q.Packets()[0]
	fmt.Printf("send %d bytes to %d/udp, ID %x\n", len(req), p.Ports[0], req[:2])

	// A stray datagram is not the answer: the scanner drops it and keeps waiting.
	_, err = q.Match([]byte("stray"))
	fmt.Println(err == probes.ErrNotMine)
	// Output:
	// send 50 bytes to 137/udp, ID 1234
	// true
}
