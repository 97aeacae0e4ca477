//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/results"
)

// TestDomainLocatorCLI runs "portreach scan --domain" against testnet.ADLab:
// lab.example's two Samba DCs in Site-A and Site-B, DC1's DNS also naming a DC
// that does not resolve, DC2's NTP server six minutes ahead and its SMB server
// not requiring signing. The table shows each DC with the records that named
// it, its CLDAP flags and clock offset, and the DC profile's verdict (README's
// "Validate a new member server" shows it: go test ./cmd/portreach -run
// TestDomainLocatorCLI -v); the JSON report says the same in its fields.
func TestDomainLocatorCLI(t *testing.T) {
	lab := testnet.StartADLab(t, 0, 6*time.Minute)
	lab.DC1.AddDNS(t, "_msdcs.lab.example", testnet.SRV("_ldap._tcp.dc._msdcs.lab.example", 389, "ghost.lab.example"))
	args := []string{"scan", "--domain", "lab.example", "--site", "Site-A", "--dns-server", lab.DC1.Addr.String(),
		"--ca-file", lab.CAFile, "--timeout", "3s"}
	code, out, errOut := runBin(t, append(args, "-f", "table")...)
	t.Logf("$ portreach scan --domain lab.example --site Site-A --dns-server %s --ca-file lab-ca.pem\n%s", lab.DC1.Addr, out)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, errOut)
	}
	for _, want := range []string{
		"labdc.lab.example", "labdc2.lab.example", "ghost.lab.example",
		"site Site-A (closest), client site Site-A", "site Site-B, client site Site-A",
		"the two clocks disagree",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}

	code, out, errOut = runBin(t, append(args, "-f", "json")...)
	if code != exitFailed {
		t.Fatalf("json: exit %d\n%s", code, errOut)
	}
	rep := decodeReport(t, out)
	failed := failures(rep)
	// What only a Windows DC has fails on both (ADWS on 9389, DFSR not
	// registered); the locator's own: the record of a DC that does not
	// resolve; DC2's faults: its NTP server's clock, its SMB signing.
	want := []string{
		"ghost.lab.example  srv-target-unresolved", // no port: a name without an address
		"labdc.lab.example 9389/tcp conn-refused",
		"labdc.lab.example ?/tcp not-registered",
		"labdc2.lab.example 123/udp clock-skew",
		"labdc2.lab.example 445/tcp smb-signing-not-required",
		"labdc2.lab.example 9389/tcp conn-refused",
		"labdc2.lab.example ?/tcp not-registered",
	}
	if !slices.Equal(failed, want) {
		t.Errorf("failures\n got %q\nwant %q", failed, want)
	}
	records := map[string][]string{}
	for _, r := range rep.Results {
		switch {
		case r.Target == "lab.example":
			if r.Probe != "srv" || r.Check == nil || r.Under == "" {
				t.Errorf("locator question %+v", r)
			}
		case len(r.Records) == 0:
			t.Errorf("%s %s: no records", r.Target, results.PortName(r.Proto, r.Port))
		case records[r.Target] == nil:
			records[r.Target] = r.Records
		case !slices.Equal(records[r.Target], r.Records):
			t.Errorf("%s: records %q and %q", r.Target, records[r.Target], r.Records)
		}
		// The KDC's errors (88, kpasswd's 464/udp) and NTP carry the server's
		// clock; 464/tcp is only connected to.
		if (r.Port == 88 || r.Proto == results.UDP && (r.Port == 123 || r.Port == 464)) && r.State == results.Open && r.ClockOffset == nil {
			t.Errorf("%s %s: no clock_offset", r.Target, results.PortName(r.Proto, r.Port))
		}
	}
	if got := records["labdc.lab.example"]; len(got) != 6 || got[0] != "_ldap._tcp.Site-A._sites.dc._msdcs.lab.example" {
		t.Errorf("DC1's records %q", got)
	}

	// A plan file asks the same.
	plan := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(plan, []byte(fmt.Sprintf(`{"items": [{"profiles": ["ad-dc-2016-2025"], "domain": "lab.example", "site": "Site-A", "dns_server": %q}]}`,
		lab.DC1.Addr.String())), 0o644)
	code, out, errOut = runBin(t, "scan", "--plan", plan, "--ca-file", lab.CAFile, "--timeout", "3s", "-f", "json")
	if code != exitFailed {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	if planFailed := failures(decodeReport(t, out)); !slices.Equal(planFailed, want) {
		t.Errorf("plan failures\n got %q\nwant %q", planFailed, want)
	}
}

// failures lists a report's failed checks as "target port reason", sorted.
func failures(rep *results.Report) []string {
	var out []string
	for _, r := range results.Failed(rep.Results) {
		out = append(out, fmt.Sprintf("%s %s %s", r.Target, results.PortName(r.Proto, r.Port), results.Why(&r)))
	}
	slices.Sort(out)
	return out
}
