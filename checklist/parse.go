package checklist

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

// ParseExpect reads the expectation a user gives ad-hoc ports (--expect,
// expect=): open, closed, reachable or blocked. The empty string is no
// expectation.
func ParseExpect(s string) (results.Expectation, error) {
	switch e := results.Expectation(s); e {
	case results.ExpectNone, results.ExpectOpen, results.ExpectClosed, results.ExpectReachable, results.ExpectBlocked:
		return e, nil
	}
	return "", fmt.Errorf("%q: want open, closed, reachable or blocked", s)
}

// ParseAddresses reads which addresses of a host name are checked (--addresses,
// addresses=, a plan's "addresses"): "first" (or "", the default) or "all".
func ParseAddresses(s string) (all bool, err error) {
	switch s {
	case "", "first":
		return false, nil
	case "all":
		return true, nil
	}
	return false, fmt.Errorf("%q: want first or all", s)
}

// expectCheck is the check an item's Expect gives its ad-hoc ports; nil for
// no expectation. from says where it was given ("--expect reachable").
func expectCheck(e results.Expectation, from string) *results.Check {
	if e == results.ExpectNone {
		return nil
	}
	return &results.Check{Expect: e, Purpose: from}
}

// firewallPorts turns every must-be-open check of ports into e, a firewall
// expectation (results.Expectation.Firewall), for firewall-only validation of
// a role's ports: --expect reachable before the application is installed (open
// or closed then passes, filtered fails), --expect blocked from where the role
// must not be reached (filtered passes, open or closed fails). Must-be-closed
// and optional entries keep their meaning. ports is not modified; the checks
// are copied.
func firewallPorts(ports []scan.Port, e results.Expectation) []scan.Port {
	out := make([]scan.Port, len(ports))
	for i, p := range ports {
		p.Check = firewallCheck(p.Check, e)
		for j := range p.Instances {
			if j == 0 {
				p.Instances = append([]scan.Instance(nil), p.Instances...)
			}
			p.Instances[j].Check = firewallCheck(p.Instances[j].Check, e)
		}
		out[i] = p
	}
	return out
}

func firewallCheck(c *results.Check, e results.Expectation) *results.Check {
	if c == nil || c.Expect != results.ExpectOpen {
		return c
	}
	cp := *c
	cp.Expect = e
	return &cp
}

// Role is one destination-role mapping as a user writes it: ROLE=HOST, or
// ROLE=HOST\INSTANCE for a SQL Server named instance that must be there.
type Role struct {
	Key      string // the profile's role key: sql, smtp, …
	Host     string // one host name or address
	Instance string // a SQL Server instance name the host's SQL Browser must list; "" for none
}

// String writes the mapping back: "sql=sql01\BTS".
func (r Role) String() string { return r.Key + "=" + r.Value() }

// Value is the mapping's right-hand side: "sql01" or "sql01\BTS".
func (r Role) Value() string {
	if r.Instance == "" {
		return r.Host
	}
	return r.Host + `\` + r.Instance
}

// ParseRole reads ROLE=HOST or ROLE=HOST\INSTANCE (spaces around the parts are
// dropped).
func ParseRole(s string) (Role, error) {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" || strings.TrimSpace(v) == "" {
		return Role{}, fmt.Errorf("%q: want ROLE=HOST or ROLE=HOST\\INSTANCE", s)
	}
	host, inst, err := splitInstance(v)
	if err != nil {
		return Role{}, fmt.Errorf("%q: %v", s, err)
	}
	return Role{Key: k, Host: host, Instance: inst}, nil
}

// splitInstance splits a role's value "HOST" or "HOST\INSTANCE".
func splitInstance(v string) (host, instance string, err error) {
	host, instance, named := strings.Cut(strings.TrimSpace(v), `\`)
	host, instance = strings.TrimSpace(host), strings.TrimSpace(instance)
	if host == "" {
		return "", "", fmt.Errorf("no host before the instance name")
	}
	if !named {
		return host, "", nil
	}
	if err := checkInstanceName(instance); err != nil {
		return "", "", err
	}
	return host, instance, nil
}

// checkInstanceName refuses what cannot be a SQL Server instance name: more than
// 16 characters (setup's limit), spaces, control characters, and the separators
// a connection string or a second backslash would mean (\ , : ; ' @ /). Other
// characters are left to the comparison with what the SQL Browser lists, so a
// valid name is never refused here.
func checkInstanceName(s string) error {
	if s == "" || len(s) > 16 {
		return fmt.Errorf("instance name %q: want 1 to 16 characters", s)
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f || strings.ContainsRune(`\,:;'@/`, c) {
			return fmt.Errorf("instance name %q: %q cannot be part of an instance name", s, c)
		}
	}
	return nil
}

