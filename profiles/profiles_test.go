package profiles

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

var seedDocs = []string{doc000, doc001, "002_63fd8bb99f495345.txt", "003_816752f7e6316ccd.txt", doc004}

func load(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBuiltinData checks what the schema leaves optional but the built-in
// catalogue must have: a source from one of the five documents on every entry and
// role of the seed-derived profiles, roles that some entry uses, and the profiles
// the issue asks for. The current profiles cite Microsoft Learn pages instead
// (TestCurrentProfiles).
func TestBuiltinData(t *testing.T) {
	c := load(t)
	for _, p := range c.Profiles() {
		if isCurrent(p) {
			continue
		}
		entries, roles := c.Resolve(p)
		if len(entries) == 0 {
			t.Errorf("%s: resolves to no entries", p.Slug)
		}
		for _, e := range entries {
			if !slices.Contains(seedDocs, e.Source.Document) || e.Source.Section == "" {
				t.Errorf("%s (%s): entry %s has source %+v; want a seed document and a section", p.Slug, e.Pos, e.Label(), e.Source)
			}
			if e.Probe != "" && e.Proto != results.UDP && e.Proto != results.TCP {
				t.Errorf("%s: probe on %s", e.Pos, e.Label())
			}
		}
		for _, r := range p.Roles {
			if !slices.Contains(seedDocs, r.Source.Document) {
				t.Errorf("%s: role %s has no seed source", r.Pos, r.Key)
			}
			if !slices.ContainsFunc(entries, func(e Entry) bool { return e.Role == r.Key }) {
				t.Errorf("%s: role %q is declared but no entry uses it", r.Pos, r.Key)
			}
		}
		_ = roles
	}
	for _, slug := range []string{
		"domain-controller", "file-server", "web-server-iis", "sql-server", "message-queuing", "terminal-server",
		"certificate-services", "dhcp-server", "wins", "vpn-server-pptp", "vpn-server-l2tp", "rras",
		"exchange-2003-server", "exchange-2003-front-end", "exchange-2000-conferencing",
		"exchange-2010-hub-transport", "exchange-2010-edge-transport", "exchange-2010-client-access",
		"exchange-2010-mailbox", "exchange-2010-unified-messaging",
		"exchange-2016-mailbox", "exchange-2019-mailbox", "exchange-2016-edge-transport", "exchange-2019-edge-transport",
		"biztalk-receive-server", "biztalk-send-server",
	} {
		if c.Profile(slug) == nil {
			t.Errorf("profile %s is missing", slug)
		}
	}
	// The domain controller is the services the issue names.
	dc := c.Profile("domain-controller")
	for _, s := range []string{"lsass", "kerberos-kdc", "netlogon", "dns-server", "windows-time", "distributed-file-system", "file-replication", "rpc", "server"} {
		if !slices.Contains(dc.Include, s) {
			t.Errorf("domain-controller does not include %s", s)
		}
	}
	// Every system service section of document 001 has a profile citing it.
	sections := map[string]bool{}
	for _, p := range c.Profiles() {
		for _, e := range p.Entries {
			if e.Source.Document == doc001 {
				sections[e.Source.Section] = true
			}
		}
	}
	if len(sections) < 55 {
		t.Errorf("only %d sections of document 001 are cited; it describes about 60 services", len(sections))
	}
}

func TestProbeNames(t *testing.T) {
	got := load(t).ProbeNames()
	want := []string{"cldap", "dns", "https-ews", "ike", "ike-natt", "kerberos", "kpasswd", "l2tp", "ldaps", "msmq", "nbstat", "netbios-dgm", "ntp", "radius", "snmp", "snmptrap", "sqlbrowser", "ssdp", "tftp"}
	if !slices.Equal(got, want) {
		t.Errorf("ProbeNames() = %v\nwant %v", got, want)
	}
}

func TestLookup(t *testing.T) {
	c := load(t)
	for _, name := range []string{"exchange-2016-mailbox", "Exchange 2016 Mailbox", "  exchange 2016 MAILBOX ", "E2016 Mailbox", "e16-mbx"} {
		p, err := c.Lookup(name)
		if err != nil || p.Slug != "exchange-2016-mailbox" {
			t.Errorf("Lookup(%q) = %v, %v", name, p, err)
		}
	}
	if p, err := c.Lookup("dc"); err != nil || p.Slug != "domain-controller" {
		t.Errorf("Lookup(dc) = %v, %v", p, err)
	}
	for _, tc := range []struct{ name, want string }{
		{"exchange-2016-mailbx", `unknown profile "exchange-2016-mailbx"; did you mean exchange-2016-mailbox (Exchange 2016 Mailbox), exchange-2010-mailbox (Exchange 2010 Mailbox), exchange-2019-mailbox (Exchange 2019 Mailbox)?`},
		{"domain controler", `unknown profile "domain controler"; did you mean domain-controller (Domain controller)?`},
		{"biztalk", `unknown profile "biztalk"; did you mean biztalk-send-server (BizTalk Send server), biztalk-receive-server (BizTalk Receive server), biztalk-server-dependencies (BizTalk Server: ports to other servers)?`},
		{"zzzzqqqq", `unknown profile "zzzzqqqq" (portreach profiles lists them)`},
	} {
		_, err := c.Lookup(tc.name)
		var ue *UnknownError
		if !errors.As(err, &ue) || err.Error() != tc.want {
			t.Errorf("Lookup(%q) error\n got: %v\nwant: %s", tc.name, err, tc.want)
		}
	}
}

func TestSearch(t *testing.T) {
	c := load(t)
	slugs := func(ps []*Profile) []string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Slug)
		}
		return s
	}
	if got := slugs(c.Search("BIZTALK")); !slices.Equal(got, []string{"biztalk-receive-server", "biztalk-send-server", "biztalk-server-dependencies"}) {
		t.Errorf("Search(BIZTALK) = %v", got)
	}
	got := slugs(c.Search("kerberos")) // by entry service
	for _, want := range []string{"kerberos-kdc", "exchange-2010-ad-access", "exchange-firewall-article"} {
		if !slices.Contains(got, want) {
			t.Errorf("Search(kerberos) = %v, missing %s", got, want)
		}
	}
	if n := len(c.Search("")); n != len(c.Profiles()) {
		t.Errorf("Search(\"\") = %d profiles, want all %d", n, len(c.Profiles()))
	}
	if got := c.Search("no-such-word-anywhere"); len(got) != 0 {
		t.Errorf("Search(no-such-word) = %v", slugs(got))
	}
}

