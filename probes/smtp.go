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
}

func (s *smtpDialog) Detail() *ServiceDetail { return &s.d }

const (
	smtpGreeting = iota
	smtpEHLO
	smtpStartTLS
	smtpAfterTLS
)

// smtpReply reads one complete reply (RFC 5321 §4.2: "250-" continues, "250 "
// ends): its code and the text of each line. ok is false while incomplete.
func smtpReply(in []byte) (code string, text []string, ok bool, err error) {
	full, rest := lines(in)
	if len(rest) > maxGreeting {
		return "", nil, false, errTooLong
	}
	if len(full) == 0 && len(rest) >= identifyAfter && (!isDigits(string(rest[:3])) || rest[3] != ' ' && rest[3] != '-') {
		return "", nil, false, errNotReply // no need to wait for the line's end
	}
	for _, l := range full {
		if len(l) < 3 || !isDigits(l[:3]) || code != "" && l[:3] != code || len(l) > 3 && l[3] != ' ' && l[3] != '-' {
			return "", nil, false, errNotReply
		}
		code = l[:3]
		text = append(text, peerText([]byte(strings.TrimSpace(l[min(4, len(l)):]))))
		if len(l) == 3 || l[3] == ' ' {
			return code, text, true, nil
		}
	}
	return "", nil, false, nil
}

func (s *smtpDialog) Next(in []byte) (Step, error) {
	switch s.state {
	case smtpGreeting:
		if in == nil {
			return Step{}, nil
		}
		code, text, ok, err := smtpReply(in)
		if err != nil {
			return Step{}, wrongService("an SMTP 220 greeting", in)
		}
		if !ok {
			return Step{}, nil
		}
		s.d.Banner = code + " " + text[0]
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
		code, text, ok, err := smtpReply(in)
		if err != nil || !ok {
			return Step{}, err
		}
		if code != "250" {
			s.d.Note = "EHLO refused: " + code + " " + text[0]
			return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
		}
		starttls := false
		for _, t := range text[1:] { // the first line is the server's name
			kw, _, _ := strings.Cut(t, " ")
			kw = strings.ToUpper(kw)
			s.d.Capabilities = append(s.d.Capabilities, kw)
			starttls = starttls || kw == "STARTTLS"
		}
		if !starttls || s.tls {
			return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
		}
		s.state = smtpStartTLS
		return Step{Send: []byte("STARTTLS\r\n")}, nil
	case smtpStartTLS:
		code, text, ok, err := smtpReply(in)
		if err != nil || !ok {
			return Step{}, err
		}
		if code != "220" {
			s.d.Note = "STARTTLS refused: " + code + " " + text[0]
			return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
		}
		s.state, s.d.StartTLS = smtpAfterTLS, true
		return Step{StartTLS: true}, nil
	}
	return Step{Done: true}, nil
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
