package probes_test

import (
	"bytes"
	"errors"
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

// A TCP service is confirmed by a Dialog the scanner drives over its own
// connection: Next says what to send (or to read more, or to run a TLS
// handshake), given everything received since the last send.
func ExampleService() {
	svc, _ := probes.ServiceByName("smtp")
	d, _ := svc.New(nil, "mail.example")
	step, _ := d.Next(nil) // SMTP: the server speaks first
	fmt.Printf("send %q\n", step.Send)
	step, _ = d.Next([]byte("220 mail.example ESMTP\r\n"))
	fmt.Printf("send %q\n", step.Send)
	step, _ = d.Next([]byte("250-mail.example\r\n250 STARTTLS\r\n"))
	fmt.Printf("send %q\n", step.Send)
	step, _ = d.Next([]byte("220 2.0.0 Ready to start TLS\r\n"))
	fmt.Println("TLS handshake now:", step.StartTLS)
	fmt.Println(d.Detail().Summary())

	// Another service's greeting is not SMTP.
	d, _ = svc.New(nil, "mail.example")
	d.Next(nil)
	_, err := d.Next([]byte("+OK POP3 server ready\r\n"))
	fmt.Println(errors.Is(err, probes.ErrWrongService), err)
	// Output:
	// send ""
	// send "EHLO portreach.invalid\r\n"
	// send "STARTTLS\r\n"
	// TLS handshake now: true
	// "220 mail.example ESMTP", STARTTLS
	// true another service answered: want an SMTP 220 greeting, it answered POP3
}
