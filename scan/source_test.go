package scan

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

// Every result says which local address its host was scanned from; with Source
// set, TCP connections and UDP datagrams leave from that address (the server
// sees it as the peer), and the results say so.
func TestSourceAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	peers := make(chan netip.Addr, 8)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			peers <- c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
			c.Close()
		}
	}()
	tcpPort := uint16(l.Addr().(*net.TCPAddr).Port)

	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	udpPeers := make(chan netip.Addr, 8)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			udpPeers <- from.Addr().Unmap()
			if b := dnsRefused(buf[:n]); b != nil {
				pc.WriteToUDPAddrPort(b, from)
			}
		}
	}()
	udpPort := uint16(pc.LocalAddr().(*net.UDPAddr).Port)

	for _, src := range []netip.Addr{{}, netip.MustParseAddr("127.0.0.2")} {
		want := src
		if !src.IsValid() {
			want = loopback // the route to 127.0.0.1 is from 127.0.0.1
		}
		got := collect(t, &Scanner{Source: src}, context.Background(), loopback,
			Port{Proto: results.TCP, Lo: tcpPort}, Port{Proto: results.UDP, Lo: udpPort, Probe: "dns"})
		for _, k := range []string{key(results.TCP, tcpPort), key(results.UDP, udpPort)} {
			if r := got[k]; r.State != results.Open || r.Source != want {
				t.Errorf("source %v: %s: state %v, source %v; want open from %v", src, k, r.State, r.Source, want)
			}
		}
		// Each server saw at least one packet (the TCP server may accept after
		// the scan ended); the DNS probe may have sent a second query.
		for name, ch := range map[string]chan netip.Addr{"TCP": peers, "UDP": udpPeers} {
			if p := <-ch; p != want {
				t.Errorf("source %v: the %s server saw %v", src, name, p)
			}
			for len(ch) > 0 {
				if p := <-ch; p != want {
					t.Errorf("source %v: the %s server saw %v", src, name, p)
				}
			}
		}
	}
}

func TestSourceRefused(t *testing.T) {
	// 192.0.2.1 (TEST-NET-1, RFC 5737) is on no interface here; binding sends nothing.
	err := (&Scanner{Source: netip.MustParseAddr("192.0.2.1")}).Scan(context.Background(),
		Plan{Targets: func(func(Target) bool) {}, Ports: []Port{{Proto: results.TCP, Lo: 1}}}, func(results.Result) {})
	if err == nil || !strings.Contains(err.Error(), "source address 192.0.2.1 is not an address of this machine") {
		t.Fatalf("Scan with a foreign source address: %v", err)
	}
	for _, a := range []string{"0.0.0.0", "::", "224.0.0.1"} {
		if err := CheckSource(netip.MustParseAddr(a)); err == nil || !strings.Contains(err.Error(), "not a unicast address") {
			t.Errorf("CheckSource(%s): %v", a, err)
		}
	}
	if err := CheckSource(netip.Addr{}); err != nil {
		t.Errorf("CheckSource(zero): %v", err)
	}
}

// A source address of the other family cannot reach the target: one error
// result for the target, saying so.
func TestSourceOtherFamily(t *testing.T) {
	if _, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	got := collect(t, &Scanner{Source: loopback}, context.Background(), netip.IPv6Loopback(), Port{Proto: results.TCP, Lo: 1})
	r := got[key("", 0)]
	if r.State != results.Error || r.Reason != results.ReasonNoRoute || !strings.Contains(r.Detail, "another address family") {
		t.Fatalf("IPv6 target from an IPv4 source: %+v", got)
	}
}
