package probes

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Service is the first exchange of a TCP service, spoken after a connect to
// confirm that the port has the service a profile expects behind it: a banner,
// a greeting, a negotiate, a TLS handshake. Like Probe it holds wire formats only;
// the scanner owns the connection, the clock and the TLS handshake, and drives
// the Dialog. Values are immutable and safe for concurrent use.
type Service struct {
	// Name is the stable identifier results use (Result.Probe): "smtp", "https"…
	// Names are unique across Services and Probes.
	Name string
	// Ports are the TCP ports this service is the default for.
	Ports []uint16
	// TLS means the connection is TLS from its first byte (IMAPS, LDAPS, HTTPS):
	// the scanner runs the handshake before the dialog begins.
	TLS bool
	// Drift lists the fields of ServiceDetail whose change since a baseline an
	// audit reports (a new certificate, a changed banner or SMB dialect).
	Drift []DriftField
	// New starts one conversation, drawing every ID from rnd. host is the
	// target as the user gave it (a name or an address), for protocols that
	// name the server they talk to (HTTP's Host).
	New func(rnd io.Reader, host string) (Dialog, error)
	// Requires lists what a profile entry may require of the service beyond
	// answering (its "require" field): SMB signing of an SMB server.
	Requires []*Requirement
}

// Requirement is a property of a confirmed service that a check may require
// (results.Check.Require), judged from what the service said.
type Requirement struct {
	// Name is what profiles write: "smb-signing".
	Name string
	// Meaning says what is required, for documentation.
	Meaning string
	// Met says whether the service's answer meets the requirement; known is
	// false when the answer does not say (the conversation ended first).
	Met func(d *ServiceDetail) (met, known bool)
}

// RequirementByName returns the requirement of that name of any service.
func RequirementByName(name string) (*Requirement, bool) {
	for _, s := range services {
		for _, r := range s.Requires {
			if r.Name == name {
				return r, true
			}
		}
	}
	return nil, false
}

// Detail is a nil *ServiceDetail: every service reports that type, so drift
// fields are checked against it.
func (s *Service) Detail() Detail { return (*ServiceDetail)(nil) }

// Dialog is one conversation in flight. The scanner calls Next with nil first (and
// again right after a TLS handshake it was asked for), then with every byte
// received since the last Step that sent something or asked for TLS, after each
// read: the bytes of the call before, and more. A reply may grow to MaxReply
// bytes a few kilobytes at a time, so a Dialog looks at each byte once (it
// keeps how far it has read) and keeps no more of the reply than it reports.
// A Dialog is used by one goroutine at a time.
type Dialog interface {
	// Next returns what to do now. An error that wraps ErrWrongService means
	// another service answered; one that wraps ErrTooLong, that the reply
	// passes a bound; any other error ends the conversation, keeping what
	// Detail has learnt so far.
	Next(in []byte) (Step, error)
	// Detail is what the conversation has learnt so far; never nil.
	Detail() *ServiceDetail
}

// Step is a Dialog's instruction to the scanner. The zero Step means "read more".
type Step struct {
	// Send is written to the connection first.
	Send []byte
	// StartTLS: after Send, run a TLS client handshake on the connection, record
	// it in the detail and call Next(nil).
	StartTLS bool
	// Done: the conversation is over (after Send, if any).
	Done bool
}

// ErrWrongService is wrapped by a Dialog's error when the bytes received show
// that another service (or none that speaks first) is behind the port.
var ErrWrongService = errors.New("another service answered")

// ErrTooLong is wrapped by a Dialog's error when the reply, one of its lines or
// a frame it declares, passes its bound (MaxReply; maxGreeting for a line): a
// confirmation does not read such a reply to its end, whatever sent it.
var ErrTooLong = errors.New("reply too long")

// MaxReply bounds a reply: the bytes one step of a dialog is given, from the
// step that sent something (or asked for TLS) to the one that moves on. Every
// first exchange confirmation speaks is far smaller (a rootDSE is kilobytes, an
// EHLO reply hundreds of bytes); the scanner stops a reply that reaches it
// unfinished (ErrTooLong's reason).
const MaxReply = 64 << 10

// wrongService is the error for in when want was expected.
func wrongService(want string, in []byte) error {
	return fmt.Errorf("%w: want %s, it answered %s", ErrWrongService, want, Identify(in))
}

