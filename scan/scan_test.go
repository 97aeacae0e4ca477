package scan

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/results"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// collect runs a scan of one target and returns its results keyed by proto/port.
func collect(t *testing.T, s *Scanner, ctx context.Context, addr netip.Addr, ports ...Port) map[string]results.Result {
	t.Helper()
	var mu sync.Mutex
	got := map[string]results.Result{}
	plan := Plan{Targets: slices.Values([]Target{{Name: addr.String(), Addr: addr}}), Ports: ports}
	err := s.Scan(ctx, plan, func(r results.Result) {
		mu.Lock()
		defer mu.Unlock()
		got[key(r.Proto, r.Port)] = r
	})
	if err != nil && ctx.Err() == nil {
		t.Fatalf("Scan: %v", err)
	}
	return got
}

func key(p results.Proto, port uint16) string { return string(p) + "/" + strconv.Itoa(int(port)) }

// freeTCPPort and freeUDPPort return loopback ports that are closed and stay
// closed until the test ends (testnet.ClosedTCPPort, testnet.ClosedUDPPort).
func freeTCPPort(t testing.TB) uint16 { return testnet.ClosedTCPPort(t) }

func freeUDPPort(t testing.TB) uint16 { return testnet.ClosedUDPPort(t) }

// openTCP listens on a loopback port (accepting and closing) until the test ends
// and returns the port.
func openTCP(t testing.TB) uint16 { return fakeService(t, listen(t), func(net.Conn) {}) }

// fakeService runs serve on every connection to l until the test ends, closing
// each connection after it, and returns l's port.
func fakeService(t testing.TB, l net.Listener, serve func(net.Conn)) uint16 {
	t.Helper()
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); serve(c) }()
		}
	}()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// listen listens on a free loopback TCP port.
func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestTCPOpenClosed(t *testing.T) {
	open := openTCP(t)
	closed := freeTCPPort(t)
	got := collect(t, &Scanner{}, context.Background(), loopback,
		Port{Proto: results.TCP, Lo: open}, Port{Proto: results.TCP, Lo: closed})
	if r := got[key(results.TCP, open)]; r.State != results.Open || r.Reason != results.ReasonSynAck || r.RTT <= 0 || r.Attempts != 1 {
		t.Errorf("open port: %+v", r)
	}
	if r := got[key(results.TCP, closed)]; r.State != results.Closed || r.Reason != results.ReasonConnRefused || r.Attempts != 1 {
		t.Errorf("closed port: %+v", r)
	}
}

func TestTCPIPv6(t *testing.T) {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	defer l.Close()
	open := uint16(l.Addr().(*net.TCPAddr).Port)
	got := collect(t, &Scanner{}, context.Background(), netip.IPv6Loopback(), Port{Proto: results.TCP, Lo: open})
	if r := got[key(results.TCP, open)]; r.State != results.Open || r.Addr != netip.IPv6Loopback() {
		t.Errorf("open IPv6 port: %+v", r)
	}
}

func TestSelfConnectDetected(t *testing.T) {
	port := freeTCPPort(t)
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(port)}
	d := net.Dialer{LocalAddr: addr, Timeout: time.Second}
	c, err := d.Dial("tcp", addr.String()) // TCP simultaneous open with itself
	if err != nil {
		t.Skip("kernel refused a self-connect:", err)
	}
	defer c.Close()
	if !isSelfConnect(c) {
		t.Fatalf("self-connect %v -> %v not detected", c.LocalAddr(), c.RemoteAddr())
	}
}

// dnsServer answers each question with REFUSED, echoing the ID, or, when wrongID
// is set, with an ID that matches nothing.
func dnsServer(t *testing.T, wrongID bool) uint16 {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			b := dnsRefused(buf[:n])
			if b != nil && wrongID {
				b[0] ^= 0x5a // the ID's first byte
			}
			if b != nil {
				pc.WriteTo(b, from)
			}
		}
	}()
	return uint16(pc.LocalAddr().(*net.UDPAddr).Port)
}

func silentUDP(t *testing.T) uint16 {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return uint16(pc.LocalAddr().(*net.UDPAddr).Port)
}

