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
	return rules
}
