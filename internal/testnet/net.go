//go:build linux

package testnet

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A Net is a test network of several namespaces (routers and hosts) joined by
// links, for tests that need a path rather than a neighbour: traces through
// routers, firewalls that filter by source address. Every link has a subnet of
// its own, taken from the slot directory as NewHost's are (slot N: 198.18.N.0/30
// or 198.19.(N-256).0/30, and 2001:2:0:N::/64 of the IPv6 benchmarking block,
// RFC 5180); Up routes every link's subnets from every node along the network's
// paths, so each node reaches every address of the network and nothing outside
// it (no node has a default route). This machine takes part only through the
// links Uplink makes: it gets routes towards the network through them, and loses
// them when the network is torn down.
//
// Building a network: NewNet, then Router and Host for its namespaces, Link and
// Uplink to join them, and Up once they are joined. Chain builds the commonest
// one.
type Net struct {
	t     testing.TB
	nodes []*Host
	links []*Link
	slots []int // every slot the network holds: its nodes' and its links'
}

// Link is one veth pair of a Net: A and B are its ends' nodes (A nil: this
// machine), with their IPv4 and IPv6 addresses and interface names.
type Link struct {
	A, B           *Host
	AddrA, AddrB   netip.Addr // 198.18.0.0/15
	Addr6A, Addr6B netip.Addr // 2001:2::/48
	DevA, DevB     string
	slot           int
}

// NewNet starts an empty network, torn down when the test ends: its namespaces
// and the daemons started in them, its links (and with them this machine's
// routes through them), its slots.
func NewNet(t testing.TB) *Net {
	t.Helper()
	Require(t)
	guard4.install(t)
	guard6.install(t)
	n := &Net{t: t}
	t.Cleanup(n.close)
	return n
}

// Router adds a namespace that forwards IPv4 and IPv6 and, as every router
// does, sends ICMP time-exceeded for a packet whose TTL runs out. Its ICMP rate
// limits are off (net.ipv4.icmp_ratelimit, net.ipv6.icmp.ratelimit = 0), so a
// test gets an answer for every probe: a test of a router that stays silent
// says so with a rule (see DropTimeExceeded).
func (n *Net) Router(t testing.TB) *Host {
	t.Helper()
	h := n.node(t)
	h.Exec(t, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
		"net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0")
	return h
}

// Host adds a namespace that does not forward: an end of the network.
func (n *Net) Host(t testing.TB) *Host {
	t.Helper()
	return n.node(t)
}

func (n *Net) node(t testing.TB) *Host {
	t.Helper()
	s := n.claim(t)
	h := &Host{Name: nsName(s), slot: s}
	n.nodes = append(n.nodes, h)
	run(t, "ip", "netns", "add", h.Name)
	run(t, "ip", "-n", h.Name, "link", "set", "lo", "up")
	return h
}

func (n *Net) claim(t testing.TB) int {
	t.Helper()
	s, err := claimSlot()
	if err != nil {
		t.Fatal(err)
	}
	n.slots = append(n.slots, s)
	return s
}

// Uplink joins this machine to h.
func (n *Net) Uplink(t testing.TB, h *Host) *Link {
	t.Helper()
	return n.Link(t, nil, h)
}

// Link joins a to b (a nil: this machine) with a veth pair. The first link of
// a node gives it its Addr, Addr6, Peer, Peer6, Dev and PeerDev: its address
// on that link and the other end's.
func (n *Net) Link(t testing.TB, a, b *Host) *Link {
	t.Helper()
	l := newLink(n.claim(t), a, b)
	n.links = append(n.links, l)
	add := []string{"ip"}
	if a != nil {
		add = append(add, "-n", a.Name)
	}
	add = append(add, "link", "add", l.DevA, "type", "veth", "peer", "name", l.DevB, "netns", b.Name)
	run(t, add...)
	for _, end := range []struct {
		h        *Host
		dev      string
		addr     netip.Addr
		addr6    netip.Addr
		peer     netip.Addr
		peer6    netip.Addr
		peerDev  string
		ipPrefix []string
	}{
		{a, l.DevA, l.AddrA, l.Addr6A, l.AddrB, l.Addr6B, l.DevB, ipIn(a)},
		{b, l.DevB, l.AddrB, l.Addr6B, l.AddrA, l.Addr6A, l.DevA, ipIn(b)},
	} {
		// No duplicate address detection, for the link-local address either:
		// for about a second a tentative address can be neither used nor
		// reached, and a router whose link-local address is tentative cannot
		// resolve its neighbours: its first ICMPv6 errors are lost.
		sysctl := []string{"sysctl", "-q", "-w", "net.ipv6.conf." + end.dev + ".accept_dad=0"}
		if end.h != nil {
			sysctl = append([]string{"ip", "netns", "exec", end.h.Name}, sysctl...)
		}
		run(t, sysctl...)
		run(t, append(end.ipPrefix, "addr", "add", end.addr.String()+"/30", "dev", end.dev)...)
		run(t, append(end.ipPrefix, "-6", "addr", "add", end.addr6.String()+"/64", "dev", end.dev, "nodad")...)
		run(t, append(end.ipPrefix, "link", "set", end.dev, "up")...)
		if h := end.h; h != nil && !h.Addr.IsValid() {
			h.Addr, h.Addr6, h.Peer, h.Peer6, h.Dev, h.PeerDev = end.addr, end.addr6, end.peer, end.peer6, end.dev, end.peerDev
		}
	}
	return l
}