func TestUDPStates(t *testing.T) {
	good := dnsServer(t, false)
	wrong := dnsServer(t, true)
	silent := silentUDP(t)
	closed := freeUDPPort(t)
	s := &Scanner{Timeout: 400 * time.Millisecond}
	got := collect(t, s, context.Background(), loopback,
		Port{Proto: results.UDP, Lo: good, Probe: "dns"},
		Port{Proto: results.UDP, Lo: wrong, Probe: "dns"},
		Port{Proto: results.UDP, Lo: silent, Probe: "dns"},
		Port{Proto: results.UDP, Lo: closed, Probe: "dns"})
	if r := got[key(results.UDP, good)]; r.State != results.Open || r.Reason != results.ReasonUDPResponse || r.Probe != "dns" || r.Details == nil || r.Detail == "" {
		t.Errorf("answering DNS server: %+v", r)
	}
	if r := got[key(results.UDP, wrong)]; r.State != results.OpenFiltered {
		t.Errorf("server replying with a wrong ID must not count as open: %+v", r)
	}
	if r := got[key(results.UDP, silent)]; r.State != results.OpenFiltered || r.Reason != results.ReasonNoResponse || r.Attempts != 4 {
		// 1 + Retries side by side, then one paced re-probe (the closed port
		// showed that this host sends ICMP errors, so silence may be rate
		// limiting), then one last chance with the full timeout: the windows so
		// far were the short ones the quick DNS answers taught.
		t.Errorf("silent port: %+v", r)
	}
	if r := got[key(results.UDP, closed)]; r.State != results.Closed || r.Reason != results.ReasonPortUnreach {
		t.Errorf("closed port: %+v", r)
	}
}

// A UDP service slower to answer than the host's network round trip (a busy
// DC's CLDAP, a SQL Browser) is open, not open|filtered, even when its first
// request is lost: the quick TCP answer shortens the host's window for the
// retry, and a port silent within it gets one last attempt with the configured
// timeout before it is called silent.
func TestUDPSlowServiceAfterQuickTCP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for n := 0; ; n++ {
			size, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if b := dnsRefused(buf[:size]); b != nil && n > 1 { // the first attempt (two queries) is lost
				time.AfterFunc(700*time.Millisecond, func() { pc.WriteTo(b, from) })
			}
		}
	}()
	slow := uint16(pc.LocalAddr().(*net.UDPAddr).Port)
	open := openTCP(t)
	got := collect(t, &Scanner{Timeout: 1500 * time.Millisecond}, context.Background(), loopback,
		Port{Proto: results.TCP, Lo: open}, Port{Proto: results.UDP, Lo: slow, Probe: "dns"})
	if r := got[key(results.TCP, open)]; r.State != results.Open {
		t.Fatalf("TCP port: %+v", r)
	}
	if r := got[key(results.UDP, slow)]; r.State != results.Open || r.Reason != results.ReasonUDPResponse {
		t.Errorf("DNS answering after 700ms from its second request on, timeout 1.5s: %+v, want open", r)
	}
}

func TestUDPWithoutProbe(t *testing.T) {
	closed := freeUDPPort(t)
	silent := silentUDP(t)
	got := collect(t, &Scanner{Timeout: 300 * time.Millisecond, Retries: new(0)}, context.Background(), loopback,
		Port{Proto: results.UDP, Lo: closed}, Port{Proto: results.UDP, Lo: silent})
	if r := got[key(results.UDP, closed)]; r.State != results.Closed {
		t.Errorf("closed port without a probe: %+v", r)
	}
	if r := got[key(results.UDP, silent)]; r.State != results.OpenFiltered || r.Detail == "" || r.Attempts != 2 {
		t.Errorf("silent port without a probe: %+v", r)
	}
}

func TestIPProtocolNotTested(t *testing.T) {
	c := &results.Check{Profiles: []string{"rras"}, Expect: results.ExpectOpen}
	got := collect(t, &Scanner{}, context.Background(), loopback, Port{Proto: "gre", Check: c})
	r := got[key("gre", 0)]
	if r.State != results.NotTested || r.Reason != results.ReasonIPProto || r.Check != c {
		t.Errorf("GRE entry: %+v", r)
	}
}