// greetingError is the error for a first reply that went wrong: too long, or
// not the wanted one (another service).
func greetingError(want string, in []byte, err error) error {
	if errors.Is(err, ErrTooLong) {
		return err
	}
	return wrongService(want, in)
}

// Identify names the protocol a first reply looks like, for wrong-service
// reports ("445 open, but it answered HTTP"); "unrecognised bytes" otherwise.
func Identify(b []byte) string {
	line := string(b[:min(len(b), 200)])
	switch {
	case len(b) == 0:
		return "nothing"
	case strings.HasPrefix(line, "HTTP/"):
		return "HTTP"
	case strings.HasPrefix(line, "SSH-"):
		return "SSH"
	case strings.HasPrefix(line, "+OK") || strings.HasPrefix(line, "-ERR"):
		return "POP3"
	case strings.HasPrefix(line, "* OK") || strings.HasPrefix(line, "* PREAUTH") || strings.HasPrefix(line, "* BYE"):
		return "IMAP"
	case strings.HasPrefix(line, "220"):
		if strings.Contains(strings.ToUpper(line), "FTP") {
			return "FTP"
		}
		return "SMTP or FTP (220 greeting)"
	case strings.HasPrefix(line, "200 ") || strings.HasPrefix(line, "201 "):
		return "NNTP"
	case len(b) >= 3 && b[0] == 0x16 && b[1] == 3:
		return "TLS"
	case len(b) >= 3 && b[0] == 0x15 && b[1] == 3:
		return "TLS (alert)"
	case len(b) >= 8 && b[0] == 0 && (bytes.Equal(b[4:8], []byte("\xfeSMB")) || bytes.Equal(b[4:8], []byte("\xffSMB"))):
		return "SMB"
	case len(b) >= 4 && b[0] == 3 && b[1] == 0:
		return "TPKT (RDP)"
	case len(b) >= 8 && b[0] == 4 && b[1] == 1:
		return "TDS (SQL Server)"
	case len(b) >= 2 && b[0] == 0x30:
		return "BER (LDAP?)"
	}
	if simpleIsText(b) {
		first, _, _ := strings.Cut(line, "\n")
		return fmt.Sprintf("text %q", strings.TrimSpace(first))
	}
	return fmt.Sprintf("unrecognised bytes % x", b[:min(len(b), 8)])
}

// ServiceDetail is what a TCP service said in its first exchange. Parts that
// the service does not speak are absent.
type ServiceDetail struct {
	// Service is the Service.Name that was confirmed.
	Service string `json:"service"`
	// Banner is the greeting's first line (SMTP 220, POP3 +OK, IMAP * OK, FTP
	// 220, NNTP 200), control characters removed.
	Banner string `json:"banner,omitempty"`
	// Capabilities are the EHLO keywords (RFC 5321 §4.1.1.1), the IMAP
	// CAPABILITY atoms (RFC 9051 §7.2.2) or POP3 CAPA tags (RFC 2449 §5).
	Capabilities []string `json:"capabilities,omitempty"`
	// StartTLS is set when the service offered STARTTLS (STLS for POP3, the
	// StartTLS extended operation for LDAP) and the scanner used it.
	StartTLS bool `json:"starttls,omitempty"`
	// TLS describes the TLS session, for TLS ports and after STARTTLS.
	TLS *TLSDetail `json:"tls,omitempty"`
	// HTTP is an HTTP server's answer to GET /.
	HTTP *HTTPDetail `json:"http,omitempty"`
	// SMB is an SMB server's answer to NEGOTIATE.
	SMB *SMBDetail `json:"smb,omitempty"`
	// LDAP is what a directory's rootDSE says.
	LDAP *LDAPDetail `json:"ldap,omitempty"`
	// Kerberos and DNS are the UDP probes' details, from the same requests
	// over TCP.
	Kerberos *KerberosDetail `json:"kerberos,omitempty"`
	DNS      *DNSDetail      `json:"dns,omitempty"`
	// RDP is a Remote Desktop server's answer to the connection request.
	RDP *RDPDetail `json:"rdp,omitempty"`
	// TDS is a SQL Server's PRELOGIN response.
	TDS *TDSDetail `json:"tds,omitempty"`
	// Note says why the conversation stopped early, when it did.
	Note string `json:"note,omitempty"`
}

