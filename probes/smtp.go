package probes

import (
	"io"
	"strings"
)

// SMTP confirms an SMTP server (RFC 5321) on 25 and message submission
// (RFC 6409) on 587: the 220 greeting, EHLO and its extensions, and STARTTLS
// (RFC 3207) when offered, so the certificate is read too. It never sends MAIL:
// nothing is ever queued.
var SMTP = &Service{Name: "smtp", Ports: []uint16{25, 587}, Drift: tlsDrift("banner"), New: newSMTPDialog("smtp")}

// smtpHelo is the domain the dialog greets with: under .invalid (RFC 2606 §2),
// so no server mistakes it for a real peer.
const smtpHelo = "portreach.invalid"

func newSMTPDialog(name string) func(io.Reader, string) (Dialog, error) {
	return func(io.Reader, string) (Dialog, error) {
		return &smtpDialog{d: ServiceDetail{Service: name}, tls: name == "smtps"}, nil
	}
}

type smtpDialog struct {
	d     ServiceDetail
	tls   bool // the connection already is TLS
	state int
	reply numberedReply // the reply being read
	// starttls: EHLO listed STARTTLS (perhaps past the extensions kept).
	starttls bool
}

func (s *smtpDialog) Detail() *ServiceDetail { return &s.d }

const (
	smtpGreeting = iota
	smtpEHLO
	smtpStartTLS
	smtpAfterTLS
)

func (s *smtpDialog) Next(in []byte) (Step, error) {
	if s.state == smtpAfterTLS {
		return Step{Done: true}, nil
	}
	if in == nil {
		return Step{}, nil
	}
	var each func(string)
	if s.state == smtpEHLO {
		each = func(t string) { // after the server's name, one extension a line
			if s.reply.code != "250" {
				return
			}
			kw, _, _ := strings.Cut(t, " ")
			kw = strings.ToUpper(kw)
			if len(s.d.Capabilities) < maxListed {
				s.d.Capabilities = append(s.d.Capabilities, kw)
			}
			s.starttls = s.starttls || kw == "STARTTLS"
		}
	}
	ok, err := s.reply.read(in, each)
	switch {
	case err != nil && s.state == smtpGreeting:
		return Step{}, greetingError("an SMTP 220 greeting", in, err)
	case err != nil || !ok:
		return Step{}, err
	}
	code, first := s.reply.code, s.reply.first
	s.reply = numberedReply{} // every step below sends
	switch s.state {
	case smtpGreeting:
		s.d.Banner = code + " " + first
		if code != "220" {
			if code == "554" || code == "421" { // RFC 5321 §3.1: no service here
				s.d.Note = "the server refuses service"
				return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
			}
			return Step{}, wrongService("an SMTP 220 greeting", in)
		}
		s.state = smtpEHLO
		return Step{Send: []byte("EHLO " + smtpHelo + "\r\n")}, nil
	case smtpEHLO:
		if code != "250" {
			s.d.Note = "EHLO refused: " + code + " " + first
			return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
		}
		if !s.starttls || s.tls {
			return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
		}
		s.state = smtpStartTLS
		return Step{Send: []byte("STARTTLS\r\n")}, nil
	default: // smtpStartTLS
		if code != "220" {
			s.d.Note = "STARTTLS refused: " + code + " " + first
			return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
		}
		s.state, s.d.StartTLS = smtpAfterTLS, true
		return Step{StartTLS: true}, nil
	}
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
