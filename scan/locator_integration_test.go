//go:build linux

package scan

import (
	"context"
	"crypto/x509"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// TestLocatorSamba runs the DC locator against testnet.ADLab: lab.example, DC1
// (Site-A, the DNS server) and DC2 (Site-B), both real Samba AD DCs, DC2's NTP
// server six minutes ahead of its KDC. Each locator check must fire exactly
// where it should, and nowhere else (DC2's two faults aside: its NTP server is
// six minutes ahead, and its SMB server does not require signing):
//
//   - the plain run: every question answered, both DCs found with the records
//     that named them, pinged, and checked; DC2's NTP fails clock-skew and both
//     its clock results say the KDC and NTP disagree;
//   - a record whose target does not resolve: srv-target-unresolved, that one;
//   - a site with no records: site-srv-missing, that question;
//   - DC2's firewall drops 389/udp: its ping fails (no-response), DC1's passes;
//   - a domain whose records name DCs of lab.example: ldap-ping-wrong-domain on
//     every ping.
func TestLocatorSamba(t *testing.T) {
	testnet.Require(t)
	lab := testnet.StartADLab(t, 0, 6*time.Minute)
	kerberosUDP := &results.Check{Service: "Kerberos", Expect: results.ExpectOpen}
	ports := []Port{
		{Proto: results.UDP, Lo: 389, Probe: "cldap", Check: &results.Check{Profiles: []string{"dc"}, Service: "LDAP", Expect: results.ExpectOpen}},
		{Proto: results.UDP, Lo: 88, Probe: "kerberos", Check: kerberosUDP},
		{Proto: results.UDP, Lo: 123, Probe: "ntp", Check: &results.Check{Service: "NTP", Expect: results.ExpectOpen}},
		{Proto: results.TCP, Lo: 445, Check: &results.Check{Service: "SMB", Expect: results.ExpectOpen, Require: []string{"smb-signing"}}},
		{Proto: results.TCP, Lo: 636, Check: &results.Check{Service: "LDAP SSL", Expect: results.ExpectOpen}},
		{Proto: results.TCP, Lo: 389, Check: &results.Check{Service: "LDAP", Expect: results.ExpectOpen}},
	}
	// The lab's CA is the one --ca-file names: both DCs' certificates meet
	// Microsoft's LDAPS rules, on 636 and after StartTLS on 389.
	roots := x509.NewCertPool()
	roots.AddCert(lab.CA.Cert)
	s := &Scanner{Timeout: 2 * time.Second, Confirm: Confirm{Checked: true, Roots: roots}}
	run := func(t *testing.T, d Domain) map[string]results.Result {
		t.Helper()
		if !d.DNSServer.IsValid() {
			d.DNSServer = lab.DNS()
		}
		got := map[string]results.Result{}
		err := s.Scan(context.Background(), Plan{Ports: ports, Domains: []Domain{d}}, func(r results.Result) {
			k := strings.TrimSpace(r.Target + " " + strings.TrimSpace(r.Under+" "+results.PortName(r.Proto, r.Port)))
			got[k] = r
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// failing returns the results that fail, as "key reason".
	failing := func(got map[string]results.Result) []string {
		var out []string
		for k, r := range got {
			if results.Fails(&r) {
				out = append(out, k+" "+string(results.Why(&r)))
			}
		}
		slices.Sort(out)
		return out
	}
	q := func(name string) string { return "lab.example " + name + " 53/udp" }
	dc1, dc2 := "labdc.lab.example", "labdc2.lab.example"
	// DC2's faults, found in every run: its NTP server is six minutes ahead,
	// and its SMB server does not require signing.
	dc2Faults := []string{dc2 + " 123/udp clock-skew", dc2 + " 445/tcp smb-signing-not-required"}

	t.Run("plain", func(t *testing.T) {
		got := run(t, Domain{Name: "lab.example", Site: "Site-A"})
		for name, want := range map[string][]string{
			"_ldap._tcp.Site-A._sites.dc._msdcs.lab.example": {dc1},
			"_ldap._tcp.dc._msdcs.lab.example":               {dc1, dc2},
			"_kerberos._tcp.dc._msdcs.lab.example":           {dc1, dc2},
			"_kpasswd._tcp.lab.example":                      {dc1, dc2},
			"_ldap._tcp.pdc._msdcs.lab.example":              {dc1},
			"_gc._tcp.lab.example":                           {dc1, dc2},
		} {
			r, ok := got[q(name)]
			if !ok {
				t.Errorf("%s not asked", name)
				continue
			}
			var targets []string
			for _, rec := range r.Details.(*probes.LookupDetail).SRV {
				targets = append(targets, rec.Target)
			}
			slices.Sort(targets)
			if r.State != results.Open || r.Reason != results.ReasonUDPResponse || !slices.Equal(targets, want) || r.Addr != lab.DC1.Addr {
				t.Errorf("%s: %s %s at %s names %q, want %q", name, r.State, r.Reason, r.Addr, targets, want)
			}
		}
		if f := failing(got); !slices.Equal(f, dc2Faults) {
			t.Errorf("failing: %q, want %q", f, dc2Faults)
		}
		p1, p2 := got[dc1+" 389/udp"], got[dc2+" 389/udp"]
		if !strings.Contains(p1.Detail, "site Site-A (closest), client site Site-A") || p1.Addr != lab.DC1.Addr {
			t.Errorf("DC1's ping: %q at %s", p1.Detail, p1.Addr)
		}
		if !strings.Contains(p2.Detail, "site Site-B, client site Site-A") || p2.Addr != lab.DC2.Addr {
			t.Errorf("DC2's ping: %q at %s", p2.Detail, p2.Addr)
		}
		if p1.Check == nil || p1.Check.Service != "LDAP" {
			t.Errorf("DC1's ping does not carry the profile's 389/udp check: %+v", p1.Check)
		}
		wantRecords := map[string][]string{
			dc1: {"_ldap._tcp.Site-A._sites.dc._msdcs.lab.example", "_ldap._tcp.dc._msdcs.lab.example", "_kerberos._tcp.dc._msdcs.lab.example",
				"_kpasswd._tcp.lab.example", "_ldap._tcp.pdc._msdcs.lab.example", "_gc._tcp.lab.example"},
			dc2: {"_ldap._tcp.dc._msdcs.lab.example", "_kerberos._tcp.dc._msdcs.lab.example", "_kpasswd._tcp.lab.example", "_gc._tcp.lab.example"},
		}
		for k, r := range got {
			dc, _, _ := strings.Cut(k, " ")
			if want, ok := wantRecords[dc]; ok && !slices.Equal(r.Records, want) {
				t.Errorf("%s: records %q, want %q", k, r.Records, want)
			}
		}
		for _, dc := range []string{dc1, dc2} {
			if _, ok := got[dc+" 445/tcp"]; !ok {
				t.Errorf("%s not scanned on the plan's ports", dc)
			}
			for _, port := range []string{" 636/tcp", " 389/tcp"} {
				if d, ok := got[dc+port].Details.(*probes.ServiceDetail); !ok || d.TLS == nil || !d.TLS.Verified || d.TLS.CommonName != dc {
					t.Errorf("%s%s: no certificate of the lab's CA read: %q", dc, port, got[dc+port].Detail)
				}
			}
		}
		k2, n2 := got[dc2+" 88/udp"], got[dc2+" 123/udp"]
		if k2.ClockOffset == nil || *k2.ClockOffset > 2 || *k2.ClockOffset < -2 || n2.ClockOffset == nil || *n2.ClockOffset < 358 || *n2.ClockOffset > 362 {
			t.Errorf("DC2's clocks: KDC %v, NTP %v", k2.ClockOffset, n2.ClockOffset)
		}
		for _, r := range []results.Result{k2, n2} {
			if !strings.Contains(r.Detail, "the two clocks disagree") {
				t.Errorf("%d/udp: %q does not say the KDC and NTP disagree", r.Port, r.Detail)
			}
		}
		if d := got[dc1+" 123/udp"].Detail; strings.Contains(d, "disagree") || got[dc1+" 123/udp"].ClockOffset == nil {
			t.Errorf("DC1's NTP: %q", d)
		}
	})

	t.Run("ghost", func(t *testing.T) {
		lab.DC1.AddDNS(t, "_msdcs.lab.example", testnet.SRV("_ldap._tcp.dc._msdcs.lab.example", 389, "ghost.lab.example"))
		got := run(t, Domain{Name: "lab.example", Site: "Site-A"})
		want := append([]string{"ghost.lab.example srv-target-unresolved"}, dc2Faults...)
		slices.Sort(want)
		if f := failing(got); !slices.Equal(f, want) {
			t.Errorf("failing: %q, want %q", f, want)
		}
		if r := got["ghost.lab.example"]; !slices.Equal(r.Records, []string{"_ldap._tcp.dc._msdcs.lab.example"}) ||
			r.Detail != "named by the SRV records, but it has no address: A: NXDOMAIN; AAAA: NXDOMAIN" {
			t.Errorf("ghost: %q %q", r.Records, r.Detail)
		}
	})

	t.Run("site without records", func(t *testing.T) {
		got := run(t, Domain{Name: "lab.example", Site: "Site-C"})
		want := append([]string{"ghost.lab.example srv-target-unresolved", q("_ldap._tcp.Site-C._sites.dc._msdcs.lab.example") + " site-srv-missing"}, dc2Faults...)
		slices.Sort(want)
		if f := failing(got); !slices.Equal(f, want) {
			t.Errorf("failing: %q, want %q", f, want)
		}
		// Both DCs map this machine to Site-A, not the Site-C given.
		if d := got[dc1+" 389/udp"].Detail; !strings.HasSuffix(d, "; this DC maps this machine's address to site Site-A, not Site-C") {
			t.Errorf("DC1's ping: %q", d)
		}
	})

	t.Run("no site given", func(t *testing.T) {
		// The DCs' pings name this machine's site, Site-A: it is asked next.
		got := run(t, Domain{Name: "lab.example"})
		if r, ok := got[q("_ldap._tcp.Site-A._sites.dc._msdcs.lab.example")]; !ok || results.Fails(&r) {
			t.Errorf("the client's site was not asked, or failed: %v %+v", ok, r)
		}
	})

	t.Run("389/udp dropped", func(t *testing.T) {
		lab.H2.NFT(t, `table inet portreach_cldap {
	chain in {
		type filter hook input priority 0;
		udp dport 389 drop
	}
}`)
		defer lab.H2.NFT(t, `delete table inet portreach_cldap`)
		got := run(t, Domain{Name: "lab.example", Site: "Site-A"})
		want := append([]string{"ghost.lab.example srv-target-unresolved", dc2 + " 389/udp no-response"}, dc2Faults...)
		slices.Sort(want)
		if f := failing(got); !slices.Equal(f, want) {
			t.Errorf("failing: %q, want %q", f, want)
		}
		if r := got[dc2+" 389/udp"]; r.State != results.OpenFiltered || len(r.Records) != 4 {
			t.Errorf("DC2's ping: %s, records %q", r.State, r.Records)
		}
	})

	t.Run("another domain", func(t *testing.T) {
		lab.H1.Exec(t, "samba-tool", "dns", "zonecreate", lab.DC1.Addr.String(), "other.example",
			"-U", "Administrator", "--password=Portreach.Lab1", "-s", lab.DC1.Conf)
		lab.DC1.AddDNS(t, "other.example",
			testnet.SRV("_ldap._tcp.dc._msdcs.other.example", 389, dc1),
			testnet.SRV("_ldap._tcp.dc._msdcs.other.example", 389, dc2))
		got := run(t, Domain{Name: "other.example"})
		var pings []string
		for k, r := range got {
			if strings.HasSuffix(k, " 389/udp") {
				pings = append(pings, k)
				if results.Why(&r) != results.ReasonLDAPPingWrongDomain || !strings.Contains(r.Detail, "answers for lab.example, not other.example") {
					t.Errorf("%s: %s %q", k, results.Why(&r), r.Detail)
				}
			}
		}
		if len(pings) != 2 {
			t.Errorf("pings %q, want both DCs'", pings)
		}
	})
}
