//go:build linux

package testnet

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The routes of a network shaped like the policy matrix's (three sources
// behind one router, two destinations beyond it) and of a chain from this
// machine: every link a node is not on is reached through the neighbour on
// its path, in both address families.
func TestNetRoutes(t *testing.T) {
	r, d1, d2 := &Host{Name: "r"}, &Host{Name: "d1"}, &Host{Name: "d2"}
	s1, s2, s3 := &Host{Name: "s1"}, &Host{Name: "s2"}, &Host{Name: "s3"}
	star := &Net{links: []*Link{newLink(1, s1, r), newLink(2, s2, r), newLink(3, s3, r), newLink(4, r, d1), newLink(5, r, d2)}}
	via4, via6 := netip.MustParseAddr("198.18.1.2"), netip.MustParseAddr("2001:2:0:1::2")
	want := []route{}
	for _, s := range []int{2, 3, 4, 5} {
		want = append(want,
			route{netip.MustParsePrefix("198.18." + strconv.Itoa(s) + ".0/30"), via4},
			route{netip.MustParsePrefix("2001:2:0:" + strconv.Itoa(s) + "::/64"), via6})
	}
	if got := star.routes(s1); !slices.Equal(got, want) {
		t.Errorf("s1's routes:\n%v\nwant\n%v", got, want)
	}
	if got := star.routes(r); len(got) != 0 {
		t.Errorf("the router is on every link, yet routes %v", got)
	}
	if got := star.routes(d2); len(got) != 8 || got[0].via != netip.MustParseAddr("198.18.5.1") {
		t.Errorf("d2's routes: %v", got)
	}
	if got := star.routes(nil); len(got) != 0 {
		t.Errorf("this machine has no uplink, yet routes %v", got)
	}

	r1, r2 := &Host{Name: "r1"}, &Host{Name: "r2"}
	chain := &Net{links: []*Link{newLink(7, nil, r1), newLink(8, r1, r2), newLink(9, r2, d1)}}
	want = []route{
		{netip.MustParsePrefix("198.18.8.0/30"), netip.MustParseAddr("198.18.7.2")},
		{netip.MustParsePrefix("2001:2:0:8::/64"), netip.MustParseAddr("2001:2:0:7::2")},
		{netip.MustParsePrefix("198.18.9.0/30"), netip.MustParseAddr("198.18.7.2")},
		{netip.MustParsePrefix("2001:2:0:9::/64"), netip.MustParseAddr("2001:2:0:7::2")},
	}
	if got := chain.routes(nil); !slices.Equal(got, want) {
		t.Errorf("this machine's routes:\n%v\nwant\n%v", got, want)
	}
	if got := chain.routes(d1); len(got) != 4 || got[0] != (route{netip.MustParsePrefix("198.18.7.0/30"), netip.MustParseAddr("198.18.9.1")}) {
		t.Errorf("the destination's routes: %v", got)
	}
}

// A chain's routers forward and send time-exceeded, in IPv4 and IPv6: Linux
// traceroute sees each router's address on the link towards this machine, then
// the destination; a router told to drop its time-exceeded is a silent hop.
func TestChain(t *testing.T) {
	c := NewChain(t, 3)
	closed := uint16(9)
	check := func(dst netip.Addr, silent int) {
		t.Helper()
		var want []RouteHop
		for i, r := range c.Routers {
			a := r.Addr
			if dst.Is6() {
				a = r.Addr6
			}
			if i == silent {
				a = netip.Addr{}
			}
			want = append(want, RouteHop{Addr: a})
		}
		want = append(want, RouteHop{Addr: dst})
		if got := Traceroute(t, netip.AddrPortFrom(dst, closed), 6); !slices.Equal(got, want) {
			t.Errorf("traceroute %s: %v, want %v", dst, got, want)
		}
	}
	for _, dst := range []netip.Addr{c.Dest.Addr, c.Dest.Addr6} {
		if !netip.MustParsePrefix("198.18.0.0/15").Contains(dst) && !netip.MustParsePrefix("2001:2::/48").Contains(dst) {
			t.Fatalf("destination %s outside the test blocks", dst)
		}
		check(dst, -1)
	}
	c.Routers[1].DropTimeExceeded(t)
	for _, dst := range []netip.Addr{c.Dest.Addr, c.Dest.Addr6} {
		check(dst, 1)
	}
}

// A torn-down network leaves nothing behind: its namespaces, this machine's
// links and routes to it and its slots are gone, and its addresses are
// unreachable from here (the guard routes), in both families.
func TestNetTeardown(t *testing.T) {
	var c *Chain
	t.Run("build", func(t *testing.T) { c = NewChain(t, 2) })
	if c == nil {
		t.FailNow()
	}
	namespaces, _ := exec.Command("ip", "netns", "list").Output()
	for _, h := range append(c.Routers, c.Dest) {
		if strings.Contains(string(namespaces)+"\n", h.Name+" ") || strings.Contains(string(namespaces)+"\n", h.Name+"\n") {
			t.Errorf("namespace %s left behind", h.Name)
		}
	}
	for _, s := range c.slots {
		if _, err := os.Stat(filepath.Join(slotDir, strconv.Itoa(s))); err == nil {
			t.Errorf("slot %d still held", s)
		}
	}
	for _, dst := range []netip.Addr{c.Dest.Addr, c.Dest.Addr6} {
		out, err := exec.Command("ip", "route", "get", dst.String()).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "No route to host") && !strings.Contains(string(out), "unreachable") {
			t.Errorf("ip route get %s after teardown: %v %s", dst, err, out)
		}
	}
	if _, err := exec.Command("ip", "link", "show", c.links[0].DevA).CombinedOutput(); err == nil {
		t.Errorf("uplink %s left behind", c.links[0].DevA)
	}
}
