package results

// Status is what became of one check: the answer to "did this port do what its
// profile entry (or --expect) asked?", written in every format so that a
// consumer never re-derives it from expect and state.
type Status string

// The statuses. A result that carries no check that can fail (an ad-hoc port, an
// optional entry) has StatusNone.
const (
	StatusNone Status = ""
	// StatusMet: the port did what was asked.
	StatusMet Status = "met"
	// StatusFailed: it did not, or it was never measured (interrupted, the target
	// did not resolve), or a producer found the service itself missing (an RPC
	// interface not registered, a SQL instance the Browser does not list).
	StatusFailed Status = "failed"
	// StatusUntested: the scanner could not test it (IP protocols, ports
	// negotiated per session, unmapped roles, a protocol that never answers).
	StatusUntested Status = "untested"
	// StatusUndetermined: tested, but the answer cannot decide the question:
	// a silent UDP port checked for reachability cannot tell a firewall that drops
	// from a service that is not installed yet, nor can an RPC interface or SQL
	// instance that is not there yet, whose port nothing reveals.
	StatusUndetermined Status = "undetermined"
)

// Statuses lists the statuses a check can have, in the order summaries count them.
var Statuses = []Status{StatusMet, StatusFailed, StatusUntested, StatusUndetermined}

// rank orders statuses by how little they prove: a producer's outcome may only
// make a computed one stricter (see Judge).
func (s Status) rank() int {
	switch s {
	case StatusMet:
		return 1
	case StatusUndetermined:
		return 2
	case StatusUntested:
		return 3
	case StatusFailed:
		return 4
	}
	return 0
}

// Outcome is what became of a result's check, and why.
type Outcome struct {
	Status Status `json:"status"`
	// Why is the reason for the status: the port's own reason (no-response for a
	// dropped port, conn-refused for a stopped service, syn-ack for a port that
	// must be closed but is open), or the reason a producer gave when it set the
	// outcome itself.
	Why Reason `json:"why,omitempty"`
}

// Fail marks r's check failed for a reason its port state cannot show: the port
// answers, but the service the check asks for is not behind it (an RPC interface
// the endpoint mapper does not list, a SQL instance the Browser does not know).
// The failure stands whatever the state; it has effect only when r carries a
// check that can fail (see Checked).
func (r *Result) Fail(why Reason) {
	r.Outcome = &Outcome{Status: StatusFailed, Why: why}
}

// Judge returns the outcome of r's check. It is StatusNone without a check that
// can fail; otherwise it is computed from the expectation, the state and the
// reason:
//
//   - unknown (interrupted, --max-time) and error (the target did not resolve)
//     fail any expectation, "must be closed" included: nothing proves the port
//     closed;
//   - not-tested, skipped, and open|filtered from a protocol that never answers
//     the scanner (ReasonNoReplyExpected) are untested: they never fail a run,
//     and are counted apart so nobody mistakes them for a pass;
//   - "open": met when open; "closed": met unless open; "reachable": met when
//     open or closed (the packet got through), failed when filtered,
//     undetermined for UDP silence (open|filtered); "blocked" the other way
//     round: met when filtered, failed when open or closed, with
//     ReasonPassedFirewall, undetermined for UDP silence.
//
// An outcome a producer set on r (Result.Fail, or one read back from a report)
// replaces the computed one only when it is stricter (failed over untested over
// undetermined over met): a check can never pass because something else said so.
//
// Except under the firewall expectations, "reachable" and "blocked", which ask
// about the path and not the service (the firewall, validated before the
// application is installed, or from where the role must be out of reach): a
// port that answered is judged by its state alone, whatever its service said
// (wrong-service, a bind refused), and a row without a port, standing for one
// nothing revealed (an RPC interface not registered, an endpoint mapper that
// could not be read, a SQL instance the Browser does not list), is
// undetermined with the producer's reason, unless its state fails it anyway
// (under reachable, the endpoint mapper's port filtered).
func Judge(r *Result) Outcome {
	if !Checked(r) {
		return Outcome{}
	}
	o := judgeState(r)
	p := r.Outcome
	switch {
	case p == nil:
	case r.Check.Expect.Firewall() && o.Status != StatusFailed:
		if r.Unrevealed() {
			o = Outcome{StatusUndetermined, p.Why}
		}
	case p.Status.rank() > o.Status.rank():
		o = *p
	}
	return o
}

// JudgeState is the outcome r's state alone gives its check: Judge without a
// producer's outcome (Result.Fail), so that a table can tell a port that
// failed its expectation from a service that failed its check. It is
// StatusNone without a check that can fail.
func JudgeState(r *Result) Outcome {
	if !Checked(r) {
		return Outcome{}
	}
	return judgeState(r)
}

func judgeState(r *Result) Outcome {
	why := Reason(r.Reason)
	switch r.State {
	case Unknown, Error:
		return Outcome{StatusFailed, why}
	case NotTested, Skipped:
		return Outcome{StatusUntested, why}
	case OpenFiltered:
		if why == ReasonNoReplyExpected {
			return Outcome{StatusUntested, why}
		}
	}
	met := false
	switch r.Check.Expect {
	case ExpectOpen:
		met = r.State == Open
	case ExpectClosed:
		met = r.State != Open
	case ExpectReachable, ExpectBlocked:
		passed, decided := throughFirewall(r.State)
		if !decided {
			return Outcome{StatusUndetermined, why}
		}
		met = passed == (r.Check.Expect == ExpectReachable)
		if passed && !met {
			why = ReasonPassedFirewall
		}
	}
	if met {
		return Outcome{StatusMet, why}
	}
	return Outcome{StatusFailed, why}
}

// ResetDetail is the detail of a TCP port that must be blocked and answered
// with a reset: the reset proves the packet reached something that answers for
// the host, but not what: the host itself with nothing listening (no firewall
// in the way), or a firewall that rejects with a TCP reset instead of dropping,
// which looks exactly the same from here.
const ResetDetail = "a reset: no firewall or one that rejects with RST"

// NoteCheck adds to r what its check makes worth saying about its state: a
// reset under "blocked" cannot tell a missing rule from a firewall that
// rejects with RST (ResetDetail). It is for the producer of r, once.
func NoteCheck(r *Result) {
	if r.Check != nil && r.Check.Expect == ExpectBlocked && r.Proto == TCP && r.State == Closed && r.Detail == "" {
		r.Detail = ResetDetail
	}
}

// throughFirewall reads a port's state as the firewall expectations
// (reachable, blocked) ask it: whether the packet got through to the host.
// Open, and closed (the host's own RST or ICMP port unreachable came back),
// got through; filtered (silence, or an ICMP unreachable from the path) did
// not. UDP silence (open|filtered) decides nothing: a firewall that drops and a
// service that is not installed yet look the same. A firewall that rejects
// with a TCP reset looks exactly like a closed port, so it counts as passed:
// only a drop or an ICMP rejection shows a firewall.
func throughFirewall(s State) (passed, decided bool) {
	switch s {
	case Open, Closed:
		return true, true
	case Filtered:
		return false, true
	}
	return false, false
}

// Why is the reason to show for r: its check's Why where it has a check (the
// reason a check came out as it did, not-registered or instance-not-listed, says
// more than the port's own), otherwise the port's own reason.
func Why(r *Result) Reason {
	if o := Judge(r); o.Status != StatusNone {
		return o.Why
	}
	return r.Reason
}
