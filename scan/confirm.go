package scan

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// Confirm configures TCP service confirmation: after a connect succeeds, the
// scanner speaks the service's first exchange (probes.Service) on a new
// connection and reports what answered. The zero value confirms nothing.
type Confirm struct {
	// Checked confirms open ports whose profile entry names a service (a
	// results.Check with Service set) and whose port has a well-known service,
	// or whose entry names one (Port.Probe).
	Checked bool
	// ByPort confirms every open port that has a well-known service, checked or
	// not (ad-hoc -p scans with --confirm).
	ByPort bool
	// CertDays fails a check whose certificate expires within this many days:
	// nil means DefaultCertDays; zero (or less) fails only expired
	// certificates. new(n) sets it to n.
	CertDays *int
	// Verify fails a check whose certificate chain does not verify against
	// Roots, or that is not valid for the target's name.
	Verify bool
	// Roots are the roots chains are verified against (and reported as
	// verified or not, whatever Verify says). Nil means the system's.
	Roots *x509.CertPool
	// Now is the clock certificates are judged by. Nil means time.Now.
	Now func() time.Time
}

// DefaultCertDays is the CertDays of a Confirm that sets none: two weeks' notice
// of a certificate's expiry.
const DefaultCertDays = 14

// serviceFor returns the service to confirm for a TCP result, or nil: only open
// ports are confirmed, and a plan entry may name the service (Port.Probe).
func (r *run) serviceFor(ports []Port, res results.Result) *probes.Service {
	c := &r.Confirm
	if res.State != results.Open || !c.Checked && !c.ByPort {
		return nil
	}
	probe := ""
	for _, p := range ports {
		if p.Proto == results.TCP && p.Lo <= res.Port && res.Port <= p.hi() && p.Probe != "" {
			probe = p.Probe
			break
		}
	}
	return c.serviceFor(res.Port, probe, res.Check)
}

// serviceFor returns the service to confirm on an open port, or nil.
func (c *Confirm) serviceFor(port uint16, probe string, check *results.Check) *probes.Service {
	if probe != "" {
		if s, ok := probes.ServiceByName(probe); ok && (c.Checked || c.ByPort) {
			return s
		}
		return nil
	}
	s, ok := probes.ServiceForPort(port)
	if !ok {
		return nil
	}
	checked := check != nil && check.Service != "" && !check.Expect.Denies()
	if c.ByPort || c.Checked && checked {
		return s
	}
	return nil
}

// confirm speaks svc's first exchange with an open port and records what
// answered in res: the port stays open; its check fails (Result.Fail) when
// another service answered, the service said nothing, the conversation did not
// end within its bounds, the TLS handshake failed, or the certificate has
// expired, expires within CertDays, or (with Verify) does not verify. Each wait
// gets the scan's timeout, and the whole conversation, its connect included,
// confirmTimeouts of them; a run that stops first fails the check with its own
// reason (interrupted, max-time), never one that blames the service.
func (r *run) confirm(ctx context.Context, h *host, res *results.Result, svc *probes.Service) {
	res.Probe = svc.Name
	if stopped(ctx) {
		res.Detail = svc.Name + ": the run stopped before the service was confirmed"
		res.Fail(stopReason(ctx))
		return
	}
	dlg, err := svc.New(rand.Reader, h.name)
	if err != nil {
		res.Detail = "confirm " + svc.Name + ": " + err.Error()
		return
	}
	reason, note := r.converse(ctx, h, res.Port, svc, dlg)
	d := dlg.Detail()
	d.Service = svc.Name
	if note != "" && d.Note == "" {
		d.Note = note
	}
	why := ""
	if reason == "" {
		reason, why = r.judgeCert(d.TLS)
	}
	var rule string // the LDAPS certificate rule that fails, said after the summary
	if reason == "" || reason == results.ReasonCertExpiring {
		// Expired or not valid yet says more than a rule; a rule, more than
		// an expiry to come.
		if broken, what := r.judgeLDAPS(svc, d, h.name); broken != "" {
			reason, rule = broken, what
		}
	}
	if reason == "" {
		reason = judgeRequire(svc, d, res.Check)
	}
	res.Details = d
	res.Detail = d.Summary()
	if why != "" {
		res.Detail += "; " + why
	}
	if rule != "" {
		res.Detail += "; " + rule
	}
	if reason != "" {
		res.Fail(reason)
		if reason == results.ReasonWrongService {
			res.Detail = note
		}
	}
}

