//go:build linux

package scan

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

var traceCapture = flag.Bool("trace-capture", false, "write the error-queue messages the trace chain draws to scan/testdata")

// The chain of every trace test: this machine → r1 → r2 → r3 → host. r2
// forwards no connection to 81/tcp or 49152-49160/tcp (it drops their SYNs,
// not the host's answers to this machine's ephemeral ports), rejects 82/tcp
// with ICMP administratively prohibited, and forwards no 53/udp; the host's own firewall drops
// 83/tcp; 445/tcp is open and 80/tcp closed on the host.
const (
	r2Rules = `table inet f {
	chain forward {
		type filter hook forward priority 0;
		tcp flags & (syn | ack) == syn tcp dport { 81, 49152-49160 } drop
		tcp dport 82 reject with icmpx admin-prohibited
		udp dport 53 drop
	}
}`
	hostRules = `table inet f {
	chain input {
		type filter hook input priority 0;
		tcp dport 83 drop
	}
}`
)

func traceChain(t *testing.T) *testnet.Chain {
	c := testnet.NewChain(t, 3)
	c.Routers[1].NFT(t, r2Rules)
	c.Dest.NFT(t, hostRules)
	testnet.ServeTCP(t, c.Dest, 445)
	return c
}

// traceScan scans dst with traces and returns the results by port.
func traceScan(t *testing.T, dst netip.Addr, ports ...Port) map[string]results.Result {
	t.Helper()
	return traceScanWith(t, &Scanner{Trace: true, Timeout: 500 * time.Millisecond}, dst, ports...)
}

