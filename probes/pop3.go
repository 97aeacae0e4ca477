package probes

import (
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
}

func (s *pop3Dialog) Detail() *ServiceDetail { return &s.d }

const (
	pop3Greeting = iota
	pop3Capa
	pop3STLS
	pop3AfterTLS
)

func (s *pop3Dialog) Next(in []byte) (Step, error) {
	full, rest := lines(in)
	if len(rest) > maxGreeting {
		return Step{}, errTooLong
	}
	switch s.state {
	case pop3Greeting:
		if len(full) == 0 {
			if len(rest) >= identifyAfter && !strings.HasPrefix(string(rest), "+OK") && !strings.HasPrefix(string(rest), "-ERR") {
				return Step{}, wrongService("a POP3 +OK greeting", in)
			}
			return Step{}, nil
		}
		if !strings.HasPrefix(full[0], "+OK") {
			if strings.HasPrefix(full[0], "-ERR") {
				s.d.Banner, s.d.Note = peerText([]byte(full[0])), "the server refuses service"
				return Step{Done: true}, nil
			}
			return Step{}, wrongService("a POP3 +OK greeting", in)
		}
		s.d.Banner = peerText([]byte(full[0]))
		s.state = pop3Capa
		return Step{Send: []byte("CAPA\r\n")}, nil
	case pop3Capa:
		if len(full) == 0 {
			return Step{}, nil
		}
		if !strings.HasPrefix(full[0], "+OK") { // -ERR: no CAPA (RFC 1939 servers)
			return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
		}
		ended := false
		for _, l := range full[1:] {
			if l == "." {
				ended = true
				break
			}
			kw, _, _ := strings.Cut(l, " ")
			s.d.Capabilities = append(s.d.Capabilities, peerText([]byte(strings.ToUpper(kw))))
		}
		if !ended {
			s.d.Capabilities = nil
			return Step{}, nil
		}
		stls := false
		for _, c := range s.d.Capabilities {
			stls = stls || c == "STLS"
		}
		if !stls || s.tls {
			return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
		}
		s.state = pop3STLS
		return Step{Send: []byte("STLS\r\n")}, nil
	case pop3STLS:
		if len(full) == 0 {
			return Step{}, nil
		}
		if !strings.HasPrefix(full[0], "+OK") {
			s.d.Note = "STLS refused: " + peerText([]byte(full[0]))
			return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
		}
		s.state, s.d.StartTLS = pop3AfterTLS, true
		return Step{StartTLS: true}, nil
	}
	return Step{Done: true}, nil
}
