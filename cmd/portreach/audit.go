package main

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// failOn conditions: what makes a run exit 1 (see docs/audits.md).
const (
	failExpect      = "expect"       // an expectation fails: a required port not open, a must-be-closed port open (default)
	failRegression  = "regression"   // an expectation fails that held in the baseline (or is new)
	failStateChange = "state-change" // a port changed state, appeared, disappeared or moved; a host appeared or disappeared
	failAnyChange   = "any-change"   // any difference from the baseline, probe details and expectations included
	failNone        = "none"         // never: report only
)

var failOnChoices = []string{failExpect, failRegression, failStateChange, failAnyChange, failNone}

// parseFailOn reads --fail-on: a comma-separated list of conditions, any of
// which fails the run; "none" stands alone.
func parseFailOn(s string, haveBaseline bool) ([]string, error) {
	var out []string
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if !slices.Contains(failOnChoices, v) {
			return nil, bad("--fail-on %q: want one or more of %s, comma-separated", v, strings.Join(failOnChoices, ", "))
		}
		if v != failExpect && v != failNone && !haveBaseline {
			return nil, bad("--fail-on %s compares with a baseline: give --baseline FILE", v)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, bad("--fail-on: empty (want one or more of %s)", strings.Join(failOnChoices, ", "))
	}
	if slices.Contains(out, failNone) && len(out) > 1 {
		return nil, bad("--fail-on none cannot be combined with other conditions")
	}
	return out, nil
}

// runFails reports whether the run fails by the --fail-on conditions, and why
// (for the message under --quiet and in the exit status documentation).
func runFails(conds []string, failed []results.Result, d *results.Drift) (bool, string) {
	var changes []results.Change
	if d != nil {
		changes = d.Changes
	}
	for _, c := range conds {
		switch c {
		case failExpect:
			if len(failed) > 0 {
				return true, fmt.Sprintf("%d %s failed", len(failed), plural(len(failed), "expectation", "expectations"))
			}
		case failRegression:
			if n := len(d.Regressions()); n > 0 {
				return true, fmt.Sprintf("%d %s since the baseline", n, plural(n, "regression", "regressions"))
			}
		case failStateChange:
			n := 0
			for _, ch := range changes {
				if ch.Kind.StateChange() {
					n++
				}
			}
			if n > 0 {
				return true, fmt.Sprintf("%d state %s since the baseline", n, plural(n, "change", "changes"))
			}
		case failAnyChange:
			if n := len(changes); n > 0 {
				return true, fmt.Sprintf("%d %s since the baseline", n, plural(n, "change", "changes"))
			}
		}
	}
	return false, ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// loadBaseline reads --baseline. A missing file is no error when
// --update-baseline will create it (the first run of a cron job): it returns
// nil, and the run is not compared.
func (c *scanCmd) loadBaseline() (*results.Report, error) {
	f, err := openInput(c.ctx, "--baseline", c.baseline, nil, limitBaseline)
	if errors.Is(err, fs.ErrNotExist) && c.updateBaseline {
		fmt.Fprintf(c.stderr, "portreach scan: --baseline %s does not exist yet: this run is not compared, and becomes the baseline\n", c.baseline)
		return nil, nil
	}
	if err != nil {
		return nil, usageError{err}
	}
	defer f.Close()
	rep, err := report.ReadJSON(f)
	var ie *inputError
	if errors.As(err, &ie) {
		return nil, usageError{ie}
	}
	if err != nil {
		return nil, bad("--baseline %s: %v", c.baseline, err)
	}
	return rep, nil
}

// writeBaseline replaces the baseline file with this run's JSON report,
// atomically, so that a run that dies half-way leaves the old one.
func writeBaseline(f *outFile, path string, rep *results.Report) error {
	if err := report.WriteJSON(f, rep); err != nil {
		f.Abort()
		return fmt.Errorf("--update-baseline %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("--update-baseline %s: %w", path, err)
	}
	return nil
}
