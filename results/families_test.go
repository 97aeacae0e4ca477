package results

import (
	"net/netip"
	"slices"
	"testing"
)

// A name checked on both families says how they disagree, and nothing when
// they agree or when only one family was checked.
func TestFamilyDisagreements(t *testing.T) {
	v4, v6 := netip.MustParseAddr("198.18.1.2"), netip.MustParseAddr("2001:2::2")
	open := &Check{Expect: ExpectOpen}
	rs := []Result{
		{Target: "dc01", Addr: v4, Proto: TCP, Port: 445, State: Open, Check: open},
		{Target: "dc01", Addr: v6, Proto: TCP, Port: 445, State: Filtered, Check: open},
		{Target: "dc02", Addr: v4, Proto: TCP, Port: 445, State: Open, Check: open},
		{Target: "dc02", Addr: v6, Proto: TCP, Port: 445, State: Closed, Check: open},
		{Target: "dc03", Addr: v4, Proto: TCP, Port: 445, State: Open, Check: open},
		{Target: "dc03", Addr: v6, Proto: TCP, Port: 445, State: Open, Check: open},
		{Target: "dc04", Addr: v4, Proto: TCP, Port: 445, State: Open, Check: open},
		{Target: "dc05", Addr: v6, Proto: TCP, Port: 445, State: Filtered, Check: open},
		{Target: "dc05", Addr: v6, Proto: TCP, Port: 88, State: Open, Check: open},
		{Target: "dc05", Addr: v4, Proto: TCP, Port: 445, State: Filtered, Check: open},
		{Target: "dc05", Addr: v4, Proto: TCP, Port: 88, State: Filtered, Check: open},
		{Target: "dc01", Addr: v4, Proto: TCP, Port: 445, State: Filtered, Check: open, Vantage: &Vantage{Name: "dmz"}, Rule: "rule 2"},
		{Target: "dc01", Addr: v6, Proto: TCP, Port: 445, State: Closed, Check: open, Vantage: &Vantage{Name: "dmz"}, Rule: "rule 2"},
	}
	got := FamilyDisagreements(Summarize(rs))
	want := []string{
		"dc01: reachable over IPv4, filtered over IPv6",
		"dc02: passes over IPv4, fails over IPv6",
		"dc05: filtered over IPv4, partly filtered (1 of 2 ports) over IPv6",
		"dc01 from dmz (rule 2): filtered over IPv4, reachable over IPv6",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