// judgeCert fails a certificate that expired, is not valid yet, (with Verify)
// does not verify or is not valid for the target's name, or expires soon, in
// that order of precedence; why says what --tls-verify found, for the detail.
func (r *run) judgeCert(t *probes.TLSDetail) (reason results.Reason, why string) {
	if t == nil || t.Error != "" || t.FingerprintSHA256 == "" {
		return "", ""
	}
	days := DefaultCertDays
	if r.Confirm.CertDays != nil {
		days = *r.Confirm.CertDays
	}
	if r.Confirm.Verify {
		why = verifyFindings(t)
	}
	switch {
	case t.DaysLeft < 0:
		return results.ReasonCertExpired, why
	case t.NotYetValid:
		return results.ReasonCertNotYetValid, why
	case r.Confirm.Verify && !t.Verified:
		return results.ReasonTLSUnverified, why
	case r.Confirm.Verify && !t.NameMatches:
		return results.ReasonCertNameMismatch, why
	case t.DaysLeft < days:
		return results.ReasonCertExpiring, why
	}
	return "", why
}

// verifyFindings says what --tls-verify found wrong with a certificate: its
// chain, its names, or both; "" when both are good.
func verifyFindings(t *probes.TLSDetail) string {
	var found []string
	if !t.Verified {
		found = append(found, "the chain does not verify: "+t.VerifyError)
	}
	if !t.NameMatches {
		names := "it names " + strings.Join(t.SANs, ", ")
		switch {
		case len(t.SANs) == 0:
			names = "it names no host (no subject alternative names)"
		case t.SANsOmitted > 0:
			names += fmt.Sprintf(" and %d more", t.SANsOmitted)
		}
		found = append(found, fmt.Sprintf("not valid for %s: %s", t.Name, names))
	}
	return strings.Join(found, "; ")
}

// confirmTimeouts is how many --timeout one confirmation may take in all, from
// its connect to its last byte. The longest exchange (SMTP: connect, greeting,
// EHLO, STARTTLS, a TLS handshake of two round trips) waits for about six
// answers, each far quicker than --timeout on a working path; a server that
// trickles its reply, a byte every half --timeout, is cut off here instead of
// holding the port's slot until the byte cap.
const confirmTimeouts = 3

// talk is one confirmation's conversation: its bounds, and what it has heard.
type talk struct {
	ctx     context.Context
	svc     *probes.Service
	timeout time.Duration // the longest wait for one answer
	end     time.Time     // the whole conversation's deadline
	conn    *countConn    // the TCP connection, counting what it reads
	// heard says that the service has sent or accepted something of its own:
	// the dialog moved on, or a TLS handshake succeeded.
	heard bool
	// got counts the bytes received since the last step that sent something
	// (or began a TLS handshake): a reply begun, or not.
	got int
}

// wait sets a deadline with set for one wait: --timeout from now, or the
// conversation's end if that comes first.
func (t *talk) wait(set func(time.Time) error) {
	_ = set(t.until())
}

func (t *talk) until() time.Time {
	d := time.Now().Add(t.timeout)
	if t.end.Before(d) {
		return t.end
	}
	return d
}