// newLink is the link slot s makes between a and b: the A end is address 1
// of the slot's subnets, the B end address 2.
func newLink(s int, a, b *Host) *Link {
	l := &Link{A: a, B: b, slot: s, DevA: "prv" + strconv.Itoa(s) + "a", DevB: hostDev(s)}
	if a == nil {
		l.DevA = peerDev(s) // the name claimSlot removes after a crash
	}
	l.AddrB, l.AddrA = slotAddrs(s)
	l.Addr6A, l.Addr6B = slotAddr6(s, 1), slotAddr6(s, 2)
	return l
}

// Up waits until every link is up at both ends and routes every link's subnets
// from every node (this machine included, through its uplinks) along the
// shortest path.
func (n *Net) Up(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, l := range n.links {
		for !(operUp(exec.Command("ip", append(ipIn(l.A)[1:], "-br", "link", "show", l.DevA)...)) &&
			operUp(exec.Command("ip", append(ipIn(l.B)[1:], "-br", "link", "show", l.DevB)...))) {
			if time.Now().After(deadline) {
				t.Fatalf("testnet: link %s/%s not up after 10s", l.DevA, l.DevB)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, from := range append([]*Host{nil}, n.nodes...) {
		for _, r := range n.routes(from) {
			run(t, append(ipIn(from), "route", "replace", r.dst.String(), "via", r.via.String())...)
		}
	}
}

// route is one route a node needs: towards dst through the neighbour via.
type route struct {
	dst netip.Prefix
	via netip.Addr
}

// routes are the routes from (nil: this machine) needs to every link it is not
// on: through the neighbour that begins the shortest path to the link's nearer
// end, in both address families.
func (n *Net) routes(from *Host) []route {
	type hop struct {
		via4, via6 netip.Addr
		dist       int
	}
	reach := map[*Host]hop{from: {}}
	queue := []*Host{from}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, l := range n.links {
			v, vAddr, vAddr6 := l.B, l.AddrB, l.Addr6B
			if l.B == u {
				v, vAddr, vAddr6 = l.A, l.AddrA, l.Addr6A
			} else if l.A != u {
				continue
			}
			if _, seen := reach[v]; seen {
				continue
			}
			h := reach[u]
			h.dist++
			if u == from {
				h.via4, h.via6 = vAddr, vAddr6
			}
			reach[v] = h
			queue = append(queue, v)
		}
	}
	var out []route
	for _, l := range n.links {
		if l.A == from || l.B == from {
			continue
		}
		ha, okA := reach[l.A]
		hb, okB := reach[l.B]
		if !okA && !okB {
			continue // not connected to from
		}
		h := ha
		if !okA || okB && hb.dist < ha.dist {
			h = hb
		}
		out = append(out,
			route{netip.PrefixFrom(l.AddrA, 30).Masked(), h.via4},
			route{netip.PrefixFrom(l.Addr6A, 64).Masked(), h.via6})
	}
	return out
}

func (n *Net) close() {
	for _, h := range n.nodes {
		for _, c := range h.procs {
			stop(c)
		}
	}
	for _, h := range n.nodes {
		_ = exec.Command("ip", "netns", "del", h.Name).Run()
	}
	for _, l := range n.links {
		if l.A == nil {
			_ = exec.Command("ip", "link", "del", l.DevA).Run()
		}
	}
	for _, s := range n.slots {
		_ = os.Remove(filepath.Join(slotDir, strconv.Itoa(s)))
	}
}

// Chain is the path a trace follows: this machine → Routers[0] → … →
// Routers[len-1] → Dest, one link each.
type Chain struct {
	*Net
	Routers []*Host
	Dest    *Host
}

// NewChain builds a chain of hops routers in front of a destination host.
func NewChain(t testing.TB, hops int) *Chain {
	t.Helper()
	c := &Chain{Net: NewNet(t)}
	for range hops {
		c.Routers = append(c.Routers, c.Router(t))
	}
	c.Dest = c.Host(t)
	prev := (*Host)(nil)
	for _, h := range append(c.Routers, c.Dest) {
		c.Link(t, prev, h)
		prev = h
	}
	c.Up(t)
	return c
}

// DropTimeExceeded makes a router silent to traces: it still forwards, but
// the ICMP time-exceeded messages it sends (IPv4 type 11, ICMPv6 type 3) are
// dropped on their way out, as on a router that never sends them or whose
// rate limit has run out.
func (h *Host) DropTimeExceeded(t testing.TB) {
	t.Helper()
	h.NFT(t, `table inet silent {
	chain out {
		type filter hook output priority 0;
		icmp type time-exceeded drop
		icmpv6 type time-exceeded drop
	}
}`)
}

// slotAddr6 is address n (1 or 2) of slot s's IPv6 subnet, 2001:2:0:s::/64.
func slotAddr6(s int, n byte) netip.Addr {
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x00, 0x02, 0, 0, byte(s >> 8), byte(s), 15: n})
}

// ipIn is the start of an ip(8) command run in h's namespace (nil: here).
func ipIn(h *Host) []string {
	if h == nil {
		return []string{"ip"}
	}
	return []string{"ip", "-n", h.Name}
}

func run(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("testnet: %s: %v: %s", strings.Join(args, " "), err, out)
	}
}