// Summary reads like `"220 mail.lab ESMTP Postfix", STARTTLS, TLS 1.3, CN=mail.lab, expires 2027-03-01 (90 days)`.
func (d *ServiceDetail) Summary() string {
	var parts []string
	if d.Banner != "" {
		b := d.Banner
		if len(b) > 60 {
			b = b[:60] + "…"
		}
		parts = append(parts, fmt.Sprintf("%q", b))
	}
	if d.HTTP != nil {
		parts = append(parts, d.HTTP.summary())
	}
	if d.SMB != nil {
		parts = append(parts, d.SMB.summary())
	}
	if d.LDAP != nil {
		parts = append(parts, d.LDAP.summary())
	}
	if d.Kerberos != nil {
		parts = append(parts, d.Kerberos.Summary())
	}
	if d.DNS != nil {
		parts = append(parts, d.DNS.Summary())
	}
	if d.RDP != nil {
		parts = append(parts, d.RDP.summary())
	}
	if d.TDS != nil {
		parts = append(parts, d.TDS.summary())
	}
	if d.StartTLS {
		parts = append(parts, "STARTTLS")
	}
	if d.TLS != nil {
		parts = append(parts, d.TLS.summary())
	}
	if d.Note != "" {
		parts = append(parts, d.Note)
	}
	if len(parts) == 0 {
		return d.Service
	}
	return strings.Join(parts, ", ")
}

// CertExpiry is the earliest not-after of the certificates the service sent
// (results.CertExpirer), when a TLS handshake succeeded.
func (d *ServiceDetail) CertExpiry() (time.Time, bool) {
	if d.TLS == nil || d.TLS.EarliestNotAfter.IsZero() {
		return time.Time{}, false
	}
	return d.TLS.EarliestNotAfter, true
}

// lineReader takes the complete lines of a reply as they come: in grows between
// calls (the bytes since the dialog last sent something), and each byte is
// looked at once. The zero value starts a reply; reset it when the dialog sends.
type lineReader struct {
	off  int // in[:off] has been returned as lines
	seen int // in[off:off+seen] holds no line end
}

// next returns the next complete line of in, without its CRLF (or LF), or ok
// false while it has not ended. A line longer than maxGreeting is ErrTooLong.
// The line is in's own bytes: copy what is kept.
func (r *lineReader) next(in []byte) (line []byte, ok bool, err error) {
	if r.off+r.seen > len(in) {
		*r = lineReader{} // a new reply: the dialog did not reset
	}
	rest := in[r.off:]
	i := bytes.IndexByte(rest[r.seen:], '\n')
	if i < 0 {
		r.seen = len(rest)
		if len(rest) > maxGreeting {
			return nil, false, fmt.Errorf("%w: a line of more than %d bytes", ErrTooLong, maxGreeting)
		}
		return nil, false, nil
	}
	i += r.seen
	r.off, r.seen = r.off+i+1, 0
	return bytes.TrimRight(rest[:i], "\r"), true, nil
}

// partial is the line begun in in and not ended yet.
func (r *lineReader) partial(in []byte) []byte {
	if r.off > len(in) {
		return nil
	}
	return in[r.off:]
}

// identifyAfter is how many bytes of a first reply without a line end a dialog
// reads before it decides that another service answered: enough for Identify
// to name it (an SMB header, "HTTP/1.1 200").
const identifyAfter = 16

// maxGreeting caps how many bytes a text dialog waits for before it gives up on
// a line end: a greeting or a capability list is never this long.
const maxGreeting = 16 << 10

var errNotReply = errors.New("not a reply of this protocol")

// numberedReply reads one numbered reply (RFC 5321 §4.2, RFC 959 §4.2:
// "250-" continues, "250 " ends) as its lines come: its code and its first
// line's text; each line's text also goes to read's each, when given (EHLO's
// extensions).
type numberedReply struct {
	lines lineReader
	code  string // "" until a line has come
	first string
}

