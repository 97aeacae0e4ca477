package scan

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/portreach/portreach/results"
)

// Reasons: short, stable, machine-readable words that say why a port got its state.
const (
	ReasonSynAck          = "syn-ack"           // TCP handshake completed
	ReasonConnRefused     = "conn-refused"      // TCP RST
	ReasonNoResponse      = "no-response"       // silence after every attempt
	ReasonUDPResponse     = "udp-response"      // a reply the probe accepted
	ReasonPortUnreach     = "port-unreachable"  // ICMP port unreachable (UDP)
	ReasonHostUnreach     = "host-unreachable"  // ICMP host unreachable (or, for TCP, any code the kernel maps to EHOSTUNREACH)
	ReasonNetUnreach      = "net-unreachable"   // ICMP network unreachable, or no route here
	ReasonAdminProhibited = "admin-prohibited"  // ICMP communication administratively prohibited
	ReasonProtoUnreach    = "proto-unreachable" // ICMP protocol unreachable
	ReasonLocalFirewall   = "local-firewall"    // this machine's own firewall refused to send
	ReasonInterrupted     = "interrupted"       // the run was cancelled before this port finished
	ReasonMaxTime         = "max-time"          // the run's time limit came before this port finished
	ReasonResolve         = "resolve-failed"    // the host name did not resolve
	ReasonNoRoute         = "no-route"          // this machine cannot reach the address family or network at all
	ReasonIPProto         = "ip-protocol"       // an IP protocol (GRE, ESP, AH) needs raw sockets to test
	ReasonSelfConnect     = "self-connect"      // a loopback connect met itself: nothing listens
)

// outcome is what one attempt learned.
type outcome struct {
	state  results.State
	reason string
	final  bool // a definite answer: stop retrying
}

// classify maps a dial or read error to an outcome. It is the one place where
// errors become verdicts. A nil outcome.final means "no answer yet": a timeout.
func classify(err error) outcome {
	switch {
	case err == nil:
		return outcome{results.Open, ReasonSynAck, true}
	case isErrno(err, syscall.ECONNREFUSED), isErrno(err, syscall.ECONNRESET):
		return outcome{results.Closed, ReasonConnRefused, true}
	case isErrno(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EHOSTDOWN):
		return outcome{results.Filtered, ReasonHostUnreach, true}
	case isErrno(err, syscall.ENETUNREACH):
		return outcome{results.Filtered, ReasonNetUnreach, true}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return outcome{results.Filtered, ReasonLocalFirewall, true}
	case errors.Is(err, syscall.ENOPROTOOPT):
		return outcome{results.Filtered, ReasonProtoUnreach, true}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return outcome{results.Filtered, ReasonNoResponse, false}
	}
	return outcome{results.Filtered, ReasonNoResponse, false}
}

// transient reports errors that describe this machine, not the port: out of file
// descriptors, out of ephemeral ports, out of buffers. They are never a result;
// the scanner backs off and tries again.
func transient(err error) bool {
	return isErrno(err, syscall.EMFILE) || isErrno(err, syscall.ENFILE) ||
		isErrno(err, syscall.EADDRNOTAVAIL) || isErrno(err, syscall.ENOBUFS) ||
		isErrno(err, syscall.EAGAIN) || isErrno(err, syscall.EADDRINUSE)
}

// stopReason says why an unfinished port was not finished.
func stopReason(ctx context.Context) string {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return ReasonMaxTime
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return ReasonMaxTime
	}
	return ReasonInterrupted
}

// stopped reports whether ctx has ended, counting a deadline that has passed but
// whose timer has not fired yet: a read that timed out at the context's deadline
// must not be taken for a silent port.
func stopped(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}
