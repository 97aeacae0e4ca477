package probes

import (
	"io"
	"strings"
)

// IMAP confirms an IMAP server (RFC 9051, RFC 3501) on 143: the untagged greeting,
// CAPABILITY, and STARTTLS (RFC 9051 §6.2.1) when offered. It never logs in.
var IMAP = &Service{Name: "imap", Ports: []uint16{143}, Drift: tlsDrift("banner"), New: newIMAPDialog("imap")}

func newIMAPDialog(name string) func(io.Reader, string) (Dialog, error) {
	return func(io.Reader, string) (Dialog, error) {
		return &imapDialog{d: ServiceDetail{Service: name}, tls: name == "imaps"}, nil
	}
}

type imapDialog struct {
	d     ServiceDetail
	tls   bool
	state int
}

func (s *imapDialog) Detail() *ServiceDetail { return &s.d }

const (
	imapGreeting = iota
	imapCapability
	imapStartTLS
	imapAfterTLS
)

// imapTagged waits for the tagged completion of a command: every line until one
// starting with tag, the untagged ones returned in data.
func imapTagged(in []byte, tag string) (data []string, done string, ok bool, err error) {
	full, rest := lines(in)
	if len(rest) > maxGreeting {
		return nil, "", false, errTooLong
	}
	for _, l := range full {
		if strings.HasPrefix(l, tag+" ") {
			return data, strings.TrimPrefix(l, tag+" "), true, nil
		}
		data = append(data, l)
	}
	return nil, "", false, nil
}

func (s *imapDialog) Next(in []byte) (Step, error) {
	switch s.state {
	case imapGreeting:
		if in == nil {
			return Step{}, nil
		}
		full, rest := lines(in)
		if len(full) == 0 {
			if len(rest) > maxGreeting || len(rest) >= identifyAfter && !strings.HasPrefix(string(rest), "* ") {
				return Step{}, wrongService("an IMAP greeting", in)
			}
			return Step{}, nil
		}
		g := full[0]
		up := strings.ToUpper(g)
		if !strings.HasPrefix(up, "* OK") && !strings.HasPrefix(up, "* PREAUTH") && !strings.HasPrefix(up, "* BYE") {
			return Step{}, wrongService("an IMAP greeting", in)
		}
		s.d.Banner = peerText([]byte(g))
		if strings.HasPrefix(up, "* BYE") {
			s.d.Note = "the server refuses service"
			return Step{Done: true}, nil
		}
		s.state = imapCapability
		return Step{Send: []byte("a1 CAPABILITY\r\n")}, nil
	case imapCapability:
		data, done, ok, err := imapTagged(in, "a1")
		if err != nil || !ok {
			return Step{}, err
		}
		starttls := false
		for _, l := range data {
			if !strings.HasPrefix(strings.ToUpper(l), "* CAPABILITY ") {
				continue
			}
			for _, c := range strings.Fields(l)[2:] {
				c = peerText([]byte(strings.ToUpper(c)))
				s.d.Capabilities = append(s.d.Capabilities, c)
				starttls = starttls || c == "STARTTLS"
			}
		}
		if !strings.HasPrefix(strings.ToUpper(done), "OK") {
			s.d.Note = "CAPABILITY refused: " + peerText([]byte(done))
		}
		if !starttls || s.tls {
			return Step{Send: []byte("a3 LOGOUT\r\n"), Done: true}, nil
		}
		s.state = imapStartTLS
		return Step{Send: []byte("a2 STARTTLS\r\n")}, nil
	case imapStartTLS:
		_, done, ok, err := imapTagged(in, "a2")
		if err != nil || !ok {
			return Step{}, err
		}
		if !strings.HasPrefix(strings.ToUpper(done), "OK") {
			s.d.Note = "STARTTLS refused: " + peerText([]byte(done))
			return Step{Send: []byte("a3 LOGOUT\r\n"), Done: true}, nil
		}
		s.state, s.d.StartTLS = imapAfterTLS, true
		return Step{StartTLS: true}, nil
	}
	return Step{Done: true}, nil
}