// testCatalog is a small catalogue for Merge tests.
func testCatalog(t *testing.T) *Catalog {
	t.Helper()
	file := `{"profiles": [
  {"slug": "base", "name": "Base", "description": "d", "product": "p",
   "roles": [{"key": "sql", "description": "database"}],
   "entries": [
     {"proto": "tcp", "port": 445, "service": "SMB", "purpose": "files", "expect": "optional", "source": {"document": "doc-a", "section": "s1"}},
     {"proto": "tcp", "port": 1433, "service": "SQL", "purpose": "db", "expect": "open", "role": "sql", "source": {"document": "doc-a", "section": "s2"}},
     {"proto": "tcp", "kind": "dynamic-rpc", "service": "RPC", "purpose": "rpc", "expect": "open", "note": "n1"}
   ]},
  {"slug": "top", "name": "Top", "description": "d", "product": "p", "include": ["base"],
   "roles": [{"key": "smtp", "description": "mail"}],
   "entries": [
     {"proto": "tcp", "port": 445, "service": "SMB2", "purpose": "files again", "expect": "open", "source": {"document": "doc-b", "section": "s9"}},
     {"proto": "tcp", "port": 25, "service": "SMTP", "purpose": "mail", "expect": "open", "role": "smtp"},
     {"proto": "tcp", "port": 1433, "service": "SQL", "purpose": "db", "expect": "open", "role": "sql", "source": {"document": "doc-a", "section": "s2"}}
   ]},
  {"slug": "other", "name": "Other", "description": "d", "product": "p",
   "entries": [
     {"proto": "tcp", "port": 445, "service": "SMB", "purpose": "files", "expect": "open", "source": {"document": "doc-c", "section": "s3"}},
     {"proto": "tcp", "kind": "dynamic-rpc", "service": "RPC", "purpose": "rpc", "expect": "optional", "note": "n2"},
     {"proto": "gre", "service": "GRE", "purpose": "tunnel", "expect": "open"}
   ]},
  {"slug": "harden", "name": "Harden", "description": "d", "product": "p",
   "entries": [{"proto": "tcp", "port": 445, "service": "SMB", "purpose": "no SMB from here", "expect": "closed"}]}
]}`
	ps, err := parseCatalogFile("merge.json", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	c := &Catalog{}
	if err := c.add(ps); err != nil {
		t.Fatal(err)
	}
	return c
}

type mergedView struct {
	Label, Role, Host, Service string
	Expect                     results.Expectation
	Profiles                   []string
	Sources                    []results.Source
	Note                       string
}

func view(es []Entry) []mergedView {
	var out []mergedView
	for _, e := range es {
		out = append(out, mergedView{e.Label(), e.Role, e.Host, e.Service, e.Expect, e.Profiles, e.Sources, e.Note})
	}
	return out
}

func TestMerge(t *testing.T) {
	c := testCatalog(t)
	top, other := c.Profile("top"), c.Profile("other")
	got, unmapped, err := c.Merge(map[string]string{"sql": "sql01"}, top, other)
	if err != nil {
		t.Fatal(err)
	}
	src := func(d, s string) results.Source { return results.Source{Document: d, Section: s} }
	want := []mergedView{
		{"tcp/445", "", "", "SMB2", "open", []string{"top", "other"}, []results.Source{src("doc-b", "s9"), src("doc-a", "s1"), src("doc-c", "s3")}, ""},
		{"tcp/1433", "sql", "sql01", "SQL", "open", []string{"top"}, []results.Source{src("doc-a", "s2")}, ""},
		{"tcp dynamic-rpc", "", "", "RPC", "open", []string{"top", "other"}, nil, "n1 | n2"},
		{"gre", "", "", "GRE", "open", []string{"other"}, nil, ""},
	}
	if !reflect.DeepEqual(view(got), want) {
		t.Errorf("Merge:\n got %+v\nwant %+v", view(got), want)
	}
	if len(unmapped) != 1 || unmapped[0].Entry.Label() != "tcp/25" || unmapped[0].Flag != "--role smtp=HOST" {
		t.Errorf("unmapped = %+v; want tcp/25 with --role smtp=HOST", unmapped)
	}
	chk := got[0].Check()
	wantChk := &results.Check{Profiles: []string{"top", "other"}, Service: "SMB2", Purpose: "files again", Expect: "open",
		Sources: []results.Source{src("doc-b", "s9"), src("doc-a", "s1"), src("doc-c", "s3")}}
	if !reflect.DeepEqual(chk, wantChk) {
		t.Errorf("Check() = %+v\nwant %+v", chk, wantChk)
	}
	if got[1].Check().Role != "sql" {
		t.Errorf("Check().Role = %q", got[1].Check().Role)
	}
}

func TestMergeStrictest(t *testing.T) {
	c := testCatalog(t)
	// optional (base's 445) then open (other's) → open; closed vs open → error.
	got, _, err := c.Merge(nil, c.Profile("base"), c.Profile("harden"))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Label() != "tcp/445" || got[0].Expect != results.ExpectClosed {
		t.Errorf("optional + closed = %v %s; want closed", got[0].Label(), got[0].Expect)
	}
	_, _, err = c.Merge(nil, c.Profile("other"), c.Profile("harden"))
	if err == nil || err.Error() != "tcp/445: profile other expects it open, profile harden expects it closed" {
		t.Errorf("open + closed: err = %v", err)
	}
}

func TestMergeUnknownRole(t *testing.T) {
	c := testCatalog(t)
	_, _, err := c.Merge(map[string]string{"sqll": "x", "sql": "y"}, c.Profile("top"))
	if err == nil || err.Error() != `role "sqll" not used by the selected profiles (they use: smtp, sql)` {
		t.Errorf("err = %v", err)
	}
	_, _, err = c.Merge(map[string]string{"sql": "y"}, c.Profile("other"))
	if err == nil || err.Error() != `role "sql" not used by the selected profiles (they use no roles)` {
		t.Errorf("err = %v", err)
	}
}

// TestMergeBizTalk checks the example on the real data: a BizTalk Send
// server with two roles mapped; every other destination comes back unmapped.
func TestMergeBizTalk(t *testing.T) {
	c := load(t)
	p, err := c.Lookup("BizTalk Send server")
	if err != nil {
		t.Fatal(err)
	}
	got, unmapped, err := c.Merge(map[string]string{"sql": "sql01", "smtp": "mail01"}, p)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, e := range got {
		labels = append(labels, e.Role+"@"+e.Host+":"+e.Label())
	}
	want := []string{"sql@sql01:tcp/1433", "sql@sql01:tcp/135", "sql@sql01:tcp/50000-50200 dynamic-rpc", "smtp@mail01:tcp/25"}
	if !slices.Equal(labels, want) {
		t.Errorf("mapped = %v\nwant %v", labels, want)
	}
	flags := map[string]bool{}
	for _, u := range unmapped {
		flags[u.Flag] = true
		if u.Entry.Host != "" || !strings.HasPrefix(u.Flag, "--role "+u.Entry.Role+"=") {
			t.Errorf("unmapped %+v", u)
		}
	}
	if len(flags) != 12 {
		t.Errorf("unmapped roles: %v; want the 12 other destinations", flags)
	}
	// msgbox-db 1433 is asked for by two rows; merged once with both sources.
	for _, u := range unmapped {
		if u.Entry.Role == "msgbox-db" && u.Entry.Label() == "tcp/1433" && len(u.Entry.Sources) != 2 {
			t.Errorf("msgbox-db tcp/1433 sources = %v; want rows 13 and 33", u.Entry.Sources)
		}
	}
}

func TestAppliesTo(t *testing.T) {
	for _, tc := range []struct {
		p    Profile
		want string
	}{
		{Profile{Product: "Windows Server", Version: "2003"}, "Windows Server 2003"},
		{Profile{Product: "Contoso"}, "Contoso"},
		{Profile{Product: "SQL Server", Version: "2019/2022", Platforms: []string{"Windows Server 2019", "Windows Server 2022"}},
			"SQL Server 2019/2022 on Windows Server 2019/2022"},
		{Profile{Product: "Contoso", Version: "4", Platforms: []string{"Windows Server 2022", "Ubuntu 24.04"}},
			"Contoso 4 on Windows Server 2022, Ubuntu 24.04"},
		{Profile{Product: "Contoso", Platforms: []string{"Linux"}}, "Contoso on Linux"},
	} {
		if got := tc.p.AppliesTo(); got != tc.want {
			t.Errorf("AppliesTo(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}
