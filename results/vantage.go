package results

import (
	"cmp"
	"net/netip"
)

// Vantage is where a result was measured from, named: a source of a policy
// ("portreach scan --plan" with sources: "local", an exporter, an ssh host), or
// an exporter answering for itself ("portreach serve --name"). Reachability
// depends on where one stands; a firewall rule is written for an address, so a
// vantage point carries both its name and the address it scanned from.
type Vantage struct {
	// Name is the policy's name for the source ("dmz"), or the exporter's
	// --name.
	Name string `json:"name"`
	// Address is the local address the source scanned from: what the
	// destination's firewall sees (for a remote source, the address it
	// reported). Invalid when none is known (the source was never reached).
	Address netip.Addr `json:"address,omitzero"`
}

// HostKey identifies a host of a run: one target as given, the address it was
// probed at, and, in a policy run, the source it was checked from and the rule
// that checked it. Summaries, tables, JUnit suites and drift group results by
// it, so that a destination checked from three sources is three hosts with a
// verdict each.
type HostKey struct {
	Vantage string // Vantage.Name; "" outside a policy
	Rule    string // Result.Rule; "" outside a policy
	Target  string
	Addr    netip.Addr
}

// Key is r's host.
func (r *Result) Key() HostKey {
	k := HostKey{Rule: r.Rule, Target: r.Target, Addr: r.Addr}
	if r.Vantage != nil {
		k.Vantage = r.Vantage.Name
	}
	return k
}

// Key is h's host.
func (h *Host) Key() HostKey {
	k := HostKey{Rule: h.Rule, Target: h.Target, Addr: h.Addr}
	if h.Vantage != nil {
		k.Vantage = h.Vantage.Name
	}
	return k
}

// Compare is Sort's order of hosts: by source, rule, address, then target.
func (k HostKey) Compare(o HostKey) int {
	if c := cmp.Compare(k.Vantage, o.Vantage); c != 0 {
		return c
	}
	if c := cmp.Compare(k.Rule, o.Rule); c != 0 {
		return c
	}
	if c := k.Addr.Compare(o.Addr); c != 0 {
		return c
	}
	return cmp.Compare(k.Target, o.Target)
}
