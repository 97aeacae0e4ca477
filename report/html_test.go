package report

import (
	"bytes"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// The writer keeps counts for every result but lists only a bounded number of
// met checks and replies per host, and says how many it left out.
func TestHTMLBounded(t *testing.T) {
	var b bytes.Buffer
	hw := NewHTMLWriter(&b, HTMLOptions{})
	addr := netip.MustParseAddr("198.18.1.2")
	check := &results.Check{Expect: results.ExpectOpen, Purpose: "--expect open"}
	const n = maxListed + 700
	for p := 1; p <= n; p++ {
		if err := hw.Write(results.Result{Target: "h", Addr: addr, Proto: results.TCP, Port: uint16(p), State: results.Open, Reason: results.ReasonSynAck,
			Detail: "banner", Check: check}); err != nil {
			t.Fatal(err)
		}
		if err := hw.Write(results.Result{Target: "h", Addr: addr, Proto: results.UDP, Port: uint16(p), State: results.Filtered, Reason: results.ReasonNoResponse, Check: check}); err != nil {
			t.Fatal(err)
		}
	}
	h := hw.hosts[hostKey{Target: "h", Addr: addr}]
	if len(h.met) != maxListed || h.moreMet != n-maxListed || len(h.failing) != maxListed || h.moreFailing != n-maxListed ||
		len(h.replies) != maxListed || h.Ports != 2*n {
		t.Fatalf("kept %d met (+%d), %d failing (+%d), %d replies, %d ports", len(h.met), h.moreMet, len(h.failing), h.moreFailing, len(h.replies), h.Ports)
	}
	if err := hw.Close(&results.Report{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FAIL</span> 1200 of 2400 checks failed on 1 of 1 host", "700 more failing checks, not listed",
		"700 more checks met, not listed.", "700 more replies, not listed."} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// Text from the network is escaped: a reply cannot add markup to the report.
func TestHTMLEscapes(t *testing.T) {
	var b bytes.Buffer
	rep := &results.Report{Command: []string{"portreach", "scan", "<b>"}, Results: []results.Result{{Target: "<img src=x>", Proto: results.UDP, Port: 161,
		State: results.Open, Reason: results.ReasonUDPResponse, Probe: "snmp", Detail: `<script>alert(1)</script>`}}}
	if err := WriteHTML(&b, rep, HTMLOptions{Machine: "<i>"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<img", "<b>", "<i>"} {
		if strings.Contains(b.String(), bad) {
			t.Errorf("report contains %q unescaped", bad)
		}
	}
}

// Remedy follows the reason, and the expectation for an open port that must be
// closed; met checks and results without a check have none.
func TestRemedy(t *testing.T) {
	open := &results.Check{Expect: results.ExpectOpen}
	for _, tc := range []struct {
		r    results.Result
		want string
	}{
		{results.Result{State: results.Filtered, Reason: results.ReasonNoResponse, Check: open}, "a firewall on the path"},
		{results.Result{State: results.Filtered, Reason: results.ReasonAdminProhibited, Check: open}, "A firewall rejected"},
		{results.Result{State: results.Closed, Reason: results.ReasonConnRefused, Check: open}, "no service is listening"},
		{results.Result{State: results.Open, Reason: results.ReasonSynAck, Check: &results.Check{Expect: results.ExpectClosed}}, "stop or uninstall the service"},
		{results.Result{State: results.Error, Reason: results.ReasonResolveFailed, Check: open}, "did not resolve"},
		{results.Result{State: results.Filtered, Reason: "some-new-reason", Check: open}, "Something on the path"},
		{results.Result{State: results.Open, Reason: results.ReasonSynAck, Check: open}, ""},
		{results.Result{State: results.Filtered, Reason: results.ReasonNoResponse}, ""},
	} {
		if got := Remedy(&tc.r); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%v %s expect %v: %q, want %q", tc.r.State, tc.r.Reason, tc.r.Check, got, tc.want)
		}
	}
	// Every reason that can fail a check has a fix of its own.
	for _, r := range results.Reasons() {
		if _, ok := remedies[r]; !ok && r != results.ReasonSynAck && r != results.ReasonUDPResponse && r != results.ReasonEPMListed && r != results.ReasonListening {
			t.Errorf("reason %s has no remedy in results/html.go's remedies", r)
		}
	}
}

// Replies go under the heading of their kind: a confirmed service whose details
// describe a TLS session under certificates, the endpoint mapper under RPC.
func TestHTMLReplyKinds(t *testing.T) {
	addr := netip.MustParseAddr("198.18.1.2")
	rep := &results.Report{Results: []results.Result{
		{Target: "h", Addr: addr, Proto: results.TCP, Port: 443, State: results.Open, Reason: results.ReasonSynAck, Probe: "https",
			Detail: "TLS 1.3, CN=mail.lab, expires 2027-03-01 (90 days)", Details: map[string]any{"service": "https", "tls": map[string]any{"version": "TLS 1.3"}}},
		{Target: "h", Addr: addr, Proto: results.TCP, Port: 135, State: results.Open, Reason: results.ReasonEPMListed, Probe: "epm", Detail: "12 endpoints"},
		{Target: "h", Addr: addr, Proto: results.TCP, Port: 25, State: results.Open, Reason: results.ReasonSynAck, Probe: "smtp", Detail: `"220 mail.lab ESMTP"`,
			Details: map[string]any{"service": "smtp", "banner": "220 mail.lab ESMTP"}},
	}}
	var b bytes.Buffer
	if err := WriteHTML(&b, rep, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, heading := range []string{"RPC endpoints and interfaces", "Certificates and TLS", "Other replies"} {
		if !strings.Contains(out, "<h4>"+heading+"</h4>") {
			t.Errorf("no %q heading", heading)
		}
	}
	if i, j := strings.Index(out, "<h4>Certificates and TLS</h4>"), strings.Index(out, "CN=mail.lab"); i < 0 || j < i || j > strings.Index(out, "<h4>Other replies</h4>") {
		t.Error("the certificate is not under its heading")
	}
}

// Replies are grouped by what produced them, with the names their producers
// set: the SQL Server Browser probe's own name and the instance label put the
// Browser's reply and the instances' ports under one heading (the writer once
// matched "sql-browser", which no probe is called), the endpoint mapper's
// results under another.
func TestHTMLReplyGroups(t *testing.T) {
	addr := netip.MustParseAddr("198.18.1.2")
	rep := &results.Report{Results: []results.Result{
		{Target: "sql", Addr: addr, Proto: results.UDP, Port: 1434, State: results.Open, Probe: probes.SQLBrowser.Name, Detail: "1 instance: SQLEXPRESS tcp 49733"},
		{Target: "sql", Addr: addr, Proto: results.TCP, Port: 49733, State: results.Open, Under: results.InstanceLabel("SQLEXPRESS"), Via: "1434/udp"},
		{Target: "sql", Addr: addr, Proto: results.TCP, Port: 135, State: results.Open, Probe: results.ProbeEPM, Detail: "3 endpoints"},
		{Target: "sql", Addr: addr, Proto: results.UDP, Port: 53, State: results.Open, Probe: "dns", Detail: "NOERROR"},
	}}
	var b bytes.Buffer
	if err := WriteHTML(&b, rep, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	section := func(title string) string {
		_, rest, ok := strings.Cut(b.String(), title)
		if !ok {
			t.Fatalf("no %q heading:\n%s", title, b.String())
		}
		s, _, _ := strings.Cut(rest, "</table>")
		return s
	}
	for title, want := range map[string][]string{
		"SQL Server instances":         {"1434/udp", "49733/tcp instance SQLEXPRESS"},
		"RPC endpoints and interfaces": {"135/tcp"},
		"Other replies":                {"53/udp"},
	} {
		s := section(title)
		for _, w := range want {
			if !strings.Contains(s, ">"+w+"<") {
				t.Errorf("%s lacks %s:\n%s", title, w, s)
			}
		}
	}
}

// A policy run's report opens with its grid: a row per source, a column per
// destination, each cell coloured by its verdict and linking to the section
// of its ports; a source that measured nothing is a cell of its own colour;
// a cell nothing checked is a dash without a link. The same (source,
// destination) checked by two rules makes a column per rule.
func TestHTMLMatrix(t *testing.T) {
	d1, d2 := netip.MustParseAddr("198.18.1.2"), netip.MustParseAddr("198.18.1.3")
	open := &results.Check{Expect: results.ExpectOpen}
	r := func(src string, rule string, addr netip.Addr, s results.State, why results.Reason) results.Result {
		return results.Result{Target: addr.String(), Addr: addr, Proto: results.TCP, Port: 80, State: s, Reason: why, Check: open,
			Vantage: &results.Vantage{Name: src}, Rule: rule}
	}
	for _, c := range []struct {
		name string
		in   []results.Result
		want string
	}{
		{"one rule", []results.Result{
			r("app", "rule 1", d1, results.Filtered, results.ReasonAdminProhibited),
			r("app", "rule 1", d2, results.Open, results.ReasonSynAck),
			r("lan", "rule 1", d1, results.Open, results.ReasonSynAck),
			{Target: d1.String(), Proto: results.TCP, Port: 80, State: results.Unknown, Reason: results.ReasonSourceRefused, Check: open,
				Vantage: &results.Vantage{Name: "bad"}, Rule: "rule 1"},
		},
			`<tr><th>source → destination</th><th>198.18.1.2</th><th>198.18.1.3</th></tr>
<tr><th>app</th><td class="cell fail"><a href="#host-1">FAIL 1</a></td><td class="cell pass"><a href="#host-3">PASS</a></td></tr>
<tr><th>bad</th><td class="cell source"><a href="#host-2">source-refused</a></td><td class="cell none">—</td></tr>
<tr><th>lan</th><td class="cell pass"><a href="#host-4">PASS</a></td><td class="cell none">—</td></tr>`},
		{"two rules", []results.Result{
			r("app", "rule 1", d1, results.Open, results.ReasonSynAck),
			r("app", "rule 2", d1, results.Closed, results.ReasonConnRefused),
		},
			`<tr><th>source → destination</th><th>rule 1: 198.18.1.2</th><th>rule 2: 198.18.1.2</th></tr>
<tr><th>app</th><td class="cell pass"><a href="#host-2">PASS</a></td><td class="cell fail"><a href="#host-1">FAIL 1</a></td></tr>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			hw := NewHTMLWriter(&b, HTMLOptions{})
			for _, x := range c.in {
				if err := hw.Write(x); err != nil {
					t.Fatal(err)
				}
			}
			if err := hw.Close(&results.Report{}); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			if !strings.Contains(page, c.want) {
				t.Errorf("the grid is not\n%s\nin\n%s", c.want, page)
			}
			// Each link's section is the cell's.
			for _, m := range regexp.MustCompile(`<th>([^<]*)</th>(.*)</tr>`).FindAllStringSubmatch(c.want, -1) {
				if m[1] == "source → destination" {
					continue
				}
				for _, l := range regexp.MustCompile(`href="#(host-\d+)"`).FindAllStringSubmatch(m[2], -1) {
					sec := regexp.MustCompile(`<section class="host" id="` + l[1] + `">\s*<h2>([^<]*)`).FindStringSubmatch(page)
					if sec == nil || !strings.HasPrefix(sec[1], m[1]+" → ") {
						t.Errorf("%s's link #%s goes to %q", m[1], l[1], sec)
					}
				}
			}
		})
	}
	// Outside a policy run, no grid.
	var b bytes.Buffer
	if err := WriteHTML(&b, fixtureReport(), HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `class="matrix"`) {
		t.Error("a report without sources has a grid")
	}
}
