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
// profile entry (or --expect) that requires the port open, closed, reachable or
// blocked.
// Optional entries are reported but never checked.
func Checked(r *Result) bool {
	if r.Check == nil {
		return false
	}
	switch r.Check.Expect {
	case ExpectOpen, ExpectClosed, ExpectReachable, ExpectBlocked:
		return true
	}
	return false
}

// Fails reports whether r fails its expectation: Judge(r) is StatusFailed.
func Fails(r *Result) bool { return Judge(r).Status == StatusFailed }

// Unverifiable reports whether r is a check the scanner could not verify either
// way: untested (IP protocols, negotiated ports, unmapped roles, protocols that
// are silent by nature) or undetermined (checked for reachability: UDP silence,
// a service whose port nothing reveals yet).
// Such checks never fail a run; tables and summaries count them apart so that
// nobody mistakes them for a pass.
func Unverifiable(r *Result) bool {
	switch Judge(r).Status {
	case StatusUntested, StatusUndetermined:
		return true
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
// pass if at least one check was met, none otherwise (nothing expected, or
// only checks that could not be tested or decided).
func Overall(rs []Result) Verdict {
	v := VerdictNone
	for i := range rs {
		switch Judge(&rs[i]).Status {
		case StatusFailed:
			return VerdictFail
		case StatusMet:
			v = VerdictPass // a pass needs at least one check met
		}
	}
	return v
}
