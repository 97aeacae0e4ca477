package checklist

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

func portList(t *testing.T, spec string) []results.ProtoRange {
	t.Helper()
	ps, err := results.ParsePortList(spec)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// Every error of Build, word for word; consumers word the sentinel ones in
// their own terms (flags, query parameters).
func TestBuildErrors(t *testing.T) {
	cat, bts := load(t, "biztalk-send-server")
	_, dc := load(t, "domain-controller")
	list := func(specs ...string) func(func(...string) error) error {
		return func(add func(...string) error) error { return add(specs...) }
	}
	p80 := portList(t, "80")
	for _, tt := range []struct {
		name string
		req  Request
		is   error // errors.Is, when set
		want string
	}{
		{"nothing at all", Request{}, nil,
			"nothing to test: no ports and no profiles"},
		{"every entry on an unmapped role", Request{Catalog: cat, Items: []Item{{Profiles: bts, Targets: []string{"198.18.0.1"}}}}, nil,
			"nothing to test: every port is on a destination role nobody mapped (fileshare, ftp, pop3, processing, sql, smtp, mgmt-db, msgbox-db, sso-db, tracking-db, bre-db, bam-olap, analysis-olap, master-secret)"},
		{"expect without ports", Request{Catalog: cat, Items: []Item{{Profiles: dc, Expect: results.ExpectOpen, Targets: []string{"198.18.0.1"}}}}, ErrExpectNeedsPorts,
			"an expectation other than reachable or blocked applies to ad-hoc ports; profiles set their own"},
		{"no targets", Request{Items: []Item{{Ports: p80}}}, ErrNoTargets,
			"the item checks its targets' own ports, but lists no targets"},
		{"no targets in a plan item", Request{Catalog: cat, Items: []Item{{}, {Profiles: dc, Pos: "p.json:3"}}}, ErrNoTargets,
			"p.json:3: the item checks its targets' own ports, but lists no targets"},
		{"every target excluded", Request{Items: []Item{{Ports: p80, Targets: []string{"198.18.0.0/30"}, Exclude: []string{"198.18.0.0/29"}}}}, ErrAllExcluded,
			"every target is excluded: nothing to scan"},
		{"bad exclusion", Request{Items: []Item{{Ports: p80, Targets: []string{"198.18.0.1"}, Exclude: []string{"host.example"}}}}, nil,
			`exclude: exclusion "host.example": use addresses, CIDR blocks or octet ranges, not host names`},
		{"bad target", Request{Items: []Item{{Ports: p80, Targets: []string{"bad_host!"}}}}, nil,
			`target "bad_host!": not a valid host name (character '!')`},
		{"bad target, no ports of its own", Request{Catalog: cat, Items: []Item{{Profiles: bts, Roles: Roles{"smtp": {Key: "smtp", Host: "198.18.0.25"}}, Targets: []string{"bad_host!"}}}}, nil,
			`target "bad_host!": not a valid host name (character '!')`},
		{"bad role host", Request{Catalog: cat, Items: []Item{{Profiles: bts, Roles: Roles{"smtp": {Key: "smtp", Host: "bad_host!"}}, Pos: "p.json:2"}}}, nil,
			`p.json:2: role host: target "bad_host!": not a valid host name (character '!')`},
		{"unused role", Request{Catalog: cat, Items: []Item{{Profiles: dc, Roles: Roles{"sql": {Key: "sql", Host: "sql01"}}, Targets: []string{"dc01"}}}}, nil,
			`role "sql" not used by the selected profiles (they use no roles)`},
		{"profiles without a catalogue", Request{Items: []Item{{Profiles: dc, Targets: []string{"dc01"}}}}, nil,
			"checklist: profiles or roles without a catalogue"},
		{"too many targets", Request{MaxHosts: 10, Items: []Item{{Ports: p80, Targets: []string{"198.18.0.0/24"}}}}, scan.ErrTooManyHosts,
			"too many target hosts: more than 10"},
		{"too many listed targets", Request{MaxHosts: 2, Items: []Item{{Ports: p80, ReadTargets: list("198.18.0.1", "198.18.0.2", "198.18.0.3")}}}, scan.ErrTooManyHosts,
			"too many target hosts: more than 2"},
		{"role hosts past the limit", Request{Catalog: cat, MaxHosts: 5, Items: []Item{{Ports: p80, Targets: []string{"198.18.0.0/30"}},
			{Profiles: bts, Roles: Roles{"smtp": {Key: "smtp", Host: "198.18.1.0/30"}}}}}, scan.ErrTooManyHosts,
			"too many target hosts: more than 5"},
		{"targets at the limit, then a role host", Request{Catalog: cat, MaxHosts: 4, Items: []Item{{Ports: p80, Targets: []string{"198.18.0.0/30"}},
			{Profiles: bts, Roles: Roles{"smtp": {Key: "smtp", Host: "198.18.0.25"}}}}}, scan.ErrTooManyHosts,
			"too many target hosts: more than 4"},
		{"too many ports", Request{MaxPorts: 100, Items: []Item{{Ports: portList(t, "1-60,U:1-60"), Targets: []string{"198.18.0.1"}}}}, nil,
			"120 ports to test, more than 100"},
		{"list error", Request{Items: []Item{{Ports: p80, ReadTargets: func(func(...string) error) error { return errors.New("hosts.txt: unreadable") }}}}, nil,
			"hosts.txt: unreadable"},
		{"bad domain", Request{Items: []Item{{Ports: p80, Domain: &scan.Domain{Name: "lab_.example!"}, Pos: "p.json:4"}}}, nil,
			`p.json:4: scan: domain "lab_.example!": only letters, digits, '-' and '_' may make a label`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(context.Background(), tt.req)
			if err == nil || err.Error() != tt.want || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("error %v\nwant %q", err, tt.want)
			}
		})
	}
}

