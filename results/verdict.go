package results

// Verdict is the outcome of a host's or a run's checks, as the exit code and the
// table's PASS/FAIL report it.
type Verdict string

// The verdicts.
const (
	VerdictNone Verdict = "none" // nothing was expected: an ad-hoc scan, or only optional entries
	VerdictPass Verdict = "pass" // every expectation held
	VerdictFail Verdict = "fail" // at least one expectation did not hold (or could not be verified)
)

// Checked reports whether r carries an expectation that can fail the run: a
// profile entry (or --expect) that requires the port open or closed. Optional
// entries are reported but never checked.
func Checked(r *Result) bool {
	return r.Check != nil && (r.Check.Expect == ExpectOpen || r.Check.Expect == ExpectClosed)
}

// Fails reports whether r fails its expectation. It is stricter than Result.Met
// about what was never measured:
//
//   - Unknown (the run was interrupted or hit --max-time before the port finished)
//     and Error (the target did not resolve) fail any expectation, including
//     "must be closed": nothing proves the port closed;
//   - NotTested (IP protocols such as GRE that a socket scan cannot test) and
//     Skipped (the user chose not to test that destination) never fail: they are
//     reported with their state so that nobody mistakes them for a pass, but the
//     scanner cannot do better and a run must be able to pass without them;
//   - open|filtered from a probe whose protocol never answers the scanner
//     (reason ReasonNoReplyExpected: NetBIOS datagrams, SNMP traps, RADIUS from
//     an unknown client) cannot fail "must be open" either: silence is what a
//     listening service gives, and ICMP would have shown a closed port;
//   - otherwise the result fails when Met is false.
func Fails(r *Result) bool {
	if !Checked(r) {
		return false
	}
	switch r.State {
	case Unknown, Error:
		return true
	}
	if Unverifiable(r) {
		return false
	}
	return !r.Met()
}

// Unverifiable reports whether r is a check the scanner could not verify either
// way: not tested (IP protocols, negotiated ports), skipped (unmapped roles), or
// silent by the nature of its protocol. Such checks never fail a run; tables
// and summaries count them apart so that nobody mistakes them for a pass.
func Unverifiable(r *Result) bool {
	switch r.State {
	case NotTested, Skipped:
		return true
	case OpenFiltered:
		return r.Reason == ReasonNoReplyExpected
	}
	return false
}

// Failed returns the results that fail their expectation (see Fails), in their
// original order. The CLI exits 1 when it is not empty.
func Failed(rs []Result) []Result {
	var out []Result
	for i := range rs {
		if Fails(&rs[i]) {
			out = append(out, rs[i])
		}
	}
	return out
}

// Overall is the verdict of a whole set of results: fail if any result fails,
// pass if at least one check was verified, none otherwise (nothing expected, or
// only checks that could not be tested).
func Overall(rs []Result) Verdict {
	v := VerdictNone
	for i := range rs {
		if !Checked(&rs[i]) {
			continue
		}
		if Fails(&rs[i]) {
			return VerdictFail
		}
		if !Unverifiable(&rs[i]) {
			v = VerdictPass // a pass needs at least one check verified
		}
	}
	return v
}
