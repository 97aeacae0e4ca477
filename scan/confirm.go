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
	// CertDays fails a check whose certificate expires within this many days.
	// Zero means 14; negative means never (only expired certificates fail).
	CertDays int
	// Verify fails a check whose certificate chain does not verify against
	// Roots, or that is not valid for the target's name.
	Verify bool
	// Roots are the roots chains are verified against (and reported as
	// verified or not, whatever Verify says). Nil means the system's.
	Roots *x509.CertPool
	// Now is the clock certificates are judged by. Nil means time.Now.
	Now func() time.Time
}

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
	checked := check != nil && check.Service != "" && check.Expect != results.ExpectClosed
	if c.ByPort || c.Checked && checked {
		return s
	}
	return nil
}

// confirm speaks svc's first exchange with an open port and records what
// answered in res: the port stays open; its check fails (Result.Fail) when
// another service answered, the service said nothing, the TLS handshake failed,
// or the certificate has expired, expires within CertDays, or (with Verify)
// does not verify. Every read, write and handshake gets the scan's timeout.
func (s *run) confirm(ctx context.Context, h *host, res *results.Result, svc *probes.Service) {
	dlg, err := svc.New(rand.Reader, h.name)
	if err != nil {
		res.Detail = "confirm " + svc.Name + ": " + err.Error()
		return
	}
	res.Probe = svc.Name
	reason, note := s.converse(ctx, h, res.Port, svc, dlg)
	d := dlg.Detail()
	d.Service = svc.Name
	if note != "" && d.Note == "" {
		d.Note = note
	}
	if reason == "" {
		reason = s.judgeCert(d.TLS)
	}
	res.Details = d
	res.Detail = d.Summary()
	if reason != "" {
		res.Fail(reason)
		if reason == results.ReasonWrongService {
			res.Detail = note
		}
	}
}

// judgeCert fails a certificate that expired, expires soon, or (with Verify)
// does not verify, in that order of precedence.
func (s *run) judgeCert(t *probes.TLSDetail) results.Reason {
	if t == nil || t.Error != "" || t.FingerprintSHA256 == "" {
		return ""
	}
	days := s.Confirm.CertDays
	if days == 0 {
		days = 14
	}
	switch {
	case t.DaysLeft < 0:
		return results.ReasonCertExpired
	case s.Confirm.Verify && (!t.Verified || !t.NameMatches):
		return results.ReasonTLSUnverified
	case t.DaysLeft < days:
		return results.ReasonCertExpiring
	}
	return ""
}

// converse runs the dialog on a new connection. It returns a reason to fail the
// check with (and what to say), or "" and a note when the conversation ended
// early for a reason that says nothing against the service.
func (s *run) converse(ctx context.Context, h *host, port uint16, svc *probes.Service, dlg probes.Dialog) (results.Reason, string) {
	s.slots <- struct{}{}
	defer func() { <-s.slots }()
	dctx, cancel := context.WithTimeout(ctx, s.timeout)
	raw, err := s.dialer.DialContext(dctx, "tcp", netip.AddrPortFrom(h.addr, port).String())
	cancel()
	if err != nil {
		return "", "confirm: the second connection failed: " + unwrapSyscall(err).Error()
	}
	defer closeNow(raw)
	var conn net.Conn = raw
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Now()) })
	defer stop()

	d := dlg.Detail()
	heard := false // the service has sent or accepted something of its own
	step := probes.Step{}
	if svc.TLS {
		step.StartTLS = true
	} else if step, err = dlg.Next(nil); err != nil {
		return dialogError(svc, err, heard)
	}
	buf := make([]byte, 0, 4096)
	chunk := make([]byte, 4096)
	for {
		if len(step.Send) > 0 {
			_ = conn.SetWriteDeadline(time.Now().Add(s.timeout))
			if _, err := conn.Write(step.Send); err != nil {
				return ioEnd(svc, err, heard)
			}
			buf = buf[:0]
		}
		if step.StartTLS {
			tc, t, reason, note := s.handshake(ctx, conn, h.name, svc, heard)
			d.TLS = t
			if reason != "" {
				return reason, note
			}
			conn, heard, buf = tc, true, buf[:0]
			if step, err = dlg.Next(nil); err != nil {
				return dialogError(svc, err, heard)
			}
			continue
		}
		if step.Done {
			return "", ""
		}
		_ = conn.SetReadDeadline(time.Now().Add(s.timeout))
		n, rerr := conn.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if len(buf) > maxReply {
			return "", fmt.Sprintf("%s: the reply passed %d bytes without ending", svc.Name, maxReply)
		}
		if n > 0 {
			if step, err = dlg.Next(buf); err != nil {
				return dialogError(svc, err, heard)
			}
			// The service is recognised once the dialog moves on.
			heard = heard || step.Done || step.StartTLS || len(step.Send) > 0
			continue
		}
		if rerr != nil {
			if !heard && len(buf) > 0 {
				// Bytes came, but never the start of an answer.
				return results.ReasonWrongService, fmt.Sprintf("want %s, it answered %s", svc.Name, probes.Identify(buf))
			}
			return ioEnd(svc, rerr, heard)
		}
	}
}

// maxReply bounds what one step of a dialog may read: every first exchange
// confirmation speaks is far smaller (a rootDSE is kilobytes).
const maxReply = 1 << 20

// handshake runs a TLS client handshake for confirmation: any certificate is
// accepted (DescribeTLS verifies it, to report rather than refuse), TLS 1.0 and
// later, SNI from the target's name. heard says whether the service already
// spoke (STARTTLS): if not, a peer that closes, resets or stays silent is not
// a TLS service at all.
func (s *run) handshake(ctx context.Context, conn net.Conn, target string, svc *probes.Service, heard bool) (net.Conn, *probes.TLSDetail, results.Reason, string) {
	cfg := &tls.Config{
		InsecureSkipVerify: true, // verified by DescribeTLS, which reports instead of refusing
		ServerName:         probes.ServerName(target),
		MinVersion:         tls.VersionTLS10,
	}
	tc := tls.Client(conn, cfg)
	_ = conn.SetDeadline(time.Now().Add(s.timeout))
	if err := tc.HandshakeContext(ctx); err != nil {
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) {
			return nil, &probes.TLSDetail{Error: "not TLS"}, results.ReasonWrongService,
				"want a TLS handshake, it answered " + probes.Identify(rh.RecordHeader[:])
		}
		if !heard && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, os.ErrDeadlineExceeded)) {
			reason, note := ioEnd(svc, err, false)
			return nil, nil, reason, note
		}
		// The TLS detail carries the error; the check fails for it (a
		// service that offered STARTTLS and cannot do it fails too).
		return nil, &probes.TLSDetail{Error: err.Error()}, results.ReasonTLSFailed, ""
	}
	_ = conn.SetDeadline(time.Time{})
	now := time.Now
	if s.Confirm.Now != nil {
		now = s.Confirm.Now
	}
	return tc, probes.DescribeTLS(tc.ConnectionState(), target, s.Confirm.Roots, now()), "", ""
}

// dialogError maps a Dialog's error to a verdict: another service answered, or
// the conversation broke off after the service was recognised.
func dialogError(svc *probes.Service, err error, heard bool) (results.Reason, string) {
	if errors.Is(err, probes.ErrWrongService) {
		return results.ReasonWrongService, err.Error()
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
	case errors.Is(err, os.ErrDeadlineExceeded):
		what = "said nothing more within the timeout"
		if !heard {
			what = "said nothing within the timeout"
		}
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
