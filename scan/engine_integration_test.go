//go:build linux

package scan

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/results"
)

// startListener serves TCP ports (accept and close) and DNS ports (REFUSED)
// inside h.
func startListener(t *testing.T, h *testnet.Host, tcp, dns []uint16) {
	t.Helper()
	for _, p := range tcp {
		testnet.ServeTCP(t, h, p)
	}
	for _, p := range dns {
		testnet.ServeUDP(t, h, p, dnsRefused)
	}
}

type want struct {
	state  results.State
	reason results.Reason
}

func scanHostPorts(t *testing.T, s *Scanner, h *testnet.Host, ports []Port) map[string]results.Result {
	t.Helper()
	got := map[string]results.Result{}
	plan := Plan{Targets: slices.Values([]Target{{Name: h.Addr.String(), Addr: h.Addr}}), Ports: ports}
	if err := s.Scan(context.Background(), plan, func(r results.Result) { got[key(r.Proto, r.Port)] = r }); err != nil {
		t.Fatal(err)
	}
	return got
}

func check(t *testing.T, got map[string]results.Result, wants map[string]want) {
	t.Helper()
	for k, w := range wants {
		r, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: no result", k)
		case r.State != w.state || (w.reason != "" && r.Reason != w.reason):
			t.Errorf("%s: %s (%s, %d attempts, rtt %v), want %s (%s)", k, r.State, r.Reason, r.Attempts, r.RTT, w.state, w.reason)
		}
	}
}

// TestEngineStates checks every verdict against a test host whose firewall
// makes each port open, closed, dropped or rejected, for TCP and UDP.
func TestEngineStates(t *testing.T) {
	h := testnet.NewHost(t)
	startListener(t, h, []uint16{22, 80, 8080, 8443}, []uint16{53, 55, 56})
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 8080 drop
		tcp dport 8443 reject with icmp type admin-prohibited
		udp dport 55 drop
		udp dport 56 reject with icmp type admin-prohibited
		udp dport 57 reject with icmp type host-unreachable
	}
}`)
	ports, _ := ParsePorts("T:22,80,443,8080,8443,U:53,54,55,56,57")
	for i := range ports {
		if ports[i].Proto == results.UDP {
			ports[i].Probe = "dns"
		}
	}
	got := scanHostPorts(t, &Scanner{}, h, ports)
	check(t, got, map[string]want{
		"tcp/22":   {results.Open, results.ReasonSynAck},
		"tcp/80":   {results.Open, results.ReasonSynAck},
		"tcp/443":  {results.Closed, results.ReasonConnRefused},
		"tcp/8080": {results.Filtered, results.ReasonNoResponse},
		"tcp/8443": {results.Filtered, tcpRejectReason()},
		"udp/53":   {results.Open, results.ReasonUDPResponse},
		"udp/54":   {results.Closed, results.ReasonPortUnreach},
		"udp/55":   {results.OpenFiltered, results.ReasonNoResponse},
		"udp/56":   {results.Filtered, results.ReasonAdminProhibited},
		"udp/57":   {results.Filtered, results.ReasonHostUnreach},
	})
	if r := got["tcp/22"]; r.RTT <= 0 || r.Addr != h.Addr {
		t.Errorf("open port without RTT or address: %+v", r)
	}
	if d := got["udp/53"].Detail; !strings.Contains(d, "REFUSED") {
		t.Errorf("DNS detail %q, want the rcode", d)
	}
}

// TestUDPClosedUnderICMPRateLimit: a Linux host with the default icmp_ratelimit
// answers about six port-unreachables at once and then one a second. All 21
// closed ports must still be called closed (nmap -sU -T4 called 8 of them
// open|filtered on such a host).
func TestUDPClosedUnderICMPRateLimit(t *testing.T) {
	h := testnet.NewHost(t)
	if v := strings.TrimSpace(h.Exec(t, "sysctl", "-n", "net.ipv4.icmp_ratelimit")); v != "1000" {
		t.Fatalf("test host icmp_ratelimit = %s, want the kernel default 1000", v)
	}
	ports := []Port{{Proto: results.UDP, Lo: 40001, Hi: 40021}}
	got := scanHostPorts(t, &Scanner{}, h, ports)
	wants := map[string]want{}
	for p := 40001; p <= 40021; p++ {
		wants["udp/"+strconv.Itoa(p)] = want{results.Closed, results.ReasonPortUnreach}
	}
	check(t, got, wants)
}

// TestVerdictsUnderLoss: 10% loss each way (netem on both ends of the link, or,
// on kernels built without sch_netem, nftables dropping a random tenth of the
// packets in and out of the host).
// With four retries a port is misjudged only if five round trips in a row fail
// (0.19^5, about 1 in 4000 per port).
func TestVerdictsUnderLoss(t *testing.T) {
	h := testnet.NewHost(t)
	startListener(t, h, []uint16{22, 80, 445}, []uint16{53})
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 3389 drop
	}
}`)
	addLoss(t, h)
	ports, _ := ParsePorts("T:22,80,135,443,445,3389,U:53,54,161")
	for i := range ports {
		if ports[i].Proto == results.UDP {
			ports[i].Probe = "dns"
		}
	}
	got := scanHostPorts(t, &Scanner{Retries: new(4)}, h, ports)
	check(t, got, map[string]want{
		"tcp/22":   {results.Open, ""},
		"tcp/80":   {results.Open, ""},
		"tcp/445":  {results.Open, ""},
		"tcp/135":  {results.Closed, ""},
		"tcp/443":  {results.Closed, ""},
		"tcp/3389": {results.Filtered, results.ReasonNoResponse},
		"udp/53":   {results.Open, ""},
		"udp/54":   {results.Closed, ""},
		"udp/161":  {results.Closed, ""},
	})
}

