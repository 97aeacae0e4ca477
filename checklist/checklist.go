// Package checklist turns role profiles into scan plans: the ports to check on
// the scanned targets themselves, one target per host a destination role is
// mapped to (with that role's ports), and a skipped result, naming the flag that
// would map it, for every entry of a role nobody mapped. The CLI and the
// exporter both build their plans here, so a scrape checks exactly what
// "portreach scan --profile" checks.
package checklist

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

// Plan is what Build makes of some profiles and role mappings.
type Plan struct {
	Own     []scan.Port      // ports checked on the targets the user names
	Roles   scan.Targets     // the mapped destination hosts, each with its role's ports; expanded as iterated
	Skipped []results.Result // entries of unmapped roles, reported skipped
}

// Build merges the profiles (profiles.Catalog.Merge: includes resolved, entries
// de-duplicated, strictest expectation kept) and splits the entries by where
// they are checked. roles maps destination role keys to hosts: "sql01", or
// "sql01\BTS" when the role is a SQL Server named instance (see
// requireInstances).
func Build(cat *profiles.Catalog, roles map[string]string, ps ...*profiles.Profile) (*Plan, error) {
	hostOf := make(map[string]string, len(roles))
	instanceOf := map[string]string{}
	for k, v := range roles {
		host, inst, err := splitInstance(v)
		if err != nil {
			return nil, fmt.Errorf("role %s=%s: %v", k, v, err)
		}
		hostOf[k] = host
		if inst != "" {
			instanceOf[k] = inst
		}
	}
	entries, unmapped, err := cat.Merge(hostOf, ps...)
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
	requireInstances(byHost, entries, instanceOf)
	for _, h := range hosts {
		if err := pl.Roles.AddPorts(byHost[h], h); err != nil {
			return nil, fmt.Errorf("role host: %w", err)
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
		for _, name := range e.Interfaces {
			set, err := profiles.LookupInterfaceSet(name)
			if err != nil {
				continue // refused when the profile was loaded
			}
			p.Interfaces = append(p.Interfaces, set)
		}
	case !e.Testable():
		p.Why = e.Why()
	}
	return p
}

// sqlPort is SQL Server's default instance port, the one profiles name.
const sqlPort = 1433

// requireInstances applies "ROLE=HOST\INSTANCE" mappings. A named instance
// listens where the SQL Browser (1434/udp) says, not on 1433, so the role's
// 1433/tcp entries become requirements on the host's Browser port: it must list
// the instance, and the instance's TCP port is checked with the 1433 entry's
// check. The Browser port is added to the host's ports (must be open: clients
// find a named instance through it) unless a profile already checks it. A role
// with an instance but no 1433 entry requires the instance with a check of its
// own.
func requireInstances(byHost map[string][]scan.Port, entries []profiles.Entry, instanceOf map[string]string) {
	if len(instanceOf) == 0 {
		return
	}
	wants := map[string][]scan.Instance{} // host → required instances
	browserChecks := map[string]*results.Check{}
	firstOfRole := map[string]profiles.Entry{}
	var order, roleKeys []string
	for _, e := range entries {
		inst, ok := instanceOf[e.Role]
		if !ok || e.Host == "" {
			continue
		}
		if _, seen := firstOfRole[e.Role]; !seen {
			firstOfRole[e.Role] = e
			roleKeys = append(roleKeys, e.Role)
		}
		if _, seen := browserChecks[e.Host]; !seen {
			order = append(order, e.Host)
			browserChecks[e.Host] = &results.Check{
				Profiles: e.Profiles, Service: "SQL Server Browser", Expect: results.ExpectOpen, Role: e.Role,
				Purpose: "clients find named instance " + inst + " through it",
			}
		}
		if e.Proto == results.TCP && e.Port.Lo == sqlPort && e.Kind != profiles.DynamicRPC {
			c := e.Check()
			c.Purpose = strings.TrimSpace(c.Purpose + " (named instance " + inst + ": its own port, from the SQL Browser)")
			wants[e.Host] = append(wants[e.Host], scan.Instance{Name: inst, Check: c})
			byHost[e.Host] = slices.DeleteFunc(byHost[e.Host], func(p scan.Port) bool {
				return p.Proto == results.TCP && p.Lo == sqlPort && p.Kind == scan.KindPort && p.Check != nil && p.Check.Role == e.Role
			})
		}
	}
	for _, k := range roleKeys {
		e := firstOfRole[k]
		if slices.ContainsFunc(wants[e.Host], func(i scan.Instance) bool { return i.Check.Role == k }) {
			continue
		}
		inst := instanceOf[k]
		wants[e.Host] = append(wants[e.Host], scan.Instance{Name: inst, Check: &results.Check{
			Profiles: e.Profiles, Service: "SQL Server instance " + inst, Expect: results.ExpectOpen, Role: k,
			Purpose: "the role's named instance must be listed by the SQL Browser and reachable",
		}})
	}
	for _, h := range order {
		ports := byHost[h]
		i := slices.IndexFunc(ports, func(p scan.Port) bool {
			return p.Proto == results.UDP && p.Lo == sqlBrowserPort && p.Kind == scan.KindPort && p.Why == ""
		})
		if i < 0 {
			ports = append(ports, scan.Port{Proto: results.UDP, Lo: sqlBrowserPort, Probe: "sqlbrowser", Check: browserChecks[h]})
			i = len(ports) - 1
		}
		ports[i].Instances = append(ports[i].Instances, wants[h]...)
		byHost[h] = ports
	}
}

// sqlBrowserPort is the SQL Server Browser's port ([MC-SQLR] §2.1).
const sqlBrowserPort = 1434
