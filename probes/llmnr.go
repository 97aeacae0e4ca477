package probes

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// LLMNR probes Link-Local Multicast Name Resolution (5355/udp, RFC 4795), which
// Windows answers on. A responder answers only for names it is authoritative for
// (§2.1: it MUST NOT respond otherwise, not even with an error) and the probe does
// not know the target's name, so it asks for a random one; a responder that
// answers anyway is recognised by the query ID and question.
var LLMNR = &Probe{
	Name:  "llmnr",
	Mute:  true,
	Ports: []uint16{5355},
	Silence: "an LLMNR responder answers only for its own names (RFC 4795 §2.1) and " +
		"Windows only on the local link; the probe cannot know the target's name",
	New: func(rnd io.Reader, _ Options) (Query, error) {
		var r [6]byte
		if _, err := io.ReadFull(rnd, r[:]); err != nil {
			return nil, fmt.Errorf("llmnr: random: %w", err)
		}
		id := binary.BigEndian.Uint16(r[:2])
		name := "portreach-" + hex.EncodeToString(r[2:])
		packet, err := llmnrQuery(id, name)
		if err != nil {
			return nil, err
		}
		return &datagramQuery{
			packet: packet,
			match:  func(b []byte) (Detail, error) { return llmnrMatch(b, id, name) },
		}, nil
	},
	Detail: (*LLMNRDetail)(nil),
}

// llmnrQuery builds an LLMNR query (RFC 4795 §2.1.1: the DNS message format of
// RFC 1035 §4.1 with the C and T flags, all zero here) for name, type A, class IN.
func llmnrQuery(id uint16, name string) ([]byte, error) {
	n, err := dnsmessage.NewName(name + ".")
	if err != nil {
		return nil, fmt.Errorf("llmnr: %w", err)
	}
	return dnsQuestion(id, dnsmessage.Question{Name: n, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
}

// LLMNRDetail is an LLMNR responder's answer.
type LLMNRDetail struct {
	// RCode is the response code (RFC 1035 §4.1.1), 0 NOERROR.
	RCode int `json:"rcode"`
	// Answers is ANCOUNT.
	Answers int `json:"answers"`
	// Conflict is the C bit (RFC 4795 §2.1.1): the name is not unique.
	Conflict bool `json:"conflict,omitempty"`
}

// Summary reads like "LLMNR response, rcode 0, 1 answer(s)".
func (d *LLMNRDetail) Summary() string {
	return fmt.Sprintf("LLMNR response, rcode %d, %d answer(s)", d.RCode, d.Answers)
}

// llmnrMatch accepts a response (QR set, opcode 0) with our ID whose question
// section repeats ours (RFC 4795 §2.1.1: the responder copies it).
func llmnrMatch(b []byte, id uint16, name string) (Detail, error) {
	var p dnsmessage.Parser
	h, err := p.Start(b)
	if err != nil || h.ID != id || !h.Response || h.OpCode != 0 {
		return nil, ErrNotMine
	}
	q, err := p.Question()
	if err != nil || q.Type != dnsmessage.TypeA || q.Class != dnsmessage.ClassINET ||
		!strings.EqualFold(q.Name.String(), name+".") {
		return nil, ErrNotMine
	}
	if err := p.SkipAllQuestions(); err != nil {
		return nil, fmt.Errorf("llmnr: question: %w", err)
	}
	// In LLMNR the DNS header's AA bit is the C (conflict) bit (RFC 4795 §2.1.1).
	d := &LLMNRDetail{RCode: int(h.RCode), Conflict: h.Authoritative}
	for {
		if _, err := p.AnswerHeader(); errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("llmnr: answer %d: %w", d.Answers+1, err)
		}
		if err := p.SkipAnswer(); err != nil {
			return nil, fmt.Errorf("llmnr: answer %d: %w", d.Answers+1, err)
		}
		d.Answers++
	}
	return d, nil
}