// Roles maps destination role keys to the hosts that play them (Item.Roles).
type Roles map[string]Role

// Add adds one mapping, refusing a role mapped twice to different hosts.
func (rs Roles) Add(r Role) error {
	if prev, dup := rs[r.Key]; dup && prev != r {
		return fmt.Errorf("%s given twice (%s and %s)", r.Key, prev.Value(), r.Value())
	}
	rs[r.Key] = r
	return nil
}

// ParseRoles reads roles as a plan file gives them: role key → HOST or
// HOST\INSTANCE.
func ParseRoles(m map[string]string) (Roles, error) {
	keys := slices.Sorted(maps.Keys(m))
	rs := make(Roles, len(m))
	for _, k := range keys {
		host, inst, err := splitInstance(m[k])
		if err != nil {
			return nil, fmt.Errorf("role %s=%s: %v", k, m[k], err)
		}
		rs[k] = Role{Key: k, Host: host, Instance: inst}
	}
	return rs, nil
}

// PlanItems turns a plan file into items: the plan's own profiles are added
// to cat, each item's profile names looked up and its roles read; each item's
// Pos is its place in the file.
func PlanItems(cat *profiles.Catalog, p *profiles.Plan) ([]Item, error) {
	ps, err := cat.AddPlan(p)
	if err != nil {
		return nil, err
	}
	items := make([]Item, len(p.Items))
	for i, it := range p.Items {
		items[i] = Item{Profiles: ps[i], Targets: it.Targets, Trace: it.Trace, Pos: it.Pos.String()}
		if items[i].Roles, err = ParseRoles(it.Roles); err != nil {
			return nil, items[i].wrap(err)
		}
		if err := items[i].ParseOwn(it.Ports, it.Expect, it.Addresses); err != nil {
			return nil, items[i].wrap(err)
		}
		if it.Domain != "" {
			d := &scan.Domain{Name: it.Domain, Site: it.Site}
			if it.DNSServer != "" {
				if d.DNSServer, err = ParseDNSServer(it.DNSServer); err != nil {
					return nil, items[i].wrap(fmt.Errorf("dns_server %v", err))
				}
			}
			items[i].Domain = d
		}
	}
	return items, nil
}

// ParseOwn reads an item's ad-hoc ports, expectation and addresses as a plan
// file's item or a policy's rule gives them.
func (it *Item) ParseOwn(ports, expect, addresses string) error {
	var err error
	if ports != "" {
		if it.Ports, err = results.ParsePortList(ports); err != nil {
			return fmt.Errorf("ports: %v", err)
		}
	}
	if it.Expect, err = ParseExpect(expect); err != nil {
		return fmt.Errorf("expect %v", err)
	}
	if expect != "" {
		it.ExpectFrom = `"expect": "` + expect + `"`
	}
	if it.AllAddresses, err = ParseAddresses(addresses); err != nil {
		return fmt.Errorf("addresses %v", err)
	}
	return nil
}

// ParseDNSServer reads the DNS server the DC locator asks (--dns-server, a
// plan item's dns_server, the exporter's dns_server=): an IP address, with a
// port or without (53).
func ParseDNSServer(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if ap.Port() == 0 {
			return netip.AddrPort{}, fmt.Errorf("%q: port 0", s)
		}
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil || a.Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("%q: want an IP address, optionally with a port (198.18.1.2, 198.18.1.2:5353, [2001:db8::53]:53)", s)
	}
	return netip.AddrPortFrom(a.Unmap(), 53), nil
}