// converse runs the dialog on a new connection. It returns a reason to fail the
// check with (and what to say), or "" and a note when the conversation ended
// early for a reason that says nothing against the service.
func (r *run) converse(ctx context.Context, h *host, port uint16, svc *probes.Service, dlg probes.Dialog) (results.Reason, string) {
	r.acquire()
	defer r.release()
	t := &talk{ctx: ctx, svc: svc, timeout: r.timeout, end: time.Now().Add(confirmTimeouts * r.timeout)}
	dctx, cancel := context.WithDeadline(ctx, t.until())
	raw, err := r.dialer.DialContext(dctx, "tcp", netip.AddrPortFrom(h.addr, port).String())
	cancel()
	if err != nil {
		if stopped(ctx) {
			return stopReason(ctx), svc.Name + ": the run stopped before the service was confirmed"
		}
		return "", "confirm: the second connection failed: " + unwrapSyscall(err).Error()
	}
	defer closeNow(raw)
	t.conn = &countConn{Conn: raw}
	var conn net.Conn = t.conn
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Now()) })
	defer stop()

	d := dlg.Detail()
	step := probes.Step{}
	if svc.TLS {
		step.StartTLS = true
	} else if step, err = dlg.Next(nil); err != nil {
		return dialogError(svc, err, t.heard)
	}
	// The reply being read, up to probes.MaxReply bytes, in a buffer the
	// scan's UDP exchanges share.
	pb := r.bufs.Get().(*[]byte)
	defer r.bufs.Put(pb)
	if cap(*pb) < probes.MaxReply {
		*pb = make([]byte, probes.MaxReply)
	}
	buf := (*pb)[:0:probes.MaxReply]
	for {
		if len(step.Send) > 0 {
			t.wait(conn.SetWriteDeadline)
			if _, err := conn.Write(step.Send); err != nil {
				return t.ended(err)
			}
			buf, t.got = buf[:0], 0
		}
		if step.StartTLS {
			tc, tl, reason, note := r.handshake(t, conn, h.name)
			d.TLS = tl
			if reason != "" {
				return reason, note
			}
			conn, t.heard, buf, t.got = tc, true, buf[:0], 0
			if step, err = dlg.Next(nil); err != nil {
				return dialogError(svc, err, t.heard)
			}
			continue
		}
		if step.Done {
			return "", ""
		}
		if len(buf) == cap(buf) {
			return results.ReasonReplyTooLong, fmt.Sprintf("%s: the reply reached %d bytes without ending", svc.Name, probes.MaxReply)
		}
		t.wait(conn.SetReadDeadline)
		n, rerr := conn.Read(buf[len(buf):min(cap(buf), len(buf)+readSize)])
		buf = buf[:len(buf)+n]
		t.got += n
		if n > 0 {
			if step, err = dlg.Next(buf); err != nil {
				return dialogError(svc, err, t.heard)
			}
			// The service is recognised once the dialog moves on.
			t.heard = t.heard || step.Done || step.StartTLS || len(step.Send) > 0
			continue
		}
		if rerr != nil {
			if !t.heard && len(buf) > 0 && !timeout(rerr) {
				// Bytes came, but never the start of an answer.
				return results.ReasonWrongService, fmt.Sprintf("want %s, it answered %s", svc.Name, probes.Identify(buf))
			}
			return t.ended(rerr)
		}
	}
}

// readSize is the most one read takes: a reply is handed to its dialog a few
// kilobytes at a time, as it comes.
const readSize = 4096

// handshake runs a TLS client handshake for confirmation: any certificate is
// accepted (DescribeTLS verifies it, to report rather than refuse), every
// version and suite Go implements (confirmSuites), SNI from the target's name. If the service has not spoken yet
// (t.heard: implicit TLS), a peer that closes or resets is not a TLS service
// at all, and one that stays silent for --timeout is too slow to tell.
func (r *run) handshake(t *talk, conn net.Conn, target string) (net.Conn, *probes.TLSDetail, results.Reason, string) {
	cfg := &tls.Config{
		InsecureSkipVerify: true, // verified by DescribeTLS, which reports instead of refusing
		ServerName:         probes.ServerName(target),
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       confirmSuites,
	}
	tc := tls.Client(conn, cfg)
	t.wait(conn.SetDeadline)
	before := t.conn.n
	if err := tc.HandshakeContext(t.ctx); err != nil {
		t.got = int(t.conn.n - before)
		var rh tls.RecordHeaderError
		switch {
		case stopped(t.ctx), timeout(err) && !time.Now().Before(t.end):
			reason, note := t.ended(err)
			return nil, &probes.TLSDetail{Error: "the handshake did not finish"}, reason, note
		case timeout(err) && t.got > 0:
			// The handshake as a whole gets one wait: a server slower than
			// that is not silent, and not blamed.
			return nil, &probes.TLSDetail{Error: "the handshake did not finish"}, results.ReasonConfirmTimeout,
				fmt.Sprintf("%s: the TLS handshake began (%d bytes received) but did not finish within %s (--timeout)", t.svc.Name, t.got, t.timeout)
		case errors.As(err, &rh):
			return nil, &probes.TLSDetail{Error: "not TLS"}, results.ReasonWrongService,
				"want a TLS handshake, it answered " + probes.Identify(rh.RecordHeader[:])
		case !t.heard && timeout(err):
			reason, note := t.silent()
			return nil, nil, reason, note
		case !t.heard && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)):
			reason, note := ioEnd(t.svc, err, false)
			return nil, nil, reason, note
		}
		// The TLS detail carries the error; the check fails for it (a
		// service that offered STARTTLS and cannot do it fails too).
		return nil, &probes.TLSDetail{Error: err.Error()}, results.ReasonTLSFailed, ""
	}
	_ = conn.SetDeadline(time.Time{})
	now := time.Now
	if r.Confirm.Now != nil {
		now = r.Confirm.Now
	}
	return tc, probes.DescribeTLS(tc.ConnectionState(), target, r.Confirm.Roots, now()), "", ""
}

