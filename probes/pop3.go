package probes

import (
	"bytes"
	"io"
	"strings"
)

// POP3 confirms a POP3 server (RFC 1939) on 110: the +OK greeting, CAPA
// (RFC 2449) and STLS (RFC 2595 §4) when offered. It never logs in.
var POP3 = &Service{Name: "pop3", Ports: []uint16{110}, Drift: tlsDrift("banner"), New: newPOP3Dialog("pop3")}

func newPOP3Dialog(name string) func(io.Reader, string) (Dialog, error) {
	return func(io.Reader, string) (Dialog, error) {
		return &pop3Dialog{d: ServiceDetail{Service: name}, tls: name == "pop3s"}, nil
	}
}

type pop3Dialog struct {
	d     ServiceDetail
	tls   bool
	state int
	lines lineReader // the reply being read
	capa  bool       // CAPA's +OK has come: its lines follow, up to "."
	stls  bool       // CAPA listed STLS (perhaps past the capabilities kept)
}

func (s *pop3Dialog) Detail() *ServiceDetail { return &s.d }

const (
	pop3Greeting = iota
	pop3Capa
	pop3STLS
	pop3AfterTLS
)

func (s *pop3Dialog) Next(in []byte) (Step, error) {
	if s.state == pop3AfterTLS {
		return Step{Done: true}, nil
	}
	if s.state == pop3Greeting {
		if p := s.lines.partial(in); len(p) >= identifyAfter && !strings.HasPrefix(string(p), "+OK") && !strings.HasPrefix(string(p), "-ERR") {
			return Step{}, wrongService("a POP3 +OK greeting", in)
		}
	}
	for {
		l, ok, err := s.lines.next(in)
		switch {
		case err != nil && s.state == pop3Greeting:
			return Step{}, greetingError("a POP3 +OK greeting", in, err)
		case err != nil || !ok:
			return Step{}, err
		}
		if s.state == pop3Capa && s.capa {
			if string(l) != "." {
				word, _, _ := bytes.Cut(l, []byte(" "))
				kw := peerText(bytes.ToUpper(word))
				if len(s.d.Capabilities) < maxListed {
					s.d.Capabilities = append(s.d.Capabilities, kw)
				}
				s.stls = s.stls || kw == "STLS"
				continue
			}
			if !s.stls || s.tls {
				return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
			}
			s.state, s.lines = pop3STLS, lineReader{}
			return Step{Send: []byte("STLS\r\n")}, nil
		}
		return s.reply(string(l[:min(len(l), maxGreeting)]), in)
	}
}

// reply acts on the first line of a reply: the greeting, CAPA's, STLS's.
func (s *pop3Dialog) reply(l string, in []byte) (Step, error) {
	switch s.state {
	case pop3Greeting:
		if !strings.HasPrefix(l, "+OK") {
			if strings.HasPrefix(l, "-ERR") {
				s.d.Banner, s.d.Note = peerText([]byte(l)), "the server refuses service"
				return Step{Done: true}, nil
			}
			return Step{}, wrongService("a POP3 +OK greeting", in)
		}
		s.d.Banner = peerText([]byte(l))
		s.state, s.lines = pop3Capa, lineReader{}
		return Step{Send: []byte("CAPA\r\n")}, nil
	case pop3Capa:
		if !strings.HasPrefix(l, "+OK") { // -ERR: no CAPA (RFC 1939 servers)
			return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
		}
		s.capa = true
		return s.Next(in) // its capabilities follow
	}
	// pop3STLS
	if !strings.HasPrefix(l, "+OK") {
		s.d.Note = "STLS refused: " + peerText([]byte(l))
		return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
	}
	s.state, s.d.StartTLS = pop3AfterTLS, true
	return Step{StartTLS: true}, nil
}
