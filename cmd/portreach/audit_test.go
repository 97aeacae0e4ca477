package main

import (
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

func TestParseFailOn(t *testing.T) {
	for _, tc := range []struct {
		in       string
		baseline bool
		want     string
		err      string
	}{
		{"expect", false, "expect", ""},
		{" regression , any-change,regression", true, "regression,any-change", ""},
		{"none", true, "none", ""},
		{"state-change", false, "", "--fail-on state-change compares with a baseline"},
		{"none,expect", true, "", "cannot be combined"},
		{",", true, "", "--fail-on: empty"},
		{"Expect", true, "", `--fail-on "Expect": want one or more of`},
	} {
		got, err := parseFailOn(tc.in, tc.baseline)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || strings.Join(got, ",") != tc.want):
			t.Errorf("%q: %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestRunFails(t *testing.T) {
	failed := []results.Result{{Port: 1}}
	d := &results.Drift{Changes: []results.Change{
		{Kind: results.DriftDetail},
	}}
	moved := &results.Drift{Changes: []results.Change{{Kind: results.DriftPortMoved}}}
	worse := &results.Drift{Changes: []results.Change{{Kind: results.DriftState, Regression: true}}}
	for _, tc := range []struct {
		conds  string
		failed []results.Result
		drift  *results.Drift
		want   string // "" for pass
	}{
		{"expect", failed, nil, "1 expectation failed"},
		{"expect", nil, d, ""},
		{"regression", failed, d, ""},
		{"regression", failed, worse, "1 regression since the baseline"},
		{"state-change", nil, d, ""},
		{"state-change", nil, moved, "1 state change since the baseline"},
		{"any-change", nil, d, "1 change since the baseline"},
		{"any-change", nil, &results.Drift{Changes: []results.Change{}}, ""},
		{"none", failed, worse, ""},
		{"regression", failed, nil, ""}, // the first run of a cron job: no baseline yet
	} {
		fails, why := runFails(strings.Split(tc.conds, ","), tc.failed, tc.drift)
		if fails != (tc.want != "") || why != tc.want {
			t.Errorf("%s: %v %q, want %q", tc.conds, fails, why, tc.want)
		}
	}
}
