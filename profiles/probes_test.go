package profiles_test

import (
	"slices"
	"testing"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/results"
)

// TestUDPEntriesHaveProbes: every UDP port that any profile names gets a real
// request, or a probe that documents why no request can make it answer. A probe
// a profile names must exist. (An external test package: profiles itself does
// not import probes.)
func TestUDPEntriesHaveProbes(t *testing.T) {
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cat.Profiles() {
		for _, e := range p.Entries {
			if e.Probe != "" {
				_, udp := probes.ByName(e.Probe)
				_, tcp := probes.ServiceByName(e.Probe)
				if e.Proto == results.UDP && !udp || e.Proto == results.TCP && !tcp {
					t.Errorf("%s %s: %s probe %q does not exist", p.Slug, e.Label(), e.Proto, e.Probe)
				}
				continue
			}
			// UDP dynamic-rpc (ncadg_ip_udp) endpoints are learned from the
			// endpoint mapper, not probed by port.
			if e.Proto != results.UDP || !e.Testable() || e.Kind == profiles.DynamicRPC {
				continue
			}
			for port := int(e.Port.Lo); port <= int(e.Port.Hi); port++ {
				if _, ok := probes.ForPort(uint16(port)); !ok {
					t.Errorf("%s %s: no probe for %d/udp (add one, or a silent probe explaining why none can elicit a reply)", p.Slug, e.Label(), port)
					break
				}
			}
		}
	}
}

// TestRPCInterfacesNamed: the RPC services issue 10 names are checked by
// interface somewhere in the catalogue, and every name resolves (Load already
// refuses one that does not).
func TestRPCInterfacesNamed(t *testing.T) {
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, p := range cat.Profiles() {
		for _, e := range p.Entries {
			for _, name := range e.Interfaces {
				set, err := profiles.LookupInterfaceSet(name)
				if err != nil {
					t.Errorf("%s %s: %v", p.Slug, e.Label(), err)
				}
				for _, i := range set {
					named[i.Key] = true
				}
			}
		}
	}
	for _, key := range []string{"msdtc", "drsuapi", "netlogon", "lsarpc", "samr", "frsrpc", "dfsr", "emsmdb", "nspi", "rfr",
		"icpr", "clusapi", "eventlog6", "svcctl", "tsch"} {
		if !named[key] {
			t.Errorf("no dynamic-rpc entry names %s", key)
		}
	}
}

// TestRequirementsExist: what an entry requires of its service is a
// requirement of the TCP service confirmed on its port (the one it names, or
// the port's default).
func TestRequirementsExist(t *testing.T) {
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	required := 0
	for _, p := range cat.Profiles() {
		for _, e := range p.Entries {
			if len(e.Require) == 0 {
				continue
			}
			svc, ok := probes.ServiceByName(e.Probe)
			if e.Probe == "" {
				svc, ok = probes.ServiceForPort(e.Port.Lo)
			}
			if !ok || e.Port.Lo != e.Port.Hi && e.Probe == "" {
				t.Errorf("%s %s: requires %q of no one TCP service", p.Slug, e.Label(), e.Require)
				continue
			}
			for _, name := range e.Require {
				required++
				if !slices.ContainsFunc(svc.Requires, func(r *probes.Requirement) bool { return r.Name == name }) {
					t.Errorf("%s %s: %s has no requirement %q", p.Slug, e.Label(), svc.Name, name)
				}
			}
		}
	}
	if required == 0 {
		t.Error("no profile requires anything of a service (the DC profiles require SMB signing)")
	}
}
