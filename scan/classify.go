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

// outcome is what one attempt learned.
type outcome struct {
	state  results.State
	reason results.Reason
	final  bool // a definite answer: stop retrying
}

// classify maps a dial or read error to an outcome. It is the one place where
// errors become verdicts. A nil outcome.final means "no answer yet": a timeout.
func classify(err error) outcome {
	switch {
	case err == nil:
		return outcome{results.Open, results.ReasonSynAck, true}
	case isErrno(err, syscall.ECONNREFUSED), isErrno(err, syscall.ECONNRESET):
		return outcome{results.Closed, results.ReasonConnRefused, true}
	case isErrno(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EHOSTDOWN):
		return outcome{results.Filtered, results.ReasonHostUnreach, true}
	case isErrno(err, syscall.ENETUNREACH):
		return outcome{results.Filtered, results.ReasonNetUnreach, true}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return outcome{results.Filtered, results.ReasonLocalFirewall, true}
	case errors.Is(err, syscall.ENOPROTOOPT):
		return outcome{results.Filtered, results.ReasonProtoUnreach, true}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, context.DeadlineExceeded) || isErrno(err, syscall.ETIMEDOUT) {
		return outcome{results.Filtered, results.ReasonNoResponse, false}
	}
	if errors.Is(err, context.Canceled) || transient(err) {
		// Cancelled (the caller knows why), or a shortage being waited out:
		// nothing learned about the port.
		return outcome{results.Filtered, results.ReasonNoResponse, false}
	}
	// Anything else (EINVAL, EBADF, ENOTSOCK, EAFNOSUPPORT …) went wrong on this
	// machine before the port could answer: never a port state, and never
	// retried into a "filtered" that would blame a firewall.
	return outcome{results.Error, results.ReasonLocalError, true}
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
func stopReason(ctx context.Context) results.Reason {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return results.ReasonMaxTime
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return results.ReasonMaxTime
	}
	return results.ReasonInterrupted
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