func TestCancelMidScan(t *testing.T) {
	var ports []Port
	for range 5 {
		ports = append(ports, Port{Proto: results.UDP, Lo: silentUDP(t), Probe: "dns"})
	}
	open := openTCP(t)
	ports = append(ports, Port{Proto: results.TCP, Lo: open})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	s := &Scanner{Timeout: 10 * time.Second}
	var got []results.Result
	err := s.Scan(ctx, Plan{Targets: slices.Values([]Target{{Name: "lo", Addr: loopback}}), Ports: ports},
		func(r results.Result) { got = append(got, r) })
	if err != context.Canceled {
		t.Fatalf("Scan returned %v, want context.Canceled", err)
	}
	if len(got) != len(ports) {
		t.Fatalf("got %d results, want one per port (%d): %+v", len(got), len(ports), got)
	}
	for _, r := range got {
		switch {
		case r.Proto == results.TCP && r.State != results.Open:
			t.Errorf("measured TCP port lost: %+v", r)
		case r.Proto == results.UDP && (r.State != results.Unknown || r.Reason != results.ReasonInterrupted):
			t.Errorf("unfinished UDP port: %+v", r)
		}
	}
}

func TestMaxTimeReason(t *testing.T) {
	port := silentUDP(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	got := collect(t, &Scanner{Timeout: 5 * time.Second}, ctx, loopback, Port{Proto: results.UDP, Lo: port, Probe: "dns"})
	if r := got[key(results.UDP, port)]; r.State != results.Unknown || r.Reason != results.ReasonMaxTime {
		t.Errorf("port cut off by the deadline: %+v", r)
	}
}

func TestResolveFailureIsPerTarget(t *testing.T) {
	open := openTCP(t)
	// .invalid never resolves (RFC 6761 §6.4); the resolver answers that locally
	// or from the system's configuration, and no scan traffic leaves loopback.
	targets := []Target{{Name: "no-such-host.invalid"}, {Name: "127.0.0.1", Addr: loopback}}
	var got []results.Result
	required := &results.Check{Profiles: []string{"p"}, Expect: results.ExpectOpen}
	err := (&Scanner{}).Scan(context.Background(), Plan{Targets: slices.Values(targets), Ports: []Port{{Proto: results.TCP, Lo: open, Check: required}}},
		func(r results.Result) { got = append(got, r) })
	if err != nil {
		t.Fatal(err)
	}
	var sawErr, sawOpen bool
	for _, r := range got {
		// The error stands for the target's checks: it fails the run.
		sawErr = sawErr || r.Target == "no-such-host.invalid" && r.State == results.Error && r.Reason == results.ReasonResolveFailed && results.Fails(&r)
		sawOpen = sawOpen || r.Target == "127.0.0.1" && r.State == results.Open
	}
	if !sawErr || !sawOpen {
		t.Fatalf("want a per-target error and the other target scanned: %+v", got)
	}
}

func TestEstimator(t *testing.T) {
	e := estimator{ceiling: time.Second}
	if e.timeout() != time.Second {
		t.Fatalf("timeout before any sample = %v, want the ceiling", e.timeout())
	}
	for range 20 {
		e.observe(200 * time.Microsecond)
	}
	if got := e.timeout(); got != rttFloor {
		t.Errorf("fast host: timeout %v, want the floor %v", got, rttFloor)
	}
	for range 20 {
		e.observe(300 * time.Millisecond)
	}
	if got := e.timeout(); got <= 300*time.Millisecond || got > time.Second {
		t.Errorf("slow host: timeout %v, want above the RTT and at most the ceiling", got)
	}
}

// A probe whose protocol never answers (NetBIOS datagrams) leaves a listening
// port open|filtered with a reason that says silence was expected.
func TestMuteProbeSilence(t *testing.T) {
	port := silentUDP(t)
	got := collect(t, &Scanner{Timeout: 200 * time.Millisecond, Retries: new(0)}, context.Background(), loopback,
		Port{Proto: results.UDP, Lo: port, Probe: "netbios-dgm"})
	if r := got[key(results.UDP, port)]; r.State != results.OpenFiltered || r.Reason != results.ReasonNoReplyExpected || r.Detail == "" {
		t.Errorf("silent NetBIOS datagram port: %+v", r)
	}
}

// dnsRefused answers a DNS question with REFUSED, echoing its ID: a minimal DNS
// server for test hosts.
func dnsRefused(req []byte) []byte {
	var m dnsmessage.Message
	if m.Unpack(req) != nil {
		return nil
	}
	m.Header.Response, m.Header.RCode = true, dnsmessage.RCodeRefused
	b, err := m.Pack()
	if err != nil {
		return nil
	}
	return b
}
