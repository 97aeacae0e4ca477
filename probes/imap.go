package probes

import (
	"bytes"
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
	lines lineReader // the reply being read
	// starttls: CAPABILITY listed STARTTLS (perhaps past the capabilities kept).
	starttls bool
}

func (s *imapDialog) Detail() *ServiceDetail { return &s.d }

const (
	imapGreeting = iota
	imapCapability
	imapStartTLS
	imapAfterTLS
)

// tagged reads a command's answer as its lines come, until the line that
// starts with tag: each untagged line before it goes to each, and the tagged
// line's text is returned (ok).
func (s *imapDialog) tagged(in []byte, tag string, each func([]byte)) (done string, ok bool, err error) {
	for {
		l, ok, err := s.lines.next(in)
		if err != nil || !ok {
			return "", false, err
		}
		if rest, ok := bytes.CutPrefix(l, []byte(tag+" ")); ok {
			s.lines = lineReader{} // every step after it sends
			return string(rest), true, nil
		}
		each(l)
	}
}

func (s *imapDialog) Next(in []byte) (Step, error) {
	switch s.state {
	case imapGreeting:
		if in == nil {
			return Step{}, nil
		}
		if p := s.lines.partial(in); len(p) >= identifyAfter && !strings.HasPrefix(string(p[:2]), "* ") {
			return Step{}, wrongService("an IMAP greeting", in)
		}
		g, ok, err := s.lines.next(in)
		if err != nil {
			return Step{}, greetingError("an IMAP greeting", in, err)
		}
		if !ok {
			return Step{}, nil
		}
		s.lines = lineReader{}
		up := strings.ToUpper(string(g[:min(len(g), 16)]))
		if !strings.HasPrefix(up, "* OK") && !strings.HasPrefix(up, "* PREAUTH") && !strings.HasPrefix(up, "* BYE") {
			return Step{}, wrongService("an IMAP greeting", in)
		}
		s.d.Banner = peerText(g)
		if strings.HasPrefix(up, "* BYE") {
			s.d.Note = "the server refuses service"
			return Step{Done: true}, nil
		}
		s.state = imapCapability
		return Step{Send: []byte("a1 CAPABILITY\r\n")}, nil
	case imapCapability:
		done, ok, err := s.tagged(in, "a1", func(l []byte) {
			if len(l) < 13 || !strings.EqualFold(string(l[:13]), "* CAPABILITY ") {
				return
			}
			for _, c := range bytes.Fields(l)[2:] {
				c := peerText(bytes.ToUpper(c))
				if len(s.d.Capabilities) < maxListed {
					s.d.Capabilities = append(s.d.Capabilities, c)
				}
				s.starttls = s.starttls || c == "STARTTLS"
			}
		})
		if err != nil || !ok {
			return Step{}, err
		}
		if !strings.HasPrefix(strings.ToUpper(done), "OK") {
			s.d.Note = "CAPABILITY refused: " + peerText([]byte(done))
		}
		if !s.starttls || s.tls {
			return Step{Send: []byte("a3 LOGOUT\r\n"), Done: true}, nil
		}
		s.state = imapStartTLS
		return Step{Send: []byte("a2 STARTTLS\r\n")}, nil
	case imapStartTLS:
		done, ok, err := s.tagged(in, "a2", func([]byte) {})
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
