package checklist

import (
	"context"
	"strings"
	"testing"

	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

// buildItem builds the plan of one item with roles as a plan file gives them.
func buildItem(cat *profiles.Catalog, roles map[string]string, ps ...*profiles.Profile) (*Plan, error) {
	rs, err := ParseRoles(roles)
	if err != nil {
		return nil, err
	}
	return Build(context.Background(), Request{Catalog: cat, Items: []Item{{Profiles: ps, Roles: rs}}})
}

func load(t *testing.T, names ...string) (*profiles.Catalog, []*profiles.Profile) {
	t.Helper()
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	var ps []*profiles.Profile
	for _, n := range names {
		p, err := cat.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return cat, ps
}

// BizTalk's send server checks nothing on itself: every entry is a destination
// role. Mapped roles become targets with their ports, unmapped ones skipped
// results naming the flag.
func TestBuildRoles(t *testing.T) {
	cat, ps := load(t, "biztalk-send-server")
	pl, err := buildItem(cat, map[string]string{"smtp": "198.18.0.25", "sql": "198.18.0.14"}, ps...)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Scan.Ports) != 0 {
		t.Errorf("own ports %+v, want none", pl.Scan.Ports)
	}
	ports := map[string][]scan.Port{}
	for tg := range pl.Scan.Targets {
		ports[tg.Addr.String()] = tg.Ports
	}
	if got := ports["198.18.0.25"]; len(got) != 1 || got[0].Lo != 25 || got[0].Check.Role != "smtp" {
		t.Errorf("smtp host ports %+v", got)
	}
	var dynamic bool
	for _, p := range ports["198.18.0.14"] {
		if p.Kind == scan.KindDynamicRPC {
			dynamic = p.Lo == 50000 && p.Hi == 50200 // the declared DTC range travels with the entry
		}
	}
	if !dynamic {
		t.Errorf("sql host: no dynamic-rpc entry with the 50000-50200 range: %+v", ports["198.18.0.14"])
	}
	for _, r := range pl.Skipped {
		if r.State != results.Skipped || r.Reason != results.ReasonRoleUnmapped ||
			!strings.Contains(r.Detail, "--role "+r.Check.Role+"=HOST") || r.Check.Role == "smtp" || r.Check.Role == "sql" {
			t.Errorf("skipped %+v", r)
		}
	}
	if len(pl.Skipped) == 0 {
		t.Error("no skipped entries for the unmapped roles")
	}
}

func TestPortNotTestable(t *testing.T) {
	p := Port(profiles.Entry{Proto: "gre", Expect: results.ExpectOpen})
	if p.Why == "" {
		t.Errorf("GRE entry %+v: want a reason it cannot be tested", p)
	}
}
