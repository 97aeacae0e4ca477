package report

import (
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/results/resultstest"
)

// The fixtures are resultstest's, shared with the tests of results.
var testDriftRules = resultstest.DriftRules

func fixtureResults() []results.Result { return resultstest.Results() }

func fixtureReport() *results.Report { return resultstest.Report() }