// The typed errors carry what consumers need to word them.
func TestBuildErrorTypes(t *testing.T) {
	cat, bts := load(t, "biztalk-send-server")
	_, err := Build(context.Background(), Request{Catalog: cat, Items: []Item{{Profiles: bts}}})
	var nothing *NothingToTestError
	if !errors.As(err, &nothing) || len(nothing.Unmapped) == 0 || nothing.Unmapped[0] != "fileshare" || slices.Contains(nothing.Unmapped, "") {
		t.Errorf("unmapped roles: %v", err)
	}
	_, err = Build(context.Background(), Request{MaxPorts: 1, Items: []Item{{Ports: portList(t, "80,443"), Targets: []string{"dc01"}}}})
	var tooMany *scan.TooManyPortsError
	if !errors.As(err, &tooMany) || *tooMany != (scan.TooManyPortsError{Ports: 2, Max: 1}) {
		t.Errorf("too many ports: %v", err)
	}
	_, err = Build(context.Background(), Request{Items: []Item{{}, {Ports: portList(t, "80"), Pos: "p.json:7"}}})
	var item *ItemError
	if !errors.As(err, &item) || item.Pos != "p.json:7" || !errors.Is(err, ErrNoTargets) {
		t.Errorf("item error: %v", err)
	}
}

