package scan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/portreach/portreach/results"
)

// The one classifier. Whatever says something about a port becomes a verdict
// here and nowhere else: how a connect or another socket call ended (classify,
// classifyConnect, classifyDatagram, classifyOpen), an ICMP error about one of
// our packets (classifyICMP, whichever socket and system reported it), and the
// checks made before a host is scanned (classifyLookup, classifyRoute). The engine, the UDP
// exchange and the preflight decide when to ask and what to do with the answer
// (retry, wait, report), never what an event means.

// verdict is what the classifier made of one event: the state and reason a
// result reports, whether that settles the port, and what the result's detail
// says about it.
type verdict struct {
	state  results.State
	final  bool // a definite answer: stop retrying (false: nothing learnt yet, a timeout)
	reason results.Reason
	// from is who sent an ICMP error: the target itself, or a router or
	// firewall on the way. The zero value when the event was not an ICMP error
	// or its sender is not known (a bare errno).
	from netip.Addr
	// err is what went wrong on this machine (a local error, a failed route
	// check), for the detail; nil otherwise.
	err error
}

// detail is the Result.Detail of a verdict about a port of host: what went
// wrong on this machine, or who sent the ICMP error: a router on the way, or
// the host itself when it refused with more than a closed port's answer; ""
// when the state and reason say it all.
func (v verdict) detail(host netip.Addr) string {
	switch {
	case v.err != nil:
		return v.err.Error()
	case v.from.IsValid() && v.from != host:
		return "ICMP from " + v.from.String() + ", a router on the way, not the host"
	case v.from.IsValid() && v.state == results.Filtered:
		return "ICMP from the host itself"
	}
	return ""
}

// classify maps a socket call's error (nil: a connect succeeded) to a verdict,
// as a TCP connect reports it: refused or reset is closed. A verdict that is
// not final means "no answer yet": a timeout, or nothing learnt.
func classify(err error) verdict {
	switch {
	case err == nil:
		return verdict{state: results.Open, reason: results.ReasonSynAck, final: true}
	case isErrno(err, syscall.ECONNREFUSED), isErrno(err, syscall.ECONNRESET):
		return verdict{state: results.Closed, reason: results.ReasonConnRefused, final: true}
	case isErrno(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EHOSTDOWN):
		return verdict{state: results.Filtered, reason: results.ReasonHostUnreach, final: true}
	case isErrno(err, syscall.ENETUNREACH):
		return verdict{state: results.Filtered, reason: results.ReasonNetUnreach, final: true}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return verdict{state: results.Filtered, reason: results.ReasonLocalFirewall, final: true}
	case errors.Is(err, syscall.ENOPROTOOPT):
		return verdict{state: results.Filtered, reason: results.ReasonProtoUnreach, final: true}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, context.DeadlineExceeded) || isErrno(err, syscall.ETIMEDOUT) {
		return verdict{state: results.Filtered, reason: results.ReasonNoResponse}
	}
	if errors.Is(err, context.Canceled) || transient(err) {
		// Cancelled (the caller knows why), or a shortage being waited out:
		// nothing learnt about the port.
		return verdict{state: results.Filtered, reason: results.ReasonNoResponse}
	}
	// Anything else (EINVAL, EBADF, ENOTSOCK, EAFNOSUPPORT …) went wrong on this
	// machine before the port could answer: never a port state, and never
	// retried into a "filtered" that would blame a firewall.
	return classifyOpen(err)
}

// classifyConnect judges how a TCP connect ended. A loopback connect that met
// itself (TCP simultaneous open, when the kernel picks the target port as the
// source port; the kernel never picks a port a listener holds) is closed, never
// open. icmp, when the socket could say so, is the ICMP error (classifyICMP)
// that ended the connect with err: it names the real reason, where err only
// says what connect(2) makes of it (an ICMP administratively prohibited is
// EHOSTUNREACH, an ICMPv6 one EACCES, which alone would read as this machine's
// own firewall).
func classifyConnect(err error, self bool, icmp *verdict) verdict {
	if self {
		return verdict{state: results.Closed, reason: results.ReasonSelfConnect, final: true}
	}
	if icmp != nil && err != nil {
		return *icmp
	}
	return classify(err)
}

// classifyDatagram maps a UDP socket's error to a verdict. A refusal on a UDP
// socket is the kernel relaying an ICMP port unreachable (ECONNREFUSED; Windows
// says WSAECONNRESET) when the socket cannot say more (see classifyICMP).
func classifyDatagram(err error) verdict {
	if isErrno(err, syscall.ECONNREFUSED) || isErrno(err, syscall.ECONNRESET) {
		return verdict{state: results.Closed, reason: results.ReasonPortUnreach, final: true}
	}
	return classify(err)
}

// classifyOpen is the verdict on a port whose socket this machine could not
// make or prepare (a shortage aside, which is waited out): a local error.
func classifyOpen(err error) verdict {
	return verdict{state: results.Error, reason: results.ReasonLocalError, final: true, err: err}
}

// icmpFamily says which protocol's numbers an ICMP type and code are.
type icmpFamily uint8

const (
	icmp4 icmpFamily = 4 // ICMP (RFC 792), about IPv4 packets
	icmp6 icmpFamily = 6 // ICMPv6 (RFC 4443), about IPv6 packets
)

