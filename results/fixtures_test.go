package results_test

import (
	. "github.com/portreach/portreach/results"
	"github.com/portreach/portreach/results/resultstest"
)

// These tests are outside package results, with its names imported, because
// resultstest (the fixtures, shared with report's tests) imports results.

var testDriftRules = resultstest.DriftRules

func fixtureResults() []Result { return resultstest.Results() }

func fixtureReport() *Report { return resultstest.Report() }