// TestManyHostsStreamed scans a block of addresses of which one answers: the
// others are silent (no route back from an address nobody owns on the link) and
// must come out filtered, each reported once.
func TestManyHostsStreamed(t *testing.T) {
	h := testnet.NewHost(t)
	startListener(t, h, []uint16{22}, nil)
	var ts Targets
	// The /30 holds the network address, the peer (this machine), the host and the broadcast address.
	if err := ts.Add(h.Addr.String(), h.Addr.Prev().Prev().String()+"/30"); err != nil {
		t.Fatal(err)
	}
	if err := ts.Exclude(h.Peer.String()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var open []string
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := (&Scanner{Timeout: 300 * time.Millisecond}).Scan(ctx, Plan{Targets: ts.All(), Ports: []Port{{Proto: results.TCP, Lo: 22}}},
		func(r results.Result) {
			seen[r.Target]++
			if r.State == results.Open {
				open = append(open, r.Addr.String())
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || open[0] != h.Addr.String() || open[1] != h.Addr.String() {
		t.Errorf("open: %v, want the host twice (named alone and inside the /30)", open)
	}
	if seen[h.Peer.String()] != 0 {
		t.Errorf("excluded address scanned")
	}
	if len(seen) != 3 {
		t.Errorf("targets reported: %v", seen)
	}
	_ = fmt.Sprint()
}

// addLoss makes the link to h drop 10% of packets each way.
func addLoss(t *testing.T, h *testnet.Host) {
	t.Helper()
	if _, err := h.Command("tc", "qdisc", "add", "dev", h.Dev, "root", "netem", "loss", "10%").CombinedOutput(); err == nil {
		if out, err := execOut("tc", "qdisc", "add", "dev", h.PeerDev, "root", "netem", "loss", "10%"); err != nil {
			t.Fatalf("netem on %s: %v %s", h.PeerDev, err, out)
		}
		return
	}
	t.Log("no sch_netem in this kernel: emulating 10% loss with nftables numgen")
	h.NFT(t, `table inet loss {
	chain in {
		type filter hook input priority -10;
		numgen random mod 10 0 drop
	}
	chain out {
		type filter hook output priority -10;
		numgen random mod 10 0 drop
	}
}`)
}

// tcpRejectReason is what an ICMP administratively prohibited reject of a TCP
// connect reads as: the epoll poller reads the ICMP error itself (IP_RECVERR);
// the portable poller's dialer sees only connect's EHOSTUNREACH.
func tcpRejectReason() results.Reason {
	if usePortable {
		return results.ReasonHostUnreach
	}
	return results.ReasonAdminProhibited
}

// TestTCPEngineStatesBothPollers: every TCP verdict from each poller, and a
// dropped port cut off by the run's time limit reported unknown (max-time).
func TestTCPEngineStatesBothPollers(t *testing.T) {
	h := testnet.NewHost(t)
	startListener(t, h, []uint16{22, 80}, nil)
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 8080 drop
		tcp dport 8443 reject with icmp type admin-prohibited
		tcp dport 9000-9999 drop
	}
}`)
	ports, _ := ParsePorts("T:22,80,443,8080,8443")
	forEachPoller(t, func(t *testing.T) {
		got := scanHostPorts(t, &Scanner{Timeout: 400 * time.Millisecond, Retries: new(2)}, h, ports)
		check(t, got, map[string]want{
			"tcp/22":   {results.Open, results.ReasonSynAck},
			"tcp/80":   {results.Open, results.ReasonSynAck},
			"tcp/443":  {results.Closed, results.ReasonConnRefused},
			"tcp/8080": {results.Filtered, results.ReasonNoResponse},
			"tcp/8443": {results.Filtered, tcpRejectReason()},
		})
		if r := got["tcp/8080"]; r.Attempts < 3 {
			t.Errorf("dropped port: %d attempts, want 1 + 2 retries at least", r.Attempts)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		n := 0
		plan := Plan{Targets: slices.Values([]Target{{Name: h.Addr.String(), Addr: h.Addr}}), Ports: []Port{{Proto: results.TCP, Lo: 9000, Hi: 9999}}}
		_ = (&Scanner{}).Scan(ctx, plan, func(r results.Result) {
			n++
			if r.State != results.Unknown || r.Reason != results.ReasonMaxTime {
				t.Errorf("port %d: %s (%s), want unknown (max-time)", r.Port, r.State, r.Reason)
			}
		})
		if n != 1000 {
			t.Errorf("%d results, want 1000", n)
		}
	})
}