// classifyICMP maps an ICMP error about one of our packets (its family, type
// and code, and from, the sender: the target or a router on the way) to a
// verdict, the way PortQry and nmap read them: port unreachable is closed,
// every other destination unreachable and time exceeded are filtered. ok is
// false for messages that say nothing about the port (fragmentation needed is
// path MTU news; other types are not delivery errors). It does not care which
// socket or system reported the error: Linux's IP_RECVERR on any socket,
// Windows' TCP_ICMP_ERROR_INFO.
func classifyICMP(family icmpFamily, typ, code uint8, from netip.Addr) (v verdict, ok bool) {
	var reason results.Reason
	switch family {
	case icmp4:
		reason = icmp4Reason(typ, code)
	case icmp6:
		reason = icmp6Reason(typ, code)
	}
	if reason == "" {
		return verdict{}, false
	}
	state := results.Filtered
	if reason == results.ReasonPortUnreach {
		state = results.Closed
	}
	return verdict{state: state, reason: reason, final: true, from: from.Unmap()}, true
}

// icmp4Reason names an ICMP error: destination unreachable (type 3) by its
// code (RFC 792; codes 6-15 RFC 1812 §5.2.7.1), time exceeded (type 11).
func icmp4Reason(typ, code uint8) results.Reason {
	switch typ {
	case 11:
		return results.ReasonTTLExceeded
	case 3:
	default:
		return ""
	}
	switch code {
	case 3:
		return results.ReasonPortUnreach
	case 0, 6, 11: // net unreachable, unknown, unreachable for TOS
		return results.ReasonNetUnreach
	case 1, 7, 12: // host unreachable, unknown, unreachable for TOS
		return results.ReasonHostUnreach
	case 2:
		return results.ReasonProtoUnreach
	case 9, 10, 13: // net, host administratively prohibited; communication administratively prohibited
		return results.ReasonAdminProhibited
	case 4:
		return "" // fragmentation needed: path MTU news, not a verdict
	}
	return results.ReasonICMPUnreach
}

// icmp6Reason names an ICMPv6 error: destination unreachable (type 1) by its
// code (RFC 4443 §3.1), time exceeded (type 3, §3.3).
func icmp6Reason(typ, code uint8) results.Reason {
	switch typ {
	case 3:
		return results.ReasonTTLExceeded
	case 1:
	default:
		return ""
	}
	switch code {
	case 4:
		return results.ReasonPortUnreach
	case 0, 2: // no route to destination; beyond scope of source address
		return results.ReasonNetUnreach
	case 3: // address unreachable
		return results.ReasonHostUnreach
	case 1, 5, 6: // administratively prohibited; source address failed ingress/egress policy; reject route
		return results.ReasonAdminProhibited
	}
	return results.ReasonICMPUnreach
}

// classifyLookup is the verdict on a target whose name did not resolve.
func classifyLookup(err error) verdict {
	return verdict{state: results.Error, reason: results.ReasonResolveFailed, final: true, err: err}
}

// classifyResolver is the verdict on a DC locator question this machine's
// resolver was asked (net.Resolver). Go's resolver says "not found"
// (DNSError.IsNotFound) for a name that does not exist and for one without
// records of the type, on Unix and on Windows alike, where it asks DnsQuery
// and maps DNS_ERROR_RCODE_NAME_ERROR and DNS_INFO_NO_RECORDS so: both are an
// answer, that the record is missing. A timeout is silence; any other error
// (SERVFAIL, no DNS server configured, DnsQuery's own timeout, which Go on
// Windows does not mark as one) leaves the question unanswered.
func classifyResolver(err error) verdict {
	var dnsErr *net.DNSError
	switch {
	case err == nil, errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return verdict{state: results.Open, reason: results.ReasonResolverAnswer, final: true}
	case errors.As(err, &dnsErr) && dnsErr.IsTimeout:
		return verdict{state: results.OpenFiltered, reason: results.ReasonNoResponse, final: true}
	}
	return verdict{state: results.Error, reason: results.ReasonResolveFailed, final: true, err: err}
}

// errOtherFamily is the route check's failure when the source address and the
// target are of different address families: nothing is asked of the kernel.
var errOtherFamily = errors.New("another address family")

// classifyRoute names a failed route check (see preflight) to addr from src (the
// zero value: from whichever address the system chooses): no route (the network
// or host is unreachable from here, or the address family is missing), this
// machine's own firewall, or a local error. The verdict is about the whole host,
// and its err says what failed.
func classifyRoute(addr, src netip.Addr, err error) verdict {
	from := "this machine"
	if src.IsValid() {
		from = src.String()
	}
	v := verdict{state: results.Error, final: true}
	switch {
	case errors.Is(err, errOtherFamily):
		v.reason, v.err = results.ReasonNoRoute, fmt.Errorf("the source address %s cannot reach %s: %w", src, addr, err)
	case isErrno(err, syscall.ENETUNREACH), isErrno(err, syscall.EHOSTUNREACH):
		v.reason, v.err = results.ReasonNoRoute, fmt.Errorf("no route to %s from %s: %w", addr, from, err)
	case isErrno(err, syscall.EAFNOSUPPORT), isErrno(err, syscall.EADDRNOTAVAIL) && addr.Is6() && !src.IsValid():
		v.reason, v.err = results.ReasonNoRoute, fmt.Errorf("no route to %s: this machine has no IPv6 (%w)", addr, err)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		v.reason, v.err = results.ReasonLocalFirewall, fmt.Errorf("%s: this machine refused to route to it: %w", addr, err)
	default:
		v.reason, v.err = results.ReasonLocalError, fmt.Errorf("route check for %s from %s failed on this machine: %w", addr, from, err)
	}
	return v
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
