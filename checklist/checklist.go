// Package checklist is portreach's one plan builder: it turns what a user asks
// for (role profiles, destination roles mapped to hosts, ad-hoc ports and an
// expectation, on some targets) into the scan plan, with what was decided
// before scanning: the entries of roles nobody mapped, reported skipped with
// the flag that would map them, and the plan's counts. "portreach scan" (its
// flags and each item of a plan file), "portreach local", the exporter's
// probes and anything that comes next build their plans here, so a scrape
// checks exactly what "portreach scan --profile" checks.
//
// A consumer fills a Request and calls Build. A new per-item setting is a
// field of Item and a line in Build; callers that do not set it are untouched.
package checklist

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

// Request is what to check in one scan: one or more items, and limits on the
// whole.
type Request struct {
	// Catalog holds the items' profiles (their includes are resolved in it).
	// It may be nil when no item names profiles or roles.
	Catalog *profiles.Catalog
	// Items are checked together, in one scan. The first item's targets are
	// scanned on the plan's own ports (scan.Plan.Ports); every other item's
	// targets, and every role host, carry their own (scan.Target.Ports).
	Items []Item
	// MaxHosts caps the hosts of the plan: targets after exclusions, and role
	// hosts. Targets are counted as they are added, so a huge block or list is
	// refused after MaxHosts hosts' worth of work. Zero means no limit.
	MaxHosts int
	// MaxPorts caps the ports the scan tests: it becomes the scan plan's
	// MaxPorts (scan.Plan.MaxPorts: the planned ports and those replies add
	// as the scan goes share it), and a request whose planned ports
	// (Plan.Ports) pass it is refused here, before any target is resolved,
	// with the scanner's *scan.TooManyPortsError. Zero means no limit.
	MaxPorts int
}

// Item is one check: profiles and ad-hoc ports on targets. It is what the
// command line's flags ask for, or one item of a plan file, or one probe of
// the exporter.
type Item struct {
	// Profiles name the ports to check, each with its expectation and source.
	Profiles []*profiles.Profile
	// Roles map the profiles' destination roles to hosts. The entries of a
	// role nobody mapped are reported skipped (Plan.Skipped); a mapped role no
	// profile uses is an error.
	Roles Roles
	// Ports are ad-hoc ports, checked on Targets with Expect.
	Ports []results.ProtoRange
	// Expect is what Ports must be; ExpectNone checks nothing. A firewall
	// expectation (results.Expectation.Firewall) also turns every must-be-open
	// entry of the profiles into itself: ExpectReachable (open or closed:
	// firewall-only validation before the application is installed),
	// ExpectBlocked (filtered: the role's ports out of reach from here). Any
	// other expectation needs Ports (ErrExpectNeedsPorts): profiles set their
	// own.
	Expect results.Expectation
	// ExpectFrom says where Expect was given ("--expect open",
	// "expect=open"): the purpose of Ports' check.
	ExpectFrom string
	// Targets are the hosts whose own ports (the profiles' entries without a
	// role, and Ports) are checked: addresses, names, CIDR blocks or octet
	// ranges (scan.Targets). When the item has no such ports they are only
	// checked for syntax.
	Targets []string
	// ReadTargets, when set, reads more targets and adds them as it reads
	// (-iL FILE): each is counted against MaxHosts as it is added.
	ReadTargets func(add func(specs ...string) error) error
	// Exclude leaves addresses, blocks or ranges out of Targets. Role hosts
	// are never excluded: each was named on purpose.
	Exclude []string
	// Trace traces where the item's filtered ports' packets stop
	// (scan.Port.Trace), whether or not the scan traces every port.
	Trace bool
	// AllAddresses checks a host name (a target's or a role host's) on every
	// address it resolves to, each address its own host with its own results
	// (--addresses all); false checks the first (scan.Target.AllAddresses).
	AllAddresses bool
	// Domain, when set, asks the scan to find the DCs of an Active Directory
	// domain the way the Windows DC locator does (scan.Domain: its Name, Site
	// and DNSServer) and to check the item's own ports on each one found;
	// Targets may then be empty. Its Ports are set by Build.
	Domain *scan.Domain
	// Pos says where the item was given ("go-live.json:3"). Errors about an
	// item with a Pos are *ItemError.
	Pos string
}

// Plan is what Build makes of a Request.
type Plan struct {
	// Scan is the plan the scanner runs.
	Scan scan.Plan
	// Skipped are the entries of destination roles nobody mapped, as skipped
	// results naming the flag that would map them.
	Skipped []results.Result
	// Hosts is how many hosts Scan scans: targets after exclusions, and role
	// hosts. The DCs a Domain finds are not known before the scan: they are
	// not counted, nor are their ports.
	Hosts int
	// Ports is how many results Scan yields before what replies reveal
	// (registered RPC endpoints, SQL instances, follow-ups): scan.PortCount of
	// each host's ports, summed.
	Ports int
}

