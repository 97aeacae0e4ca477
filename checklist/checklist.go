// Package checklist turns role profiles into scan plans: the ports to check on
// the scanned targets themselves, one target per host a destination role is
// mapped to (with that role's ports), and a skipped result, naming the flag that
// would map it, for every entry of a role nobody mapped. The CLI and the
// exporter both build their plans here, so a scrape checks exactly what
// "portreach scan --profile" checks.
package checklist

import (
	"fmt"
	"time"

	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

// Plan is what Build makes of some profiles and role mappings.
type Plan struct {
	Own     []scan.Port      // ports checked on the targets the user names
	Roles   []scan.Target    // one target per mapped destination host, with its ports
	Skipped []results.Result // entries of unmapped roles, reported skipped
}

// Build merges the profiles (profiles.Catalog.Merge: includes resolved, entries
// de-duplicated, strictest expectation kept) and splits the entries by where
// they are checked. roles maps destination role keys to hosts.
func Build(cat *profiles.Catalog, roles map[string]string, ps ...*profiles.Profile) (*Plan, error) {
	entries, unmapped, err := cat.Merge(roles, ps...)
	if err != nil {
		return nil, err
	}
	pl := &Plan{}
	byHost := map[string][]scan.Port{}
	var hosts []string
	for _, e := range entries {
		p := Port(e)
		if e.Host == "" {
			pl.Own = append(pl.Own, p)
			continue
		}
		if _, seen := byHost[e.Host]; !seen {
			hosts = append(hosts, e.Host)
		}
		byHost[e.Host] = append(byHost[e.Host], p)
	}
	for _, h := range hosts {
		var ts scan.Targets
		if err := ts.Add(h); err != nil {
			return nil, fmt.Errorf("role host: %w", err)
		}
		for t := range ts.All() {
			t.Ports = byHost[h]
			pl.Roles = append(pl.Roles, t)
		}
	}
	now := time.Now().UTC()
	for _, u := range unmapped {
		e := u.Entry
		pl.Skipped = append(pl.Skipped, results.Result{
			Target: "role " + e.Role,
			Proto:  e.Proto,
			Port:   e.Port.Lo,
			State:  results.Skipped,
			Reason: results.ReasonRoleUnmapped,
			Detail: "destination role " + e.Role + " is not mapped: add " + u.Flag,
			Check:  e.Check(),
			Time:   now,
		})
	}
	return pl, nil
}

// Port maps a merged profile entry to the scanner's plan entry.
func Port(e profiles.Entry) scan.Port {
	p := scan.Port{Proto: e.Proto, Lo: e.Port.Lo, Hi: e.Port.Hi, Probe: e.Probe, Check: e.Check()}
	switch {
	case e.Kind == profiles.DynamicRPC:
		// The endpoint mapper is asked on 135; the entry's range, if any, is what
		// the documents say RPC was restricted to, and registered ports outside
		// it are pointed out.
		p.Kind = scan.KindDynamicRPC
	case !e.Testable():
		p.Why = e.Why()
	}
	return p
}
