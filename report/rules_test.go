package report

import (
	"bytes"
	"io"
	"net/netip"
	"testing"

	"github.com/portreach/portreach/results"
)

// The firewall request: a line per (action, protocol, source address,
// destination address), ports merged into ranges, allows before denies; a
// check that must be open (or reachable) and was filtered is an allow, one
// that must be blocked (or closed) and answered is a deny; failures a
// firewall does not fix are counted by reason, not turned into rules; checks
// that were met give nothing.
func TestRules(t *testing.T) {
	dc := &results.Check{Profiles: []string{"ad-dc"}, Expect: results.ExpectOpen,
		Sources: []results.Source{{Document: "ms-ad-ports.md", Section: "table 1"}}}
	reach := &results.Check{Purpose: "firewall", Expect: results.ExpectReachable}
	blocked := &results.Check{Profiles: []string{"dmz"}, Expect: results.ExpectBlocked}
	closed := &results.Check{Profiles: []string{"hardening"}, Expect: results.ExpectClosed}
	app := &results.Vantage{Name: "app", Address: netip.MustParseAddr("198.18.0.9")}
	app10 := &results.Vantage{Name: "app2", Address: netip.MustParseAddr("198.18.0.10")}
	dmz := &results.Vantage{Name: "dmz", Address: netip.MustParseAddr("198.18.2.1")}
	gone := &results.Vantage{Name: "gone"}
	dc01 := netip.MustParseAddr("198.18.1.2")
	r := func(v *results.Vantage, c *results.Check, p results.Proto, port uint16, s results.State, why results.Reason) results.Result {
		return results.Result{Target: "dc01", Addr: dc01, Proto: p, Port: port, State: s, Reason: why, Check: c, Vantage: v, Rule: "rule 1"}
	}
	in := []results.Result{
		// allow tcp from app: 88, 389-390 (adjacent), 636; 389 twice (two rules)
		r(app, dc, results.TCP, 636, results.Filtered, results.ReasonNoResponse),
		r(app, dc, results.TCP, 389, results.Filtered, results.ReasonAdminProhibited),
		r(app, dc, results.TCP, 88, results.Filtered, results.ReasonNoResponse),
		r(app, dc, results.TCP, 390, results.Filtered, results.ReasonNoResponse),
		r(app, dc, results.TCP, 389, results.Filtered, results.ReasonAdminProhibited),
		// met: nothing
		r(app, dc, results.TCP, 445, results.Open, results.ReasonSynAck),
		// another source address: its own line, after 198.18.0.9 (numeric order)
		r(app10, dc, results.TCP, 88, results.Filtered, results.ReasonNoResponse),
		// UDP, reachable: after TCP
		r(app, reach, results.UDP, 53, results.Filtered, results.ReasonNoResponse),
		// deny: must be blocked and answered (open, and closed: the packet got through)
		r(dmz, blocked, results.TCP, 445, results.Open, results.ReasonSynAck),
		r(dmz, blocked, results.TCP, 139, results.Closed, results.ReasonConnRefused),
		r(dmz, blocked, results.TCP, 88, results.Filtered, results.ReasonNoResponse), // met
		// deny: must be closed and open
		r(app, closed, results.TCP, 3389, results.Open, results.ReasonSynAck),
		// no firewall rule fixes these
		r(app, dc, results.TCP, 3268, results.Closed, results.ReasonConnRefused),       // stopped service
		r(app, dc, results.UDP, 389, results.OpenFiltered, results.ReasonNoResponse),   // UDP silence
		r(gone, dc, results.TCP, 88, results.Unknown, results.ReasonSourceUnreachable), // measured nothing
		r(gone, dc, results.TCP, 389, results.Unknown, results.ReasonSourceUnreachable),
		{Target: "nosuch", Proto: results.TCP, State: results.Error, Reason: "no-such-host", Check: dc},
	}
	in[len(in)-5].Detail = "nothing listens"
	var b bytes.Buffer
	w := NewRulesWriter(&b)
	for _, x := range in {
		if err := w.Write(x); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	want := `allow tcp from 198.18.0.9 to 198.18.1.2 port 88,389-390,636  # dc01, no-response, admin-prohibited (source app; rule 1; ad-dc; ms-ad-ports.md)
allow tcp from 198.18.0.10 to 198.18.1.2 port 88  # dc01, no-response (source app2; rule 1; ad-dc; ms-ad-ports.md)
allow udp from 198.18.0.9 to 198.18.1.2 port 53  # dc01, no-response (source app; rule 1)
deny tcp from 198.18.0.9 to 198.18.1.2 port 3389  # dc01, syn-ack (source app; rule 1; hardening)
deny tcp from 198.18.2.1 to 198.18.1.2 port 139,445  # dc01, passed-firewall (source dmz; rule 1; dmz)
# and 5 failed checks that no firewall rule fixes (1 conn-refused, 1 no-response, 1 no-such-host, 2 source-unreachable): see the table
`
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// A run whose failures no rule fixes, or with none, says so.
func TestRulesNothing(t *testing.T) {
	var b bytes.Buffer
	w := NewRulesWriter(&b)
	if err := w.Write(results.Result{Target: "h", Addr: netip.MustParseAddr("198.18.1.2"), Proto: results.TCP, Port: 80,
		State: results.Open, Reason: results.ReasonSynAck, Check: &results.Check{Expect: results.ExpectOpen}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "# no failed check that a firewall rule fixes\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Without a source (a plain run), a line is from the address the run bound,
// or from any; ports a range scan found filtered are one range.
func TestRulesRange(t *testing.T) {
	var b bytes.Buffer
	w := NewRulesWriter(&b)
	c := &results.Check{Expect: results.ExpectOpen}
	for p := 65535; p >= 1; p-- {
		r := results.Result{Target: "198.18.1.2", Addr: netip.MustParseAddr("198.18.1.2"), Proto: results.TCP, Port: uint16(p),
			State: results.Filtered, Reason: results.ReasonNoResponse, Check: c}
		if p == 443 {
			r.Source = netip.MustParseAddr("198.18.0.1")
		}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	want := "allow tcp from 198.18.0.1 to 198.18.1.2 port 443  # no-response\n" +
		"allow tcp from any to 198.18.1.2 port 1-442,444-65535  # no-response\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestPortList(t *testing.T) {
	for _, c := range []struct {
		in   []uint16
		want string
	}{
		{nil, ""},
		{[]uint16{80}, "80"},
		{[]uint16{80, 81}, "80-81"},
		{[]uint16{1, 3, 5}, "1,3,5"},
		{[]uint16{135, 445, 49152, 49153, 49154, 65534, 65535}, "135,445,49152-49154,65534-65535"},
	} {
		if got := portList(c.in); got != c.want {
			t.Errorf("portList(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func writeRules(w io.Writer, rep *results.Report) error {
	rw := NewRulesWriter(w)
	for _, r := range rep.Results {
		if err := rw.Write(r); err != nil {
			return err
		}
	}
	return rw.Close(rep)
}

func TestGoldenRules(t *testing.T) {
	var b bytes.Buffer
	if err := writeRules(&b, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, "rules.golden", b.Bytes())
}

// Failures that no rule fixes, and no other, are counted without rules.
func TestRulesOnlyOther(t *testing.T) {
	var b bytes.Buffer
	w := NewRulesWriter(&b)
	for _, p := range []uint16{1, 2} {
		if err := w.Write(results.Result{Target: "h", Addr: netip.MustParseAddr("198.18.1.2"), Proto: results.TCP, Port: p,
			State: results.Closed, Reason: results.ReasonConnRefused, Check: &results.Check{Expect: results.ExpectOpen}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "# no firewall rule fixes the 2 failed checks (2 conn-refused): see the table\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