// Errors of Build that consumers word in their own terms (flags, query
// parameters, plan items).
var (
	// ErrExpectNeedsPorts: an item expects something other than reachable or
	// blocked and has no ad-hoc ports to expect it of.
	ErrExpectNeedsPorts = errors.New("an expectation other than reachable or blocked applies to ad-hoc ports; profiles set their own")
	// ErrNoTargets: an item's own ports are checked on its targets, and it
	// names none.
	ErrNoTargets = errors.New("the item checks its targets' own ports, but lists no targets")
	// ErrAllExcluded: every target of an item is excluded.
	ErrAllExcluded = errors.New("every target is excluded: nothing to scan")
)

// NothingToTestError is Build's error for a request that tests nothing: no
// ports at all, or every entry on a destination role nobody mapped.
type NothingToTestError struct {
	Unmapped []string // the unmapped roles, in profile order; empty when no ports were given
}

func (e *NothingToTestError) Error() string {
	if len(e.Unmapped) == 0 {
		return "nothing to test: no ports and no profiles"
	}
	return fmt.Sprintf("nothing to test: every port is on a destination role nobody mapped (%s)", strings.Join(e.Unmapped, ", "))
}

// ItemError is an error in an item that has a Pos.
type ItemError struct {
	Pos string // Item.Pos
	Err error
}

func (e *ItemError) Error() string { return e.Pos + ": " + e.Err.Error() }

func (e *ItemError) Unwrap() error { return e.Err }

// wrap makes err an *ItemError when the item has a position.
func (it *Item) wrap(err error) error {
	if err == nil || it.Pos == "" {
		return err
	}
	return &ItemError{Pos: it.Pos, Err: err}
}

// Build turns a request into a plan. Every item's profiles are merged
// (profiles.Catalog.Merge: includes resolved, entries de-duplicated, the
// strictest expectation kept) and split by where they are checked: the
// item's targets, or the hosts its roles are mapped to. Then the targets are
// read, the first item's first (exclusions applied, counted against MaxHosts
// as they are added), then every other target and role host. ctx ends the
// reading of ReadTargets between two additions.
func Build(ctx context.Context, req Request) (*Plan, error) {
	pl := &Plan{}
	checks := make([]itemPorts, len(req.Items))
	some := false
	for i := range req.Items {
		it := &req.Items[i]
		c, err := it.ports(req.Catalog)
		if err != nil {
			return nil, it.wrap(err)
		}
		checks[i] = c
		pl.Skipped = append(pl.Skipped, c.skipped...)
		if d := it.Domain; d != nil {
			if err := d.Validate(); err != nil {
				return nil, it.wrap(err)
			}
			dom := *d
			dom.Ports = c.own
			pl.Scan.Domains = append(pl.Scan.Domains, dom)
		}
		some = some || len(c.own) > 0 || len(c.roles) > 0
	}
	if !some {
		e := &NothingToTestError{}
		for _, r := range pl.Skipped {
			if r.Check != nil && !slices.Contains(e.Unmapped, r.Check.Role) {
				e.Unmapped = append(e.Unmapped, r.Check.Role)
			}
		}
		return nil, e
	}

	// The first item's targets get the whole host limit, as they are read; the
	// rest (other items' targets, role hosts) what remains.
	var first, rest scan.Targets
	for i := range req.Items {
		it, c := &req.Items[i], &checks[i]
		if i == 0 {
			pl.Scan.Ports = c.own
			if err := it.addTargets(ctx, &first, nil, c.own, req.MaxHosts); err != nil {
				return nil, err
			}
		} else {
			var ts scan.Targets
			if err := it.addTargets(ctx, &ts, c.own, c.own, 0); err != nil {
				return nil, err
			}
			if len(c.own) > 0 {
				_ = rest.AddTargets(&ts) // no limit yet
			}
		}
		rest.SetAllAddresses(it.AllAddresses)
		for _, r := range c.roles {
			if err := rest.AddPorts(r.ports, r.host); err != nil {
				return nil, it.wrap(fmt.Errorf("role host: %w", err))
			}
		}
	}
	if len(pl.Scan.Ports) > 0 {
		pl.Hosts = first.Count(countLimit(req.MaxHosts))
		pl.Ports = pl.Hosts * scan.PortCount(pl.Scan.Ports)
	}
	if err := setLimit(&rest, req.MaxHosts, pl.Hosts); err != nil {
		return nil, err
	}
	for t := range rest.All() {
		ports := t.Ports
		if ports == nil {
			ports = pl.Scan.Ports
		}
		pl.Hosts++
		pl.Ports += scan.PortCount(ports)
	}
	if req.MaxPorts > 0 && pl.Ports > req.MaxPorts {
		return nil, &scan.TooManyPortsError{Ports: pl.Ports, Max: req.MaxPorts}
	}
	pl.Scan.MaxPorts = req.MaxPorts
	pl.Scan.Targets = scan.Chain(first.All(), rest.All())
	return pl, nil
}

// countLimit is the limit for scan.Targets.Count of a MaxHosts.
func countLimit(maxHosts int) int {
	if maxHosts <= 0 {
		return math.MaxInt
	}
	return maxHosts
}