// confirmSuites are the TLS 1.0-1.2 suites confirmation offers: every one Go
// implements, the legacy ones its defaults leave out (RSA key exchange, 3DES,
// RC4, CBC with SHA-256) included, so that an older Windows server (Server
// 2003-2008 era Schannel: TLS 1.0, RSA key exchange only) shows its
// certificate instead of failing the handshake. Go prefers the modern suites
// whatever the order here, so a server that has them still negotiates them,
// and DescribeTLS says when the session is legacy. For confirmation only: it
// sends nothing that needs protecting (no credentials, no data), and nothing
// else in portreach may use these settings. No GODEBUG is needed (an explicit
// list is not filtered by tlsrsakex or tls3des); TLS 1.2 key exchanges signed
// with SHA-1 stay refused (tlssha1 would weaken every connection of the process).
var confirmSuites = func() []uint16 {
	var ids []uint16
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if slices.Contains(c.SupportedVersions, tls.VersionTLS12) { // not the TLS 1.3 ones, which are not chosen
			ids = append(ids, c.ID)
		}
	}
	return ids
}()

// ended maps a failed read, write or handshake to a verdict. The run's end and
// the conversation's bounds come first: a conversation cut short by them says
// nothing against the service, and passes neither (interrupted or max-time;
// confirm-timeout when the whole conversation outlasted its bound, or a reply
// began and then stopped for --timeout before its end, as Postfix's
// postscreen does for six seconds before it ends its greeting).
func (t *talk) ended(err error) (results.Reason, string) {
	switch {
	case stopped(t.ctx):
		return stopReason(t.ctx), t.svc.Name + ": the run stopped before the conversation ended"
	case timeout(err) && !time.Now().Before(t.end):
		return results.ReasonConfirmTimeout, fmt.Sprintf("%s: the conversation did not end within %s (%d × --timeout)",
			t.svc.Name, confirmTimeouts*t.timeout, confirmTimeouts)
	case timeout(err) && t.got > 0:
		return results.ReasonConfirmTimeout, fmt.Sprintf("%s: the reply began (%d bytes), then nothing more came for %s (--timeout) before it ended",
			t.svc.Name, t.got, t.timeout)
	case timeout(err) && !t.heard:
		return t.silent()
	}
	return ioEnd(t.svc, err, t.heard)
}

// silent is the verdict on a service that accepted the connection and said
// nothing within --timeout: confirm-timeout, since a slow service (a loaded
// DC's SMB, a greeting held back) and a port that is not the service look
// the same until a longer wait; wrong-service needs evidence (another
// protocol's reply, a close or a reset).
func (t *talk) silent() (results.Reason, string) {
	return results.ReasonConfirmTimeout, fmt.Sprintf("no %s reply: the port accepted the connection, then said nothing within %s (--timeout): a slow service or not this one (a longer --timeout tells them apart)",
		t.svc.Name, t.timeout)
}

// timeout reports a deadline reached by a read, write or handshake.
func timeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// countConn counts the bytes read from a connection, so that a TLS handshake
// cut off by a deadline can tell a silent peer from a slow one.
type countConn struct {
	net.Conn
	n int64
}

func (c *countConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n += int64(n)
	return n, err
}

// dialogError maps a Dialog's error to a verdict: another service answered, the
// reply passed its bound, or the conversation broke off after the service was
// recognised.
func dialogError(svc *probes.Service, err error, heard bool) (results.Reason, string) {
	switch {
	case errors.Is(err, probes.ErrWrongService):
		return results.ReasonWrongService, err.Error()
	case errors.Is(err, probes.ErrTooLong):
		return results.ReasonReplyTooLong, fmt.Sprintf("%s: %v", svc.Name, err)
	}
	if !heard {
		return results.ReasonWrongService, fmt.Sprintf("%s: %v", svc.Name, err)
	}
	return "", fmt.Sprintf("%s: %v", svc.Name, err)
}

// ioEnd maps a read or write failure: before the service said anything it is
// silent (an acceptor that is not the service, a load balancer with nothing
// behind it); after, the conversation merely ended early.
func ioEnd(svc *probes.Service, err error, heard bool) (results.Reason, string) {
	what := "closed the connection"
	switch {
	case timeout(err): // after it spoke: before, it is silent (talk.silent)
		what = "said nothing more within the timeout"
	case errors.Is(err, syscall.ECONNRESET):
		what = "reset the connection"
	case !errors.Is(err, io.EOF):
		what = err.Error()
	}
	if !heard {
		return results.ReasonWrongService, fmt.Sprintf("no %s reply: the port accepted the connection, then %s", svc.Name, what)
	}
	return "", fmt.Sprintf("%s %s", svc.Name, what)
}
