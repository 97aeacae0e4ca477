package probes

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The "Simple TCP/IP Services" (a Windows optional feature, and inetd's internal
// services on Unix) answer any datagram on 7, 13, 17 and 19/udp; discard on 9
// never answers. Each probe sends the same short text with a random token, so
// that an echo service on a port where another service is expected is told apart
// from the real one.

// Echo probes the Echo Protocol (RFC 862): the server sends the datagram back.
var Echo = &Probe{
	Name:   "echo",
	Ports:  []uint16{7},
	New:    func(rnd io.Reader, _ Options) (Query, error) { return newSimpleQuery(rnd, "echo") },
	Detail: (*SimpleDetail)(nil),
}

// Daytime probes the Daytime Protocol (RFC 867): any datagram is answered with the
// date and time as text.
var Daytime = &Probe{
	Name:   "daytime",
	Ports:  []uint16{13},
	New:    func(rnd io.Reader, _ Options) (Query, error) { return newSimpleQuery(rnd, "daytime") },
	Detail: (*SimpleDetail)(nil),
}

// QOTD probes the Quote of the Day Protocol (RFC 865): any datagram is answered
// with a short message of at most 512 characters.
var QOTD = &Probe{
	Name:   "qotd",
	Ports:  []uint16{17},
	New:    func(rnd io.Reader, _ Options) (Query, error) { return newSimpleQuery(rnd, "qotd") },
	Detail: (*SimpleDetail)(nil),
}

// Chargen probes the Character Generator Protocol (RFC 864): any datagram is
// answered with a random number (0 to 512) of printable characters.
var Chargen = &Probe{
	Name:   "chargen",
	Ports:  []uint16{19},
	New:    func(rnd io.Reader, _ Options) (Query, error) { return newSimpleQuery(rnd, "chargen") },
	Detail: (*SimpleDetail)(nil),
}

// Discard covers the Discard Protocol (RFC 863) on 9/udp, which throws every
// datagram away. The probe sends one only to draw ICMP port unreachable from a
// host where the port is closed.
var Discard = &Probe{
	Name:    "discard",
	Mute:    true,
	Ports:   []uint16{9},
	Silence: "the Discard protocol (RFC 863) never answers; only ICMP can show the port closed",
	New:     func(rnd io.Reader, _ Options) (Query, error) { return newSimpleQuery(rnd, "discard") },
}

// simpleMaxText caps how much of a text reply is kept: RFC 865 and RFC 864 cap
// theirs at 512 characters; the rest of a longer reply is dropped.
const simpleMaxText = 512

type simpleQuery struct {
	service string
	packet  []byte
}

func newSimpleQuery(rnd io.Reader, service string) (*simpleQuery, error) {
	var tok [8]byte
	if _, err := io.ReadFull(rnd, tok[:]); err != nil {
		return nil, fmt.Errorf("%s: random: %w", service, err)
	}
	return &simpleQuery{service: service, packet: simpleRequest(tok)}, nil
}

// simpleRequest is the datagram all five send. Its content is ignored by every
// service but echo; the token makes an echo of it recognisable.
func simpleRequest(tok [8]byte) []byte {
	return []byte("portreach " + hex.EncodeToString(tok[:]) + "\r\n")
}

// Packets returns the one datagram.
func (q *simpleQuery) Packets() [][]byte { return [][]byte{q.packet} }

// Match accepts, for echo, exactly our datagram back, and for daytime, qotd and
// chargen any non-empty text that is not our datagram (which would mean an echo
// service listens there instead). There is no ID to check: these protocols have
// none, and the scanner only reads this port's replies from the target.
func (q *simpleQuery) Match(b []byte) (Detail, error) {
	echoed := bytes.Equal(b, q.packet)
	switch q.service {
	case "echo":
		if !echoed {
			return nil, ErrNotMine
		}
		return &SimpleDetail{Service: q.service, Bytes: len(b)}, nil
	case "discard":
		return nil, ErrNotMine
	}
	if echoed || len(b) == 0 {
		return nil, ErrNotMine
	}
	if !simpleIsText(b) {
		return nil, fmt.Errorf("%s: reply is not text", q.service)
	}
	d := &SimpleDetail{Service: q.service, Bytes: len(b)}
	if q.service != "chargen" {
		// Keep the first non-empty line: a date, or a quote's opening.
		text := string(b[:min(len(b), simpleMaxText)])
		for _, line := range strings.Split(text, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				d.Text = line
				break
			}
		}
	}
	return d, nil
}

// simpleIsText reports whether b is UTF-8 text without control characters other
// than tab, CR and LF (RFC 864's characters are printable ASCII; dates and quotes
// are text).
func simpleIsText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if (r < 0x20 && r != '\t' && r != '\r' && r != '\n') || r == 0x7f {
			return false
		}
	}
	return true
}

// SimpleDetail is what an echo, daytime, qotd or chargen server sent.
type SimpleDetail struct {
	// Service is the probe's name.
	Service string `json:"service"`
	// Text is the first line of a daytime or qotd reply.
	Text string `json:"text,omitempty"`
	// Bytes is the reply's length.
	Bytes int `json:"bytes"`
}

// Summary reads like `"Mon Nov 23 17:58:01 2026"`, `echoed 28 bytes` or
// `74 characters`.
func (d *SimpleDetail) Summary() string {
	switch {
	case d.Service == "echo":
		return fmt.Sprintf("echoed %d bytes", d.Bytes)
	case d.Text != "":
		return strconv.Quote(d.Text)
	}
	return fmt.Sprintf("%d characters", d.Bytes)
}
