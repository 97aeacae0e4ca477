package report

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/results"
)

func table(t *testing.T, rep *results.Report, opt TableOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteTable(&b, rep, opt); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func fields(line string) []string { return strings.Fields(line) }

// lineWith returns the table line whose first field is port.
func lineWith(t *testing.T, out, port string) []string {
	t.Helper()
	for l := range strings.Lines(out) {
		if f := fields(l); len(f) > 0 && f[0] == port {
			return f
		}
	}
	t.Fatalf("no line for %s in\n%s", port, out)
	return nil
}

func filteredRun(from, to uint16) []results.Result {
	a := netip.MustParseAddr("198.18.1.2")
	var rs []results.Result
	for p := from; p <= to; p++ {
		rs = append(rs, results.Result{Target: "198.18.1.2", Addr: a, Proto: results.TCP, Port: p, State: results.Filtered, Reason: "no-response", Attempts: 2})
	}
	return rs
}

func TestTableCompressesRuns(t *testing.T) {
	rs := filteredRun(50101, 50200)
	out := table(t, &results.Report{Results: rs}, TableOptions{})
	if got := lineWith(t, out, "50101-50200/tcp"); strings.Join(got, " ") != "50101-50200/tcp filtered no-response (100) -" {
		t.Errorf("range row %q", got)
	}
	if n := strings.Count(out, "/tcp"); n != 1 {
		t.Errorf("%d port rows, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "100 ports: 100 filtered") {
		t.Errorf("no summary line:\n%s", out)
	}
	verbose := table(t, &results.Report{Results: rs}, TableOptions{Verbose: true})
	if n := strings.Count(verbose, "/tcp"); n != 100 {
		t.Errorf("verbose shows %d port rows, want 100", n)
	}
}

// Runs break wherever one of the things a range row shows would differ.
func TestTableRangeBreaks(t *testing.T) {
	base := func() []results.Result { return filteredRun(1, 6) }
	for _, tc := range []struct {
		name   string
		change func(rs []results.Result)
		want   []string // first fields of the port rows
	}{
		{"gap", func(rs []results.Result) { rs[3].Port = 10 }, []string{"1-3/tcp", "5-6/tcp", "10/tcp"}},
		{"state", func(rs []results.Result) { rs[2].State = results.Closed; rs[2].Reason = "no-response" }, []string{"1-2/tcp", "3/tcp", "4-6/tcp"}},
		{"reason", func(rs []results.Result) { rs[2].Reason = "host-unreachable" }, []string{"1-2/tcp", "3/tcp", "4-6/tcp"}},
		{"proto", func(rs []results.Result) { rs[2].Proto = results.UDP }, []string{"1-2/tcp", "4-6/tcp", "3/udp"}},
		{"detail", func(rs []results.Result) { rs[2].Detail = "x" }, []string{"1-2/tcp", "3/tcp", "4-6/tcp"}},
		{"check", func(rs []results.Result) { rs[2].Check = &results.Check{Expect: results.ExpectOptional} }, []string{"1-2/tcp", "3/tcp", "4-6/tcp"}},
		{"failing first", func(rs []results.Result) { rs[2].Check = &results.Check{Expect: results.ExpectOpen} }, []string{"3/tcp", "1-2/tcp", "4-6/tcp"}},
		{"equal checks merge", func(rs []results.Result) {
			c := results.Check{Profiles: []string{"p"}, Expect: results.ExpectOptional}
			for i := range rs {
				cc := c
				rs[i].Check = &cc
			}
		}, []string{"1-6/tcp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := base()
			tc.change(rs)
			out := table(t, &results.Report{Results: rs}, TableOptions{})
			var got []string
			for l := range strings.Lines(out) {
				if f := fields(l); len(f) > 0 && strings.Contains(f[0], "/") {
					got = append(got, f[0])
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("rows %q, want %q\n%s", got, tc.want, out)
			}
		})
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Colour changes nothing but the escapes: with them removed, and the padding
// they would have shifted, the text is the plain table.
func TestTableColorOnlyAddsEscapes(t *testing.T) {
	plain := table(t, fixtureReport(), TableOptions{})
	color := table(t, fixtureReport(), TableOptions{Color: true})
	if !strings.Contains(color, "\x1b[") {
		t.Fatal("no escapes in colour mode")
	}
	if strings.Contains(plain, "\x1b") {
		t.Fatal("escapes in plain mode")
	}
	pl := strings.Split(plain, "\n")
	cl := strings.Split(color, "\n")
	if len(pl) != len(cl) {
		t.Fatalf("%d lines in colour, %d plain", len(cl), len(pl))
	}
	for i := range pl {
		stripped := strings.TrimRight(ansi.ReplaceAllString(cl[i], ""), " ")
		if stripped != pl[i] {
			t.Errorf("line %d\ncolour %q\nplain  %q", i, stripped, pl[i])
		}
	}
}

func TestTableFollowUps(t *testing.T) {
	out := table(t, fixtureReport(), TableOptions{})
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "1434/udp") {
			if !strings.Contains(lines[i+1], "`- 1433/tcp") || !strings.Contains(lines[i+1], "instance MSSQLSERVER") ||
				!strings.Contains(lines[i+2], "`- 49733/tcp") {
				t.Errorf("follow-ups not under 1434/udp:\n%s", strings.Join(lines[i:i+3], "\n"))
			}
			return
		}
	}
	t.Fatal("no 1434/udp row")
}

// A follow-up whose parent is not in the results still shows, saying where it came from.
func TestTableOrphanFollowUp(t *testing.T) {
	a := netip.MustParseAddr("198.18.1.2")
	rep := &results.Report{Results: []results.Result{{Target: "s", Addr: a, Proto: results.TCP, Port: 1433, State: results.Open, Reason: "syn-ack",
		RTT: 2 * time.Millisecond, Under: "instance MSSQLSERVER", Via: "1434/udp"}}}
	out := table(t, rep, TableOptions{})
	if !strings.Contains(out, "1433/tcp") || !strings.Contains(out, "instance MSSQLSERVER (via 1434/udp)") {
		t.Errorf("orphan follow-up:\n%s", out)
	}
}

func TestTableFailingEntriesExplained(t *testing.T) {
	out := table(t, fixtureReport(), TableOptions{})
	i := strings.Index(out, "443/tcp")
	if i < 0 || !strings.Contains(out[i:], "purpose: Outlook, OWA and EWS clients") {
		t.Fatalf("failing 443/tcp has no purpose:\n%s", out)
	}
	if strings.Contains(out, "purpose: mail from other transport servers") {
		t.Error("a passing entry shows its purpose without Verbose")
	}
	if !strings.Contains(table(t, fixtureReport(), TableOptions{Verbose: true}), "purpose: mail from other transport servers") {
		t.Error("Verbose hides a passing entry's purpose")
	}
	mail := out[strings.Index(out, "198.18.1.2 (mail01)"):]
	if strings.Index(mail, "3389/tcp") > strings.Index(mail, "25/tcp") {
		t.Error("failing 3389/tcp is not listed before passing 25/tcp")
	}
}

func TestTableEmptyAndFlags(t *testing.T) {
	if got := table(t, &results.Report{}, TableOptions{}); got != "0 hosts, 0 ports, nothing expected.\n" {
		t.Errorf("empty report: %q", got)
	}
	out := table(t, &results.Report{Incomplete: true, Results: []results.Result{{Target: "x", Proto: results.TCP, Port: 1}}}, TableOptions{})
	if !strings.Contains(out, "Stopped at --max-time: 1 port did not finish") {
		t.Errorf("incomplete run not reported:\n%s", out)
	}
}

func TestFormatRTT(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "-"}, {412 * time.Microsecond, "0.41ms"}, {3250 * time.Microsecond, "3.2ms"},
		{42 * time.Millisecond, "42ms"}, {1500 * time.Millisecond, "1.50s"},
	} {
		if got := formatRTT(tc.d); got != tc.want {
			t.Errorf("formatRTT(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := rttRange(300*time.Microsecond, 2*time.Millisecond); got != "0.30-2.0ms" {
		t.Errorf("rttRange = %q", got)
	}
}

func TestTablePassWithUntested(t *testing.T) {
	a := netip.MustParseAddr("198.18.1.5")
	need := &results.Check{Profiles: []string{"p"}, Expect: results.ExpectOpen}
	rep := &results.Report{Results: []results.Result{
		{Target: "198.18.1.5", Addr: a, Proto: results.TCP, Port: 443, State: results.Open, Reason: "syn-ack", Check: need},
		{Target: "198.18.1.5", Addr: a, Proto: "gre", State: results.NotTested, Reason: "ip-protocol", Check: need},
	}}
	out := table(t, rep, TableOptions{})
	for _, want := range []string{
		"198.18.1.5  PASS  1 check met, 1 not tested\n",
		"PASS: 1 check met on 1 host (1 not tested).\n",
		"untested: must be open",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// A check whose port nothing revealed ("?/tcp not-registered") is not a closed
// port, and a role nobody mapped is not a host: one server with three unmapped
// roles is "1 host", not "1 of 4 hosts" (issue 18 item 11). HTML says the same.
func TestTableCountsPortsAndHosts(t *testing.T) {
	a := netip.MustParseAddr("198.18.1.6")
	need := &results.Check{Profiles: []string{"msdtc"}, Expect: results.ExpectOpen}
	notRegistered := results.Result{Target: "198.18.1.6", Addr: a, Proto: results.TCP, State: results.Closed, Reason: results.ReasonNotRegistered,
		Probe: "epm", Via: "135/tcp", Check: need}
	notRegistered.Fail(results.ReasonNotRegistered)
	rs := []results.Result{
		{Target: "198.18.1.6", Addr: a, Proto: results.TCP, Port: 135, State: results.Open, Reason: results.ReasonEPMListed, Probe: "epm", Check: need},
		notRegistered,
	}
	for _, role := range []string{"sql", "smtp", "fileshare"} {
		rs = append(rs, results.Result{Target: "role " + role, Proto: results.TCP, Port: 445, State: results.Skipped, Reason: results.ReasonRoleUnmapped,
			Check: &results.Check{Profiles: []string{"biztalk"}, Expect: results.ExpectOpen, Role: role}})
	}
	out := table(t, &results.Report{Results: rs}, TableOptions{})
	for _, want := range []string{
		"1 port: 1 open\n",
		"FAIL: 1 of 5 checks failed on 1 of 1 host (3 not tested; 3 roles not mapped to a host).\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, &results.Report{Results: rs}, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "1 of 5 checks failed on 1 of 1 host (3 not tested; 3 roles not mapped to a host)"; !strings.Contains(b.String(), want) {
		t.Errorf("HTML lacks %q", want)
	}
	for _, h := range results.Summarize(rs) {
		if h.Target == "198.18.1.6" && (h.Ports != 1 || h.States[results.Closed] != 0 || h.Checks != 2 || h.Failed != 1 || h.Unmapped()) ||
			h.Target != "198.18.1.6" && !h.Unmapped() {
			t.Errorf("host %+v", h)
		}
	}
}

// Text from replies and users cannot break the columns or reach the terminal as
// escape sequences.
func TestTableNeutralisesControlCharacters(t *testing.T) {
	a := netip.MustParseAddr("198.18.1.7")
	rep := &results.Report{Results: []results.Result{
		{Target: "evil\x1b]0;pwned\x07", Addr: a, Proto: results.UDP, Port: 161, State: results.Open, Reason: "udp-response", Probe: "snmp",
			Detail: "Linux gw\r\n\x1b[2Jcleared\tcell\u009b"},
		{Target: "raw", Addr: a, Proto: results.UDP, Port: 162, State: results.Open, Reason: "udp-response", Detail: "csi\x9b"},
	}}
	for _, color := range []bool{false, true} {
		out := table(t, rep, TableOptions{Color: color})
		plain := ansi.ReplaceAllString(out, "")
		if strings.ContainsAny(plain, "\x1b\x07\t\r\u009b") || strings.Contains(plain, "\x9b") {
			t.Errorf("control characters reach the output: %q", plain)
		}
		if !strings.Contains(plain, `snmp  Linux gw  \x1b[2Jcleared cell\x9b`) || !strings.Contains(plain, `(evil\x1b]0;pwned\x07)`) {
			t.Errorf("text not shown escaped: %q", plain)
		}
		if !strings.Contains(plain, "csi\ufffd") {
			t.Errorf("a raw C1 byte is not replaced: %q", plain)
		}
		if n := strings.Count(plain, "\n"); n != 11 {
			t.Errorf("%d lines, want 11: %q", n, plain)
		}
	}
}

// TestTableWriter: the table built from results written one at a time, out
// of order, is WriteTable's byte for byte (results equal in Sort order, a port
// reported twice, keep the order they came in); with OnlyFailing (it then keeps
// only the failing results) too, with the whole run's titles and verdict.
func TestTableWriter(t *testing.T) {
	rep := fixtureReport()
	rep.Drift = results.Diff(fixtureReport(), rep, testDriftRules)
	// A follow-up under a port inside a run of alike ports, and a port reported
	// twice, once with detail.
	mail := rep.Results[0].Addr
	for p := uint16(7000); p < 7010; p++ {
		rep.Results = append(rep.Results, results.Result{Target: "mail01", Addr: mail, Proto: results.TCP, Port: p, State: results.Closed, Reason: results.ReasonConnRefused, RTT: time.Duration(p) * time.Microsecond})
	}
	rep.Results = append(rep.Results,
		results.Result{Target: "mail01", Addr: mail, Proto: results.TCP, Port: 7100, State: results.Open, Reason: results.ReasonSynAck, Via: "7004/tcp", Under: "instance X"},
		results.Result{Target: "mail01", Addr: mail, Proto: results.TCP, Port: 7007, State: results.Closed, Reason: results.ReasonConnRefused, Detail: "again"})
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(rep.Results), reflect.Swapper(rep.Results))
	for _, opt := range []TableOptions{{}, {Verbose: true}, {Color: true}, {OnlyFailing: true}, {OnlyFailing: true, Verbose: true}} {
		var want, got bytes.Buffer
		if err := WriteTable(&want, rep, opt); err != nil {
			t.Fatal(err)
		}
		tw := NewTableWriter(&got, opt)
		for _, r := range rep.Results { // shuffled: not in Sort order
			if err := tw.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		end := *rep
		end.Results = nil
		if err := tw.Close(&end); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%+v: streamed table:\n%s\nwant:\n%s", opt, got.String(), want.String())
		}
		if opt.OnlyFailing && len(tw.rows) != len(results.Failed(rep.Results)) {
			t.Errorf("OnlyFailing kept %d results, want the %d failing ones", len(tw.rows), len(results.Failed(rep.Results)))
		}
	}
}

// A name checked on both families whose families disagree says so above the
// verdict.
func TestTableFamiliesDisagree(t *testing.T) {
	open := &results.Check{Expect: results.ExpectOpen}
	rep := &results.Report{Results: []results.Result{
		{Target: "dc01", Addr: netip.MustParseAddr("198.18.1.2"), Proto: results.TCP, Port: 445, State: results.Open, Reason: results.ReasonSynAck, Check: open},
		{Target: "dc01", Addr: netip.MustParseAddr("2001:2::2"), Proto: results.TCP, Port: 445, State: results.Filtered, Reason: results.ReasonNoResponse, Check: open},
	}}
	out := table(t, rep, TableOptions{})
	if want := "Families disagree: dc01: reachable over IPv4, filtered over IPv6.\nFAIL: 1 of 2 checks failed on 1 of 2 hosts."; !strings.Contains(out, want) {
		t.Errorf("table lacks %q:\n%s", want, out)
	}
}

func TestRecordsText(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"_ldap._tcp.dc._msdcs.lab.example"}, "_ldap._tcp.dc._msdcs (lab.example)"},
		{[]string{"_ldap._tcp.Site-A._sites.dc._msdcs.lab.example", "_gc._tcp.lab.example", "_kpasswd._tcp.LAB.example"},
			"_ldap._tcp.Site-A._sites.dc._msdcs, _gc._tcp, _kpasswd._tcp (lab.example)"},
		{[]string{"_ldap._tcp.dc._msdcs.child.lab.example", "_gc._tcp.lab.example"}, "_ldap._tcp.dc._msdcs.child, _gc._tcp (lab.example)"},
		{[]string{"_ldap._tcp.dc._msdcs.a.example", "_gc._tcp.b.test"}, "_ldap._tcp.dc._msdcs.a.example, _gc._tcp.b.test"},
	} {
		if got := recordsText(tc.in); got != tc.want {
			t.Errorf("recordsText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
