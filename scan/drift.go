package scan

import (
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// DriftRules lists the probe details that drift compares with a baseline, as
// each UDP probe and TCP service declares them (probes.Probe.Drift,
// probes.Service.Drift), for results.Diff.
func DriftRules() []results.DetailRule {
	var rules []results.DetailRule
	for _, p := range probes.All() {
		for _, f := range p.Drift {
			rules = append(rules, results.DetailRule{Probe: p.Name, Path: f.Path, Meaning: f.Meaning})
		}
	}
	for _, s := range probes.Services() {
		for _, f := range s.Drift {
			rules = append(rules, results.DetailRule{Probe: s.Name, Path: f.Path, Meaning: f.Meaning})
		}
	}
	// The DC locator's questions: a DC added to or gone from a record.
	rules = append(rules, results.DetailRule{Probe: ProbeSRV, Path: "srv[].target",
		Meaning: "the DCs the DC locator's DNS record names changed: a DC added, removed or renamed, or its registration lost"})
	return rules
}
