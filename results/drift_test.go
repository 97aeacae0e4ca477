package results_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/portreach/portreach/report"
	. "github.com/portreach/portreach/results"
)

var (
	driftA = netip.MustParseAddr("198.18.7.2")
	driftB = netip.MustParseAddr("198.18.7.3")
)

func dr(target string, a netip.Addr, p Proto, port uint16, s State) Result {
	return Result{Target: target, Addr: a, Proto: p, Port: port, State: s}
}

func withExpect(r Result, e Expectation) Result {
	r.Check = &Check{Profiles: []string{"p"}, Expect: e}
	return r
}

func withDetails(r Result, probe string, details any) Result {
	r.Probe, r.Details = probe, details
	return r
}

func under(r Result, u, probe string) Result {
	r.Under, r.Probe = u, probe
	return r
}

// change is a Change in the short form the table below compares.
type change struct {
	kind          DriftKind
	where         string
	text          string
	regression    bool
	before, after any
}

func TestDiff(t *testing.T) {
	sqlDetails := func(ports map[string]float64) map[string]any {
		var inst []any
		for _, name := range []string{"MSSQLSERVER", "SQLEXPRESS", "SQL2"} {
			if p, ok := ports[name]; ok {
				m := map[string]any{"server": "SQL01", "name": name, "clustered": false}
				if p != 0 {
					m["tcp_port"] = p
				}
				inst = append(inst, m)
			}
		}
		return map[string]any{"instances": inst}
	}
	// A probe struct on the current side, a map (as read back from JSON) on the
	// baseline side: they must compare alike.
	type ntpDetail struct {
		Stratum int    `json:"stratum"`
		Leap    int    `json:"leap"`
		RefID   string `json:"refid"`
	}
	type cldapDetail struct {
		Netlogon struct {
			FlagNames []string `json:"flag_names"`
			DNSDomain string   `json:"dns_domain"`
		} `json:"netlogon"`
	}
	cl := func(domain string, flags ...string) cldapDetail {
		var d cldapDetail
		d.Netlogon.FlagNames, d.Netlogon.DNSDomain = flags, domain
		return d
	}
	for _, tc := range []struct {
		name      string
		base, cur []Result
		want      []change
	}{
		{
			name: "nothing changed",
			base: []Result{withExpect(dr("h", driftA, TCP, 443, Open), ExpectOpen), dr("h", driftA, UDP, 53, OpenFiltered)},
			cur:  []Result{dr("h", driftA, UDP, 53, OpenFiltered), withExpect(dr("h", driftA, TCP, 443, Open), ExpectOpen)},
		},
		{
			name: "required port filtered, must-be-closed port opened, ad-hoc port closed",
			base: []Result{
				withExpect(dr("h", driftA, TCP, 443, Open), ExpectOpen),
				withExpect(dr("h", driftA, TCP, 3389, Closed), ExpectClosed),
				dr("h", driftA, TCP, 8080, Open),
			},
			cur: []Result{
				withExpect(dr("h", driftA, TCP, 443, Filtered), ExpectOpen),
				withExpect(dr("h", driftA, TCP, 3389, Open), ExpectClosed),
				dr("h", driftA, TCP, 8080, Closed),
			},
			want: []change{
				{DriftState, "443/tcp", "open → filtered", true, "open", "filtered"},
				{DriftState, "3389/tcp", "closed → open", true, "closed", "open"},
				{DriftState, "8080/tcp", "open → closed", false, "open", "closed"},
			},
		},
		{
			name: "a failing port that keeps failing, in another way, is no regression",
			base: []Result{withExpect(dr("h", driftA, TCP, 443, Closed), ExpectOpen)},
			cur:  []Result{withExpect(dr("h", driftA, TCP, 443, Filtered), ExpectOpen)},
			want: []change{{DriftState, "443/tcp", "closed → filtered", false, "closed", "filtered"}},
		},
		{
			name: "unknown on either side is not compared",
			base: []Result{dr("h", driftA, TCP, 1, Unknown), dr("h", driftA, TCP, 2, Open)},
			cur:  []Result{dr("h", driftA, TCP, 1, Open), dr("h", driftA, TCP, 2, Unknown)},
		},
		{
			name: "entries added and removed",
			base: []Result{dr("h", driftA, TCP, 80, Open), dr("h", driftA, UDP, 161, OpenFiltered)},
			cur:  []Result{dr("h", driftA, TCP, 80, Open), withExpect(dr("h", driftA, TCP, 636, Filtered), ExpectOpen), dr("h", driftA, "gre", 0, NotTested)},
			want: []change{
				{DriftPortAdded, "636/tcp", "new: filtered", true, nil, "filtered"},
				{DriftPortRemoved, "161/udp", "gone (was open|filtered)", false, "open|filtered", nil},
				{DriftPortAdded, "gre", "new: not-tested", false, nil, "not-tested"},
			},
		},
		{
			name: "hosts appeared and disappeared",
			base: []Result{dr("198.18.7.2", driftA, TCP, 80, Open)},
			cur:  []Result{dr("198.18.7.3", driftB, TCP, 80, Open), withExpect(dr("198.18.7.3", driftB, TCP, 81, Closed), ExpectOpen)},
			want: []change{
				{DriftHostRemoved, "", "host disappeared", false, nil, nil},
				{DriftHostAdded, "", "host appeared", true, nil, nil},
			},
		},
		{
			name: "a name that moved to another address is one host",
			base: []Result{dr("mail01", driftA, TCP, 25, Open)},
			cur:  []Result{dr("mail01", driftB, TCP, 25, Closed)},
			want: []change{
				{DriftAddress, "", "address 198.18.7.2 → 198.18.7.3", false, "198.18.7.2", "198.18.7.3"},
				{DriftState, "25/tcp", "open → closed", false, "open", "closed"},
			},
		},
		{
			name: "expectation edited",
			base: []Result{withExpect(dr("h", driftA, TCP, 445, Closed), ExpectOptional)},
			cur:  []Result{withExpect(dr("h", driftA, TCP, 445, Closed), ExpectOpen)},
			want: []change{{DriftExpect, "445/tcp", "expect optional → open", true, "optional", "open"}},
		},
		{
			name: "SQL instance moved: detail and follow-up port",
			base: []Result{
				withDetails(dr("h", driftA, UDP, 1434, Open), "sqlbrowser", sqlDetails(map[string]float64{"MSSQLSERVER": 1433, "SQLEXPRESS": 49152})),
				under(dr("h", driftA, TCP, 1433, Open), "instance MSSQLSERVER", "sqlbrowser"),
				under(dr("h", driftA, TCP, 49152, Open), "instance SQLEXPRESS", "sqlbrowser"),
			},
			cur: []Result{
				withDetails(dr("h", driftA, UDP, 1434, Open), "sqlbrowser", sqlDetails(map[string]float64{"MSSQLSERVER": 1433, "SQLEXPRESS": 49733, "SQL2": 0})),
				under(dr("h", driftA, TCP, 1433, Open), "instance MSSQLSERVER", "sqlbrowser"),
				under(dr("h", driftA, TCP, 49733, Filtered), "instance SQLEXPRESS", "sqlbrowser"),
			},
			want: []change{
				{DriftPortMoved, "49733/tcp instance SQLEXPRESS", "moved from 49152/tcp", false, float64(49152), float64(49733)},
				{DriftState, "49733/tcp instance SQLEXPRESS", "open → filtered", false, "open", "filtered"},
				{DriftDetail, "1434/udp", "sqlbrowser instances[SQLEXPRESS].tcp_port: 49152 → 49733", false, float64(49152), float64(49733)},
				{DriftDetail, "1434/udp", "sqlbrowser instances[].name: gained SQL2", false,
					[]any{"MSSQLSERVER", "SQLEXPRESS"}, []any{"MSSQLSERVER", "SQL2", "SQLEXPRESS"}},
			},
		},
		{
			name: "DC lost GC, NTP went to stratum 16; other fields are not compared",
			base: []Result{
				withDetails(dr("h", driftA, UDP, 389, Open), "cldap", map[string]any{"netlogon": map[string]any{
					"flag_names": []any{"PDC", "GC", "LDAP", "KDC"}, "dns_domain": "lab.example", "dns_host": "dc1.lab.example"}}),
				withDetails(dr("h", driftA, UDP, 123, Open), "ntp", map[string]any{"stratum": float64(2), "leap": float64(0), "refid": "GPS"}),
			},
			cur: []Result{
				withDetails(dr("h", driftA, UDP, 389, Open), "cldap", cl("lab.example", "KDC", "PDC", "LDAP", "WRITABLE")),
				withDetails(dr("h", driftA, UDP, 123, Open), "ntp", ntpDetail{Stratum: 16, Leap: 3, RefID: "INIT"}),
			},
			want: []change{
				{DriftDetail, "123/udp", "ntp leap: 0 → 3", false, float64(0), float64(3)},
				{DriftDetail, "123/udp", "ntp stratum: 2 → 16", false, float64(2), float64(16)},
				{DriftDetail, "389/udp", "cldap netlogon.flag_names[]: lost GC; gained WRITABLE", false,
					[]any{"GC", "KDC", "LDAP", "PDC"}, []any{"KDC", "LDAP", "PDC", "WRITABLE"}},
			},
		},
		{
			name: "details of another probe, or of a port that stopped answering, are not compared",
			base: []Result{
				withDetails(dr("h", driftA, UDP, 53, Open), "dns", map[string]any{"version": "9.18.1"}),
				withDetails(dr("h", driftA, UDP, 123, Open), "ntp", map[string]any{"stratum": float64(2)}),
			},
			cur: []Result{
				withDetails(dr("h", driftA, UDP, 53, Open), "dns", map[string]any{"version": "9.18.1"}),
				dr("h", driftA, UDP, 123, OpenFiltered),
			},
			want: []change{{DriftState, "123/udp", "open → open|filtered", false, "open", "open|filtered"}},
		},
		{
			name: "a DNS version that appeared",
			base: []Result{withDetails(dr("h", driftA, UDP, 53, Open), "dns", map[string]any{"root_ns": map[string]any{"rcode": "NOERROR"}})},
			cur: []Result{withDetails(dr("h", driftA, UDP, 53, Open), "dns", map[string]any{"root_ns": map[string]any{"rcode": "NOERROR"},
				"version": "9.18.49"})},
			want: []change{{DriftDetail, "53/udp", "dns version: (none) → 9.18.49", false, nil, "9.18.49"}},
		},
		{
			name: "a DNS server that now refuses",
			base: []Result{withDetails(dr("h", driftA, UDP, 53, Open), "dns", map[string]any{"root_ns": map[string]any{"rcode": "NOERROR", "answers": float64(13)}})},
			cur:  []Result{withDetails(dr("h", driftA, UDP, 53, Open), "dns", map[string]any{"root_ns": map[string]any{"rcode": "REFUSED", "answers": float64(0)}})},
			want: []change{{DriftDetail, "53/udp", "dns root_ns.rcode: NOERROR → REFUSED", false, "NOERROR", "REFUSED"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Diff(&Report{Results: tc.base}, &Report{Results: tc.cur}, testDriftRules)
			var got []change
			for _, c := range d.Changes {
				got = append(got, change{c.Kind, c.Where(), c.Text(), c.Regression, c.Before, c.After})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("changes:\n got %#v\nwant %#v", got, tc.want)
			}
			if d.Changes == nil {
				t.Error("Changes is nil; JSON must say [] when nothing changed")
			}
			// The same comparison holds when the baseline went through JSON.
			var b bytes.Buffer
			if err := report.WriteJSON(&b, &Report{Results: tc.base}); err != nil {
				t.Fatal(err)
			}
			read, err := report.ReadJSON(&b)
			if err != nil {
				t.Fatal(err)
			}
			again := Diff(read, &Report{Results: tc.cur}, testDriftRules)
			if !reflect.DeepEqual(again.Changes, d.Changes) {
				t.Errorf("after a JSON round trip of the baseline:\n got %+v\nwant %+v", again.Changes, d.Changes)
			}
		})
	}
}

// A change's values are plain JSON values, so that a Go user compares them
// as a reader of the JSON would.
func TestDriftValuesAreJSON(t *testing.T) {
	d := Diff(&Report{Results: []Result{dr("h", driftA, TCP, 1, Open)}}, &Report{Results: []Result{dr("h", driftA, TCP, 1, Closed)}}, testDriftRules)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"baseline":{"started":"0001-01-01T00:00:00Z","finished":"0001-01-01T00:00:00Z"},"changes":[{"kind":"state","target":"h","address":"198.18.7.2","proto":"tcp","port":1,"before":"open","after":"closed","regression":false}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

// --quiet's table: only failing hosts and entries, but the verdict and the
// changes of the whole run.
func TestTableOnlyFailing(t *testing.T) {
	rep := fixtureReport()
	var full, quiet bytes.Buffer
	if err := report.WriteTable(&full, rep, report.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteTable(&quiet, rep, report.TableOptions{OnlyFailing: true}); err != nil {
		t.Fatal(err)
	}
	lastLine := func(s string) string {
		lines := strings.Split(strings.TrimSpace(s), "\n")
		return lines[len(lines)-1]
	}
	if lastLine(quiet.String()) != lastLine(full.String()) {
		t.Errorf("verdict %q, want the whole run's %q", lastLine(quiet.String()), lastLine(full.String()))
	}
	for _, want := range []string{"198.18.1.2 (mail01)  from 198.18.0.1  FAIL  3 of 11 checks failed", "443/tcp", "3389/tcp", "88/tcp"} {
		if !strings.Contains(quiet.String(), want) {
			t.Errorf("quiet table lacks %q:\n%s", want, quiet.String())
		}
	}
	for _, unwanted := range []string{"25/tcp", "2001:db8::10", "50101", "nosuch.invalid"} {
		if strings.Contains(quiet.String(), unwanted) {
			t.Errorf("quiet table shows %q:\n%s", unwanted, quiet.String())
		}
	}

	// Nothing fails, something changed: the changes and the verdict only.
	pass := &Report{Results: []Result{withExpect(dr("h", driftA, TCP, 443, Open), ExpectOpen)}}
	pass.Drift = Diff(&Report{Results: []Result{withExpect(dr("h", driftA, TCP, 443, Filtered), ExpectOpen)}}, pass, testDriftRules)
	quiet.Reset()
	if err := report.WriteTable(&quiet, pass, report.TableOptions{OnlyFailing: true}); err != nil {
		t.Fatal(err)
	}
	want := "1 change since the baseline of 0001-01-01T00:00:00Z:\n" +
		"  HOST            PORT     CHANGE\n" +
		"  198.18.7.2 (h)  443/tcp  filtered → open\n" +
		"\n" +
		"PASS: 1 check met on 1 host.\n"
	if quiet.String() != want {
		t.Errorf("got\n%s\nwant\n%s", quiet.String(), want)
	}
}