// One plan of three items: the first item's targets are scanned on the
// plan's ports (exclusions applied), every other target and role host
// carries its own; the counts are the hosts and the results before replies.
func TestBuildPlan(t *testing.T) {
	cat, bts := load(t, "biztalk-send-server")
	pl, err := Build(context.Background(), Request{Catalog: cat, MaxHosts: 10, Items: []Item{
		{Ports: portList(t, "T:80-81"), Targets: []string{"198.18.0.0/30"}, Exclude: []string{"198.18.0.1"}},
		{Ports: portList(t, "U:53"), Targets: []string{"198.18.0.1", "dns01"}, Pos: "p.json:2"},
		{Profiles: bts, Roles: Roles{"smtp": {Key: "smtp", Host: "198.18.0.25"}}, Targets: []string{"bts01"}, Pos: "p.json:3"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []scan.Port{{Proto: results.TCP, Lo: 80, Hi: 81}}; !reflect.DeepEqual(pl.Scan.Ports, want) {
		t.Errorf("plan ports %+v, want %+v", pl.Scan.Ports, want)
	}
	var got []string
	for tg := range pl.Scan.Targets {
		s := tg.Name
		for _, p := range tg.Ports {
			s += " " + string(p.Proto) + "/" + results.PortRange{Lo: p.Lo, Hi: max(p.Lo, p.Hi)}.String()
		}
		got = append(got, s)
	}
	// 198.18.0.1 is excluded from the first item's block, not from the
	// second item, which names it; bts01 is not scanned: its profile checks
	// only destination roles.
	want := []string{"198.18.0.0", "198.18.0.2", "198.18.0.3", "198.18.0.1 udp/53", "dns01 udp/53", "198.18.0.25 tcp/25"}
	if !slices.Equal(got, want) {
		t.Errorf("targets\n got %q\nwant %q", got, want)
	}
	if pl.Hosts != 6 || pl.Ports != 3*2+2+1 {
		t.Errorf("counts: %d hosts, %d ports; want 6 and 9", pl.Hosts, pl.Ports)
	}
	if len(pl.Skipped) == 0 || pl.Skipped[0].State != results.Skipped || pl.Skipped[0].Target != "role fileshare" {
		t.Errorf("skipped %+v", pl.Skipped)
	}
}

// AllAddresses: an item's names, its targets' and its role hosts', are
// checked on every address; another item's are not.
func TestBuildAllAddresses(t *testing.T) {
	cat, bts := load(t, "biztalk-send-server")
	pl, err := Build(context.Background(), Request{Catalog: cat, Items: []Item{
		{Ports: portList(t, "T:80"), Targets: []string{"web01", "198.18.0.1"}, AllAddresses: true},
		{Ports: portList(t, "U:53"), Targets: []string{"dns01"}},
		{Profiles: bts, Roles: Roles{"smtp": {Key: "smtp", Host: "mail01"}}, AllAddresses: true},
		{Ports: portList(t, "T:443"), Targets: []string{"www01"}, AllAddresses: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for tg := range pl.Scan.Targets {
		got[tg.Name] = tg.AllAddresses
	}
	if want := map[string]bool{"web01": true, "198.18.0.1": false, "dns01": false, "mail01": true, "www01": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("AllAddresses %v, want %v", got, want)
	}
	for _, s := range []string{"", "first", "all"} {
		if all, err := ParseAddresses(s); err != nil || all != (s == "all") {
			t.Errorf("ParseAddresses(%q) = %v, %v", s, all, err)
		}
	}
	if _, err := ParseAddresses("both"); err == nil || err.Error() != `"both": want first or all` {
		t.Errorf("ParseAddresses(both): %v", err)
	}
}

// Expect: ad-hoc ports get a check saying where it was given; reachable and
// blocked also turn the profiles' must-be-open entries into themselves, on the
// targets and on the role hosts alike; the catalogue's profiles are not
// touched.
func TestBuildExpect(t *testing.T) {
	cat, ps := load(t, "domain-controller", "biztalk-send-server")
	build := func(e results.Expectation) *Plan {
		t.Helper()
		pl, err := Build(context.Background(), Request{Catalog: cat, Items: []Item{{
			Profiles: ps, Roles: Roles{"sql": {Key: "sql", Host: "198.18.0.14", Instance: "BTS"}},
			Ports: portList(t, "8080"), Expect: e, ExpectFrom: "--expect " + string(e), Targets: []string{"dc01"},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		return pl
	}
	expects := func(pl *Plan) map[results.Expectation]int {
		n := map[results.Expectation]int{}
		for tg := range pl.Scan.Targets {
			ports := tg.Ports
			if ports == nil {
				ports = pl.Scan.Ports
			}
			for _, p := range ports {
				if p.Check != nil {
					n[p.Check.Expect]++
				}
				for _, i := range p.Instances {
					n[i.Check.Expect]++
				}
			}
		}
		return n
	}
	open := build(results.ExpectOpen)
	adhoc := open.Scan.Ports[len(open.Scan.Ports)-1]
	if adhoc.Lo != 8080 || adhoc.Check.Expect != results.ExpectOpen || adhoc.Check.Purpose != "--expect open" {
		t.Errorf("ad-hoc port %+v %+v", adhoc, adhoc.Check)
	}
	before := expects(open)
	for _, e := range []results.Expectation{results.ExpectReachable, results.ExpectBlocked} {
		after := expects(build(e))
		if after[results.ExpectOpen] != 0 || after[e] != before[results.ExpectOpen] ||
			after[results.ExpectClosed] != before[results.ExpectClosed] || before[results.ExpectOpen] < 10 {
			t.Errorf("expectations with open %v, with %s %v", before, e, after)
		}
		if again := expects(build(results.ExpectOpen)); !reflect.DeepEqual(again, before) {
			t.Errorf("%s changed the profiles' own checks: %v, then %v", e, before, again)
		}
	}
	none := build(results.ExpectNone)
	if p := none.Scan.Ports[len(none.Scan.Ports)-1]; p.Lo != 8080 || p.Check != nil {
		t.Errorf("no expectation: ad-hoc port %+v", p)
	}
}

// Listed targets are counted as they are read: a huge list is refused after
// the limit's worth, and a cancelled context ends the reading.
func TestBuildReadTargets(t *testing.T) {
	calls := 0
	read := func(add func(...string) error) error {
		for range 1000 {
			calls++
			if err := add("198.18.0.1"); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := Build(context.Background(), Request{MaxHosts: 10, Items: []Item{{Ports: portList(t, "80"), ReadTargets: read}}})
	if !errors.Is(err, scan.ErrTooManyHosts) || calls != 11 {
		t.Errorf("%v after %d additions, want too many hosts after 11", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls = 0
	_, err = Build(ctx, Request{Items: []Item{{Ports: portList(t, "80"), ReadTargets: read}}})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("cancelled: %v after %d additions", err, calls)
	}
}

// A plan file's items: profiles looked up, roles read once (an instance name
// is checked here, not again when building), positions kept.
func TestPlanItems(t *testing.T) {
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	in := `{"items": [
  {"profiles": ["domain-controller"], "targets": ["dc01"]},
  {"profiles": ["biztalk-send-server"], "roles": {"sql": "sql01\\BTS", "smtp": "mail01"}}
]}`
	pf, err := profiles.ParsePlan(strings.NewReader(in), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	items, err := PlanItems(cat, pf)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Pos != "p.json:2" || items[0].Profiles[0].Slug != "domain-controller" || items[0].Targets[0] != "dc01" ||
		items[1].Roles["sql"] != (Role{Key: "sql", Host: "sql01", Instance: "BTS"}) || items[1].Roles["smtp"].Value() != "mail01" {
		t.Errorf("items %+v", items)
	}
	pf, err = profiles.ParsePlan(strings.NewReader(strings.Replace(in, `sql01\\BTS`, `sql01\\ABCDEFGHIJKLMNOPQ`, 1)), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = PlanItems(cat, pf)
	var item *ItemError
	if !errors.As(err, &item) || err.Error() != `p.json:3: role sql=sql01\ABCDEFGHIJKLMNOPQ: instance name "ABCDEFGHIJKLMNOPQ": want 1 to 16 characters` {
		t.Errorf("bad instance: %v", err)
	}

	// Ports, an expectation and every address, as -p, --expect and
	// --addresses give them; mistakes name the item's line.
	pf, err = profiles.ParsePlan(strings.NewReader(`{"items": [
  {"ports": "T:88,445", "expect": "blocked", "targets": ["dc01"], "addresses": "all"}
]}`), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	items, err = PlanItems(cat, pf)
	if err != nil || len(items) != 1 || len(items[0].Ports) != 2 || items[0].Expect != results.ExpectBlocked || !items[0].AllAddresses ||
		items[0].ExpectFrom != `"expect": "blocked"` {
		t.Fatalf("ports item: %+v, %v", items, err)
	}
	for _, tc := range []struct{ item, want string }{
		{`{"ports": "T:0", "targets": ["a"]}`, `p.json:1: ports: `},
		{`{"ports": "T:1", "expect": "shut", "targets": ["a"]}`, `p.json:1: expect "shut": want open, closed, reachable or blocked`},
		{`{"ports": "T:1", "addresses": "both", "targets": ["a"]}`, `p.json:1: addresses "both": want first or all`},
	} {
		pf, err := profiles.ParsePlan(strings.NewReader(`{"items": [`+tc.item+`]}`), "p.json")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := PlanItems(cat, pf); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.item, err, tc.want)
		}
	}
}

// A plan item with "trace": true has its ports traced (scan.Port.Trace), its
// role hosts' too; another item's are not.
func TestPlanItemTrace(t *testing.T) {
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := profiles.ParsePlan(strings.NewReader(`{"items": [
  {"profiles": ["domain-controller"], "targets": ["198.18.0.1"]},
  {"profiles": ["biztalk-send-server"], "targets": ["198.18.0.2"], "roles": {"sql": "198.18.0.3"}, "trace": true}
]}`), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	items, err := PlanItems(cat, pf)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := Build(context.Background(), Request{Catalog: cat, Items: items})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(pl.Scan.Ports, func(p scan.Port) bool { return p.Trace }) {
		t.Errorf("the first item's ports are traced")
	}
	n := 0
	for tg := range pl.Scan.Targets {
		if tg.Ports == nil {
			continue
		}
		n++
		if slices.ContainsFunc(tg.Ports, func(p scan.Port) bool { return !p.Trace }) {
			t.Errorf("%s: a port of the traced item is not traced", tg.Name)
		}
	}
	if n != 1 {
		t.Errorf("%d hosts of the traced item, want 1: its sql role host (its profile checks nothing on its targets)", n)
	}
}

// A domain's DCs are the item's targets: none need be named; the domain gets
// the item's own ports, and nothing it will find is counted yet.
func TestBuildDomain(t *testing.T) {
	cat, dc := load(t, "ad-dc-2016-2025")
	d := &scan.Domain{Name: "lab.example", Site: "Site-A"}
	pl, err := Build(context.Background(), Request{Catalog: cat, Items: []Item{{Profiles: dc, Ports: portList(t, "U:5353"), Domain: d}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Scan.Domains) != 1 || pl.Scan.Domains[0].Name != "lab.example" || pl.Scan.Domains[0].Site != "Site-A" ||
		!reflect.DeepEqual(pl.Scan.Domains[0].Ports, pl.Scan.Ports) || len(pl.Scan.Ports) < 10 {
		t.Errorf("domains %+v, plan ports %d", pl.Scan.Domains, len(pl.Scan.Ports))
	}
	if d.Ports != nil {
		t.Error("the item's domain was changed")
	}
	if last := pl.Scan.Ports[len(pl.Scan.Ports)-1]; last.Lo != 5353 {
		t.Errorf("ad-hoc ports not last: %+v", last)
	}
	n := 0
	for range pl.Scan.Targets {
		n++
	}
	if n != 0 || pl.Hosts != 0 || pl.Ports != 0 {
		t.Errorf("%d targets, %d hosts, %d ports planned before the locator runs", n, pl.Hosts, pl.Ports)
	}
	// Targets named beside it are scanned on the same ports.
	pl, err = Build(context.Background(), Request{Catalog: cat, Items: []Item{{Profiles: dc, Domain: d, Targets: []string{"dc03"}}}})
	if err != nil || pl.Hosts != 1 || len(pl.Scan.Domains) != 1 {
		t.Fatalf("with a target: %v, %+v", err, pl)
	}
}

func TestParseDNSServer(t *testing.T) {
	for in, want := range map[string]string{
		"198.18.1.2": "198.18.1.2:53", "198.18.1.2:5353": "198.18.1.2:5353", "[2001:db8::53]:53": "[2001:db8::53]:53",
		"2001:db8::53": "[2001:db8::53]:53", "[2001:db8::53]": "[2001:db8::53]:53", "::ffff:198.18.1.2": "198.18.1.2:53",
	} {
		if got, err := ParseDNSServer(in); err != nil || got.String() != want {
			t.Errorf("ParseDNSServer(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"dc01.lab.example": `"dc01.lab.example": want an IP address, optionally with a port (198.18.1.2, 198.18.1.2:5353, [2001:db8::53]:53)`,
		"198.18.1.2:0":     `"198.18.1.2:0": port 0`,
		"198.18.1.2:99999": `"198.18.1.2:99999": want an IP address, optionally with a port (198.18.1.2, 198.18.1.2:5353, [2001:db8::53]:53)`,
		"fe80::1%eth0":     `"fe80::1%eth0": want an IP address, optionally with a port (198.18.1.2, 198.18.1.2:5353, [2001:db8::53]:53)`,
		"":                 `"": want an IP address, optionally with a port (198.18.1.2, 198.18.1.2:5353, [2001:db8::53]:53)`,
	} {
		if _, err := ParseDNSServer(in); err == nil || err.Error() != want {
			t.Errorf("ParseDNSServer(%q): %v, want %q", in, err, want)
		}
	}
}

// A plan item's domain, site and DNS server become the item's Domain.
func TestPlanItemDomain(t *testing.T) {
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	parse := func(in string) ([]Item, error) {
		pf, err := profiles.ParsePlan(strings.NewReader(in), "p.json")
		if err != nil {
			return nil, err
		}
		return PlanItems(cat, pf)
	}
	items, err := parse(`{"items": [{"profiles": ["ad-dc-2016-2025"], "domain": "lab.example", "site": "Site-A", "dns_server": "198.18.1.2"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if d := items[0].Domain; d == nil || d.Name != "lab.example" || d.Site != "Site-A" || d.DNSServer.String() != "198.18.1.2:53" {
		t.Errorf("domain %+v", d)
	}
	if _, err := parse(`{"items": [{"profiles": ["ad-dc-2016-2025"], "domain": "lab.example", "dns_server": "dc01"}]}`); err == nil ||
		err.Error() != `p.json:1: dns_server "dc01": want an IP address, optionally with a port (198.18.1.2, 198.18.1.2:5353, [2001:db8::53]:53)` {
		t.Errorf("bad DNS server: %v", err)
	}
}