// setLimit limits ts, whose targets are all added, to what is left of
// maxHosts once used hosts are planned (scan.Targets.SetLimit counts what is
// there, stopping at the limit).
func setLimit(ts *scan.Targets, maxHosts, used int) error {
	if maxHosts <= 0 {
		return nil
	}
	if err := ts.SetLimit(maxHosts - used); err != nil {
		return fmt.Errorf("%w: more than %d", scan.ErrTooManyHosts, maxHosts)
	}
	return nil
}

// addTargets parses the item's targets into ts, each with ports (nil: the
// plan's), when the item has own ports to check on them; otherwise only
// checks their syntax.
func (it *Item) addTargets(ctx context.Context, ts *scan.Targets, ports, own []scan.Port, maxHosts int) error {
	if len(own) == 0 {
		ts = &scan.Targets{}
	}
	// Exclusions first: targets are counted as they are added.
	if err := ts.Exclude(it.Exclude...); err != nil {
		return it.wrap(fmt.Errorf("exclude: %w", err))
	}
	if len(own) > 0 {
		_ = ts.SetLimit(maxHosts) // nothing added yet
	}
	ts.SetAllAddresses(it.AllAddresses)
	if err := ts.AddPorts(ports, it.Targets...); err != nil {
		return it.wrap(err)
	}
	if it.ReadTargets != nil {
		add := func(specs ...string) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return ts.AddPorts(ports, specs...)
		}
		if err := it.ReadTargets(add); err != nil {
			return it.wrap(err)
		}
	}
	switch {
	case len(own) == 0:
	case ts.Len() == 0 && it.Domain != nil: // the domain's DCs are its targets
	case ts.Len() == 0:
		return it.wrap(ErrNoTargets)
	case ts.Count(0) == 0:
		return it.wrap(ErrAllExcluded)
	}
	return nil
}

// itemPorts is what an item checks, before its targets are read.
type itemPorts struct {
	own     []scan.Port // on the item's targets: the profiles' entries without a role, then Ports
	roles   []roleHost  // on mapped destination role hosts
	skipped []results.Result
}

// roleHost is a destination role's host with the ports checked on it.
type roleHost struct {
	host  string
	ports []scan.Port
}

// ports merges the item's profiles and adds its ad-hoc ports, with the
// item's expectation applied.
func (it *Item) ports(cat *profiles.Catalog) (itemPorts, error) {
	var c itemPorts
	firewall := it.Expect.Firewall()
	if it.Expect != results.ExpectNone && !firewall && len(it.Ports) == 0 {
		return c, ErrExpectNeedsPorts
	}
	if len(it.Profiles) > 0 || len(it.Roles) > 0 {
		if cat == nil {
			return c, errors.New("checklist: profiles or roles without a catalogue")
		}
		var err error
		if c, err = merge(cat, it.Roles, it.Profiles...); err != nil {
			return c, err
		}
	}
	if firewall {
		c.own = firewallPorts(c.own, it.Expect)
		for i := range c.roles {
			c.roles[i].ports = firewallPorts(c.roles[i].ports, it.Expect)
		}
	}
	check := expectCheck(it.Expect, it.ExpectFrom)
	for _, p := range it.Ports {
		c.own = append(c.own, scan.Port{Proto: p.Proto, Lo: p.Lo, Hi: p.Hi, Check: check})
	}
	if it.Trace {
		traced(c.own)
		for _, r := range c.roles {
			traced(r.ports)
		}
	}
	return c, nil
}

// traced marks ports for tracing; they are the item's own copies.
func traced(ports []scan.Port) {
	for i := range ports {
		ports[i].Trace = true
	}
}

// merge merges profiles (profiles.Catalog.Merge) and splits the entries by
// where they are checked: the item's targets (own), or the hosts its roles
// are mapped to; entries of unmapped roles become skipped results.
func merge(cat *profiles.Catalog, roles Roles, ps ...*profiles.Profile) (itemPorts, error) {
	var c itemPorts
	hostOf := make(map[string]string, len(roles))
	for k, r := range roles {
		hostOf[k] = r.Host
	}
	entries, unmapped, err := cat.Merge(hostOf, ps...)
	if err != nil {
		return c, err
	}
	byHost := map[string][]scan.Port{}
	var hosts []string
	for _, e := range entries {
		p := Port(e)
		if e.Host == "" {
			c.own = append(c.own, p)
			continue
		}
		if _, seen := byHost[e.Host]; !seen {
			hosts = append(hosts, e.Host)
		}
		byHost[e.Host] = append(byHost[e.Host], p)
	}
	requireInstances(byHost, entries, roles)
	for _, h := range hosts {
		c.roles = append(c.roles, roleHost{host: h, ports: byHost[h]})
	}
	now := time.Now().UTC()
	for _, u := range unmapped {
		e := u.Entry
		c.skipped = append(c.skipped, results.Result{
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
	return c, nil
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
func requireInstances(byHost map[string][]scan.Port, entries []profiles.Entry, roles Roles) {
	wants := map[string][]scan.Instance{} // host → required instances
	browserChecks := map[string]*results.Check{}
	firstOfRole := map[string]profiles.Entry{}
	var order, roleKeys []string
	for _, e := range entries {
		inst := roles[e.Role].Instance
		if inst == "" || e.Host == "" {
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
		inst := roles[k].Instance
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