// read takes what in adds to the reply; ok once it has ended. A line that is
// not one of a numbered reply (or not of the same code) is errNotReply.
func (n *numberedReply) read(in []byte, each func(text string)) (ok bool, err error) {
	for {
		// Before the first line ends, bytes that cannot start a reply need not
		// wait for its end.
		if p := n.lines.partial(in); n.code == "" && len(p) >= identifyAfter && (!isDigits(string(p[:3])) || p[3] != ' ' && p[3] != '-') {
			return false, errNotReply
		}
		l, ok, err := n.lines.next(in)
		if err != nil || !ok {
			return false, err
		}
		if len(l) < 3 || !isDigits(string(l[:3])) || n.code != "" && string(l[:3]) != n.code || len(l) > 3 && l[3] != ' ' && l[3] != '-' {
			return false, errNotReply
		}
		text := bytes.TrimSpace(l[min(4, len(l)):])
		if n.code == "" {
			n.code, n.first = string(l[:3]), peerText(text)
		} else if each != nil {
			each(peerText(text))
		}
		if len(l) == 3 || l[3] == ' ' {
			return true, nil
		}
	}
}

// greetingDialog reads a numbered greeting (RFC 959 and RFC 3977 reply codes,
// multi-line as RFC 5321 §4.2 writes them), checks its code and says QUIT.
type greetingDialog struct {
	d      ServiceDetail
	want   string   // what the greeting should be, for wrong-service errors
	codes  []string // accepted codes
	refuse string   // the code of "service not available"
	reply  numberedReply
}

func (g *greetingDialog) Detail() *ServiceDetail { return &g.d }

func (g *greetingDialog) Next(in []byte) (Step, error) {
	if in == nil {
		return Step{}, nil
	}
	ok, err := g.reply.read(in, nil)
	if err != nil {
		return Step{}, greetingError(g.want, in, err)
	}
	if !ok {
		return Step{}, nil
	}
	code := g.reply.code
	g.d.Banner = code + " " + g.reply.first
	switch {
	case code == g.refuse:
		g.d.Note = "the server refuses service"
	case !slices.Contains(g.codes, code):
		return Step{}, wrongService(g.want, in)
	}
	return Step{Send: []byte("QUIT\r\n"), Done: true}, nil
}

// framedDialog speaks a datagram probe's exchange over TCP, where each message
// is preceded by its length: 2 octets for DNS (RFC 1035 §4.2.2), 4 for
// Kerberos (RFC 4120 §7.2.2, the high bit reserved). The requests and the
// matching are the UDP probe's own.
type framedDialog struct {
	d       ServiceDetail
	q       Query
	prefix  int
	set     func(*ServiceDetail, Detail)
	want    string
	sent    bool
	off     int  // the reply's messages before it have been matched
	matched bool // one of them was an answer
	// plausible says whether the first bytes of a message (at least two) can
	// start an answer, so that another service is told at once rather than
	// after the timeout.
	plausible func(msg []byte) bool
}

func (f *framedDialog) Detail() *ServiceDetail { return &f.d }

func (f *framedDialog) Next(in []byte) (Step, error) {
	if !f.sent {
		f.sent = true
		var out []byte
		for _, p := range f.q.Packets() {
			if f.prefix == 2 {
				out = binary.BigEndian.AppendUint16(out, uint16(len(p)))
			} else {
				out = binary.BigEndian.AppendUint32(out, uint32(len(p)))
			}
			out = append(out, p...)
		}
		return Step{Send: out}, nil
	}
	if f.off > len(in) {
		f.off = 0 // a new reply
	}
	for rest := in[f.off:]; len(rest) >= f.prefix; rest = in[f.off:] {
		var n int
		if f.prefix == 2 {
			n = int(binary.BigEndian.Uint16(rest))
		} else {
			n = int(binary.BigEndian.Uint32(rest) & 0x7fffffff)
		}
		if len(rest) < f.prefix+2 {
			break // too little to tell another service's bytes from a length
		}
		if !f.plausible(rest[f.prefix:]) {
			return Step{}, wrongService(f.want, in)
		}
		if f.off+f.prefix+n > MaxReply {
			return Step{}, fmt.Errorf("%w: a %d-byte message", ErrTooLong, n)
		}
		if len(rest) < f.prefix+n {
			break
		}
		det, err := f.q.Match(rest[f.prefix : f.prefix+n])
		switch {
		case errors.Is(err, ErrNotMine) && !f.matched && f.d.Note == "":
			return Step{}, wrongService(f.want, in)
		case err != nil:
			f.d.Note = err.Error()
		default:
			f.matched = true
			f.set(&f.d, det)
		}
		f.off += f.prefix + n
		if c, ok := f.q.(Completer); !ok || c.Complete() {
			return Step{Done: true}, nil
		}
	}
	return Step{}, nil
}