func traceScanWith(t *testing.T, s *Scanner, dst netip.Addr, ports ...Port) map[string]results.Result {
	t.Helper()
	got := map[string]results.Result{}
	err := s.Scan(context.Background(), Plan{Targets: slices.Values([]Target{{Name: dst.String(), Addr: dst}}), Ports: ports},
		func(r results.Result) {
			got[results.PortName(r.Proto, r.Port)] = r
			if r.Trace != nil {
				t.Logf("%d/%s %s %s: %s\n\t%s", r.Port, r.Proto, r.State, r.Reason, r.Trace.Summary(), r.Trace.Path())
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func tcpEntry(lo, hi uint16) Port { return Port{Proto: results.TCP, Lo: lo, Hi: hi} }

// routerAddr is a router's address facing this machine, in dst's family: the
// address its time-exceeded and unreachables come from.
func routerAddr(r *testnet.Host, dst netip.Addr) netip.Addr {
	if dst.Is6() {
		return r.Addr6
	}
	return r.Addr
}

// A trace names where each filtered port of a host behind three routers stops,
// in IPv4 and IPv6: the router that drops it (the last hop that answered), the
// router that rejects it (and the reject's real ICMP code), the host's own
// firewall (every hop up to the host answered; the host answered for another
// port at hop 4). A dropped range costs one trace, which its other ports share.
// Each trace's hops are Linux traceroute's (-T, raw packets) for the same port.
func TestTraceChain(t *testing.T) {
	c := traceChain(t)
	for _, dst := range []netip.Addr{c.Dest.Addr, c.Dest.Addr6} {
		t.Run(map[bool]string{false: "IPv4", true: "IPv6"}[dst.Is6()], func(t *testing.T) {
			r1, r2, r3 := routerAddr(c.Routers[0], dst), routerAddr(c.Routers[1], dst), routerAddr(c.Routers[2], dst)
			got := traceScan(t, dst, tcpEntry(445, 0), tcpEntry(80, 0), tcpEntry(81, 0), tcpEntry(82, 0), tcpEntry(83, 0),
				tcpEntry(49152, 49160), Port{Proto: results.UDP, Lo: 53})
			want := map[string]results.Trace{
				"81/tcp":    {End: results.TraceDropped, Hop: 2, Addr: r2, HostHop: 4},
				"82/tcp":    {End: results.TraceRejected, Hop: 2, Addr: r2, Reason: results.ReasonAdminProhibited},
				"83/tcp":    {End: results.TraceHostDrops, Hop: 3, Addr: r3, HostHop: 4},
				"49152/tcp": {End: results.TraceDropped, Hop: 2, Addr: r2, HostHop: 4},
				"53/udp":    {End: results.TraceDropped, Hop: 2, Addr: r2, HostHop: 4},
			}
			wantHops := map[string][]netip.Addr{
				"81/tcp": {r1, r2, {}, {}, {}},
				"82/tcp": {r1, r2, r2},
				"83/tcp": {r1, r2, r3, {}, {}, {}},
			}
			for port, w := range want {
				r := got[port]
				if port == "49152/tcp" {
					// One port of the range was traced; the others say which.
					r = rangeTrace(t, got, 49152, 49160)
				}
				if r.Trace == nil {
					t.Errorf("%s: %s %s, no trace", port, r.State, r.Reason)
					continue
				}
				tr := *r.Trace
				tr.Hops, tr.Via = nil, ""
				if !traceEqual(tr, w) {
					t.Errorf("%s: trace %+v (%s), want %+v", port, tr, r.Trace.Summary(), w)
				}
			}
			for port, w := range wantHops {
				if tr := got[port].Trace; tr != nil {
					if addrs := hopAddrs(tr.Hops); !slices.Equal(addrs, w) {
						t.Errorf("%s: hops %v, want %v", port, addrs, w)
					}
					// The independent reference: Linux traceroute sends its
					// own SYNs to the port, one TTL at a time, from a raw socket.
					ref := testnet.Traceroute(t, netip.AddrPortFrom(dst, got[port].Port), len(tr.Hops))
					if addrs := routeAddrs(ref); !slices.Equal(addrs, hopAddrs(tr.Hops)) {
						t.Errorf("%s: hops %v, traceroute -T's %v", port, hopAddrs(tr.Hops), addrs)
					}
				}
			}
			if r := got["82/tcp"]; r.Trace != nil && r.Trace.Hops[2].Reason != results.ReasonAdminProhibited {
				t.Errorf("82/tcp: hop 3 %s, want admin-prohibited", r.Trace.Hops[2].Reason)
			}
			for _, port := range []string{"445/tcp", "80/tcp"} {
				if got[port].Trace != nil {
					t.Errorf("%s (%s) traced", port, got[port].State)
				}
			}
		})
	}
	// Without Scanner.Trace, only the entries that ask for it (a plan item's
	// "trace": true) are traced.
	traced := tcpEntry(81, 0)
	traced.Trace = true
	got := traceScanWith(t, &Scanner{Timeout: 500 * time.Millisecond}, c.Dest.Addr, traced, tcpEntry(49152, 49153))
	if got["81/tcp"].Trace == nil || got["49152/tcp"].Trace != nil || got["49153/tcp"].Trace != nil {
		t.Errorf("Port.Trace: 81/tcp %v, 49152/tcp %v, 49153/tcp %v; want only 81/tcp traced", got["81/tcp"].Trace, got["49152/tcp"].Trace, got["49153/tcp"].Trace)
	}
	if *traceCapture {
		captureChain(t, c)
	}
}

// rangeTrace checks that a dropped range was traced once: every port has the
// same trace, which names the port whose packets made it, one of the range.
func rangeTrace(t *testing.T, got map[string]results.Result, lo, hi uint16) results.Result {
	t.Helper()
	first := got[results.PortName(results.TCP, lo)]
	if first.Trace == nil {
		t.Fatalf("%d/tcp: no trace", lo)
	}
	for p := lo; p <= hi; p++ {
		if r := got[results.PortName(results.TCP, p)]; r.Trace != first.Trace {
			t.Errorf("%d/tcp: trace %+v, want %d/tcp's", p, r.Trace, lo)
		}
	}
	via := first.Trace.Via
	if !strings.HasSuffix(first.Trace.Summary(), "; traced with "+via) || got[via].Port < lo || got[via].Port > hi {
		t.Errorf("the range's trace names %q: %s", via, first.Trace.Summary())
	}
	return first
}

// traceEqual compares two traces without their hops.
func traceEqual(a, b results.Trace) bool {
	a.Hops, b.Hops = nil, nil
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func hopAddrs(hops []results.Hop) []netip.Addr {
	out := make([]netip.Addr, len(hops))
	for i, h := range hops {
		out[i] = h.Addr
	}
	return out
}

func routeAddrs(hops []testnet.RouteHop) []netip.Addr {
	out := make([]netip.Addr, len(hops))
	for i, h := range hops {
		out[i] = h.Addr
	}
	return out
}

// A router that never sends time-exceeded (an nftables rule drops them on
// their way out of it) is a silent hop, in the trace as in traceroute's, and
// never moves the verdict: behind a silent r3, the host's own drop reads
// "dropped after hop 2", not "the host drops it", which only a hop 3 that
// answers could show; a silent r1 in front of r2's drop still leaves r2 named.
func TestTraceSilentRouter(t *testing.T) {
	c := traceChain(t)
	c.Routers[0].DropTimeExceeded(t)
	c.Routers[2].DropTimeExceeded(t)
	for _, dst := range []netip.Addr{c.Dest.Addr, c.Dest.Addr6} {
		t.Run(map[bool]string{false: "IPv4", true: "IPv6"}[dst.Is6()], func(t *testing.T) {
			r2 := routerAddr(c.Routers[1], dst)
			got := traceScan(t, dst, tcpEntry(445, 0), tcpEntry(81, 0), tcpEntry(83, 0))
			for port, wantHops := range map[string][]netip.Addr{
				"81/tcp": {{}, r2, {}, {}, {}},
				"83/tcp": {{}, r2, {}, {}, {}},
			} {
				tr := got[port].Trace
				if tr == nil {
					t.Fatalf("%s: no trace", port)
				}
				if tr.End != results.TraceDropped || tr.Hop != 2 || tr.Addr != r2 {
					t.Errorf("%s: %s, want dropped after hop 2 (%s)", port, tr.Summary(), r2)
				}
				if addrs := hopAddrs(tr.Hops); !slices.Equal(addrs, wantHops) {
					t.Errorf("%s: hops %v, want %v", port, addrs, wantHops)
				}
				if ref := routeAddrs(testnet.Traceroute(t, netip.AddrPortFrom(dst, got[port].Port), len(tr.Hops))); !slices.Equal(ref, hopAddrs(tr.Hops)) {
					t.Errorf("%s: hops %v, traceroute -T's %v", port, hopAddrs(tr.Hops), ref)
				}
			}
		})
	}
}

// captureChain writes the error-queue messages the chain draws (-trace-capture):
// the fuzz tests' seeds and the decoder's test vectors. The chain's addresses
// come from the slots free at the time: TestParseErrQueueCaptured names the
// senders of the captures, and must be told the new ones.
func captureChain(t *testing.T, c *testnet.Chain) {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	for _, cap := range []struct {
		name string
		dst  netip.Addr
		port uint16
		ttl  int
	}{
		{"tcp4-time-exceeded", c.Dest.Addr, 81, 2},
		{"tcp4-admin-prohibited", c.Dest.Addr, 82, 3},
		{"tcp6-time-exceeded", c.Dest.Addr6, 81, 2},
		{"tcp6-admin-prohibited", c.Dest.Addr6, 82, 3},
	} {
		oob, quote := captureTCP(t, netip.AddrPortFrom(cap.dst, cap.port), cap.ttl)
		note := fmt.Sprintf("# %s: recvmsg(MSG_ERRQUEUE) of a TCP connect to %s with TTL %d, through testnet.Chain\n"+
			"# (3 routers; r2 rejects 82/tcp with icmpx admin-prohibited), Linux %s, captured %s by\n"+
			"# go test ./scan -run TestTraceChain -args -trace-capture.\n",
			cap.name, netip.AddrPortFrom(cap.dst, cap.port), cap.ttl, strings.TrimSpace(string(kernel)), time.Now().UTC().Format("2006-01-02"))
		writeHex(t, "errqueue-"+cap.name+".cmsg.hex", note+"# The control message (struct cmsghdr, sock_extended_err, SO_EE_OFFENDER).\n", oob)
		writeHex(t, "errqueue-"+cap.name+".quote.hex", note+"# The data: what the ICMP error quoted of the SYN, from its TCP header on.\n", quote)
	}
	// A DNS probe's request to 53/udp, which r2 drops, with TTL 2: r2's
	// time-exceeded quotes the whole datagram.
	dst := netip.AddrPortFrom(c.Dest.Addr, 53)
	p, err := newUDPHopProber(netip.Addr{}, dst, nil, probes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	req := []byte("portreach trace capture: a datagram whose quote the error queue returns")
	rc, _ := p.conn.SyscallConn()
	_ = rc.Control(func(fd uintptr) { _ = setTTL(int(fd), false, 2) })
	if _, err := p.conn.WriteToUDPAddrPort(req, dst); err != nil {
		t.Fatal(err)
	}
	var oob, quote []byte
	for deadline := time.Now().Add(2 * time.Second); oob == nil && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		_ = rc.Read(func(fd uintptr) bool {
			n, oobn, _, _, err := unix.Recvmsg(int(fd), p.buf, p.oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
			if err == nil {
				oob, quote = append([]byte(nil), p.oob[:oobn]...), append([]byte(nil), p.buf[:n]...)
			}
			return true
		})
	}
	note := fmt.Sprintf("# udp4-time-exceeded: recvmsg(MSG_ERRQUEUE) of a UDP socket that sent %q\n"+
		"# to %s with TTL 2, through testnet.Chain (r2 forwards no 53/udp), Linux %s, captured %s by\n"+
		"# go test ./scan -run TestTraceChain -args -trace-capture.\n", req, dst, strings.TrimSpace(string(kernel)), time.Now().UTC().Format("2006-01-02"))
	writeHex(t, "errqueue-udp4-time-exceeded.cmsg.hex", note+"# The control message (struct cmsghdr, sock_extended_err, SO_EE_OFFENDER).\n", oob)
	writeHex(t, "errqueue-udp4-time-exceeded.quote.hex", note+"# The data: what the ICMP error quoted of the datagram, after its UDP header.\n", quote)
}

func writeHex(t *testing.T, name, note string, b []byte) {
	var s strings.Builder
	s.WriteString(note)
	for i := 0; i < len(b); i += 32 {
		fmt.Fprintf(&s, "%x\n", b[i:min(i+32, len(b))])
	}
	if err := os.WriteFile(filepath.Join("testdata", name), []byte(s.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// captureTCP makes one TCP connect to dst with the TTL and returns the error
// queue's control message and data for it.
func captureTCP(t *testing.T, dst netip.AddrPort, ttl int) (oob, quote []byte) {
	family, sa := toSockaddr(dst)
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := setTTL(fd, dst.Addr().Is6(), ttl); err != nil {
		t.Fatal(err)
	}
	_ = unix.SetNonblock(fd, true)
	if err := unix.Connect(fd, sa); err != unix.EINPROGRESS {
		t.Fatalf("connect %s: %v", dst, err)
	}
	buf, ob := make([]byte, 256), make([]byte, 256)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		n, oobn, _, _, err := unix.Recvmsg(fd, buf, ob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
		if err == nil {
			return ob[:oobn], buf[:n]
		}
	}
	t.Fatalf("%s, TTL %d: nothing queued", dst, ttl)
	return nil, nil
}
