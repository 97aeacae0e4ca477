package profiles

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

// The current profiles (data/current-*.json) describe the Windows Server, SQL
// Server and Exchange versions people run today, from Microsoft's current
// documentation. The seed-derived profiles stay as the seed documents have them;
// these cite each port by the URL of the Microsoft Learn page and its section or
// table row, and use today's dynamic RPC range.

// currentRPC is the dynamic port range of Windows Server 2008 and later (KB 929851,
// and the note at the top of KB 832017).
var currentRPC = results.PortRange{Lo: 49152, Hi: 65535}

// currentDocPrefix is where every current profile's sources live.
const currentDocPrefix = "https://learn.microsoft.com/en-us/"

func isCurrent(p *Profile) bool { return strings.HasPrefix(path.Base(p.Pos.File), "current-") }

func TestCurrentProfiles(t *testing.T) {
	c := load(t)
	var current []*Profile
	for _, p := range c.Profiles() {
		if isCurrent(p) {
			current = append(current, p)
		}
	}
	for _, slug := range []string{
		"ad-dc-2016-2025", "ad-gc-2016-2025", "windows-server-management-2016-2025", "file-server-dfsr-2016-2025",
		"adcs-ca-2016-2025", "failover-cluster-2016-2025",
		"sql-server-default-instance", "sql-server-named-instance", "sql-server-ag-replica", "sql-server-ag-listener",
		"exchange-2019-se-mailbox", "exchange-2019-se-edge-transport",
	} {
		if p := c.Profile(slug); p == nil || !isCurrent(p) {
			t.Errorf("current profile %s is missing", slug)
		}
	}
	for _, p := range current {
		// Which versions it is for: the product's, and the Windows versions when
		// the product is not Windows itself.
		if p.Version == "" {
			t.Errorf("%s: current profile without a version", p.Pos)
		}
		if p.Product != "Windows Server" && len(p.Platforms) == 0 {
			t.Errorf("%s: %s profile without platforms (the Windows versions it runs on)", p.Pos, p.Product)
		}
		for _, s := range p.Include {
			if q := c.Profile(s); q == nil || !isCurrent(q) {
				t.Errorf("%s: current profile includes %s, which is not a current profile", p.Pos, s)
			}
		}
		for _, r := range p.Roles {
			if !strings.HasPrefix(r.Source.Document, currentDocPrefix) || r.Source.Section == "" {
				t.Errorf("%s: role %s has source %+v; want a Microsoft Learn URL and a section", r.Pos, r.Key, r.Source)
			}
		}
		entries, _ := c.Resolve(p)
		for _, e := range entries {
			if !strings.HasPrefix(e.Source.Document, currentDocPrefix) || e.Source.Section == "" {
				t.Errorf("%s: %s has source %+v; want a Microsoft Learn URL and a section", e.Pos, e.Label(), e.Source)
			}
			if strings.ContainsAny(e.Source.Document, " \t") {
				t.Errorf("%s: %s: source URL %q has spaces", e.Pos, e.Label(), e.Source.Document)
			}
			if e.Kind == DynamicRPC && e.Port != currentRPC {
				t.Errorf("%s: %s: a current profile's dynamic RPC range is %s, got %q", e.Pos, e.Label(), currentRPC, e.Port)
			}
			// The scanner checks named interfaces over TCP: each current TCP
			// dynamic-rpc entry says which services it stands for.
			if e.Kind == DynamicRPC && e.Proto == results.TCP && len(e.Interfaces) == 0 {
				t.Errorf("%s: %s names no RPC interfaces", e.Pos, e.Label())
			}
		}
	}
	if len(current) == 0 {
		t.Fatal("no current profiles: data/current-*.json")
	}
}

// TestCurrentProfilesUseSeedServiceNames: service names are how later features
// (TCP service confirmation) recognise a service, so a current profile spells a
// service on a port the way a seed profile does wherever one names it.
func TestCurrentProfilesUseSeedServiceNames(t *testing.T) {
	c := load(t)
	seed := map[string][]string{} // "tcp/389" → seed spellings
	for _, p := range c.Profiles() {
		if isCurrent(p) {
			continue
		}
		for _, e := range p.Entries {
			if k := e.Label(); !slices.Contains(seed[k], e.Service) {
				seed[k] = append(seed[k], e.Service)
			}
		}
	}
	for _, p := range c.Profiles() {
		if !isCurrent(p) {
			continue
		}
		for _, e := range p.Entries {
			if names, ok := seed[e.Label()]; ok && !slices.Contains(names, e.Service) {
				t.Errorf("%s: %s service %q; seed profiles spell it %q", e.Pos, e.Label(), e.Service, names)
			}
		}
	}
}
