package results_test

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	. "github.com/portreach/portreach/results"
)

// Sort gives one order whatever order results arrive in.
func TestSortDeterministic(t *testing.T) {
	want := fixtureResults()
	Sort(want)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		rs := fixtureResults()
		rng.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
		Sort(rs)
		if !reflect.DeepEqual(rs, want) {
			t.Fatal("order depends on input order")
		}
	}
}

func TestSortOrder(t *testing.T) {
	a := netip.MustParseAddr
	rs := []Result{
		{Target: "v6", Addr: a("2001:db8::1"), Proto: TCP, Port: 1},
		{Target: "b", Addr: a("198.18.1.10"), Proto: UDP, Port: 53},
		{Target: "b", Addr: a("198.18.1.10"), Proto: "esp"},
		{Target: "b", Addr: a("198.18.1.10"), Proto: TCP, Port: 443},
		{Target: "b", Addr: a("198.18.1.10"), Proto: "ah"},
		{Target: "b", Addr: a("198.18.1.10"), Proto: TCP, Port: 80},
		{Target: "a", Addr: a("198.18.1.10"), Proto: TCP, Port: 9999},
		{Target: "c", Addr: a("198.18.1.9"), Proto: TCP, Port: 1},
		{Target: "bad.invalid", State: Error},
		{Target: "b", Addr: a("198.18.1.10"), Proto: TCP, Port: 1433, Under: "instance X", Via: "1434/udp"},
		{Target: "b", Addr: a("198.18.1.10"), Proto: TCP, Port: 1433},
	}
	Sort(rs)
	var got []string
	for _, r := range rs {
		got = append(got, r.Target+" "+PortName(r.Proto, r.Port)+" "+r.Under)
	}
	want := []string{
		"bad.invalid  ",
		"c 1/tcp ", // 198.18.1.9 < 198.18.1.10 numerically
		"a 9999/tcp ",
		"b 80/tcp ", "b 443/tcp ", "b 1433/tcp ", "b 1433/tcp instance X",
		"b 53/udp ", "b ah ", "b esp ",
		"v6 1/tcp ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("order\n got %q\nwant %q", got, want)
	}
}

func TestPortName(t *testing.T) {
	for _, tc := range []struct {
		p    Proto
		port uint16
		want string
	}{{TCP, 443, "443/tcp"}, {UDP, 53, "53/udp"}, {"gre", 0, "gre"}, {"", 0, ""}, {TCP, 0, "?/tcp"}} { // ?/tcp: a required SQL instance nobody listed
		if got := PortName(tc.p, tc.port); got != tc.want {
			t.Errorf("PortName(%q, %d) = %q, want %q", tc.p, tc.port, got, tc.want)
		}
	}
}
