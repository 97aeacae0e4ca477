package scan

import (
	"io"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/results"
)

// A dynamic-rpc entry that names no interface yields the endpoint mapper's
// result, carrying the endpoint list (and no check: the plan has no entry for the
// port itself), and one result per registered dynamic TCP port, carrying the
// interfaces behind it; 593, RPC over HTTP's fixed endpoint, is not one. The fake
// mapper replays the Samba capture, so the registered ports (49152-49154) are
// tested on 127.0.0.1, where their state depends on this machine:
// only the shape of the results is asserted here; states are asserted against a
// real Samba in TestEPMSambaIntegration.
func TestEPMCheckThroughScanner(t *testing.T) {
	bindAck, calls := loadEPMCapture(t, "epm-samba-lookup500.hex")
	f := newFakeEPM(t, replay(bindAck, calls))
	check := &results.Check{Profiles: []string{"test"}, Expect: results.ExpectOpen}
	plan := Plan{
		Targets: slices.Values([]Target{{Name: "dc", Addr: f.addr().Addr()}}),
		Ports:   []Port{{Proto: results.TCP, EPM: f.addr().Port(), Kind: KindDynamicRPC, Check: check}},
	}
	var got []results.Result
	s := &Scanner{Timeout: 2 * time.Second}
	if err := s.Scan(t.Context(), plan, func(r results.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	var epm *results.Result
	ports := map[uint16]results.Result{}
	for _, r := range got {
		if r.Probe != ProbeEPM || r.Target != "dc" {
			t.Errorf("result without the entry's probe or target: %+v", r)
		}
		if r.Port == f.addr().Port() && r.Via == "" {
			if r.Check != nil {
				t.Errorf("endpoint mapper's row carries the dynamic entry's check: %+v", r)
			}
			epm = &r
			continue
		}
		if r.Check != check || r.Via != results.PortName(results.TCP, f.addr().Port()) {
			t.Errorf("registered port without the entry's check or via: %+v", r)
		}
		ports[r.Port] = r
	}
	if epm == nil || epm.State != results.Open || epm.Reason != results.ReasonEPMListed {
		t.Fatalf("endpoint mapper result %+v", epm)
	}
	sum, ok := epm.Details.(*EPMSummary)
	if !ok || sum.Entries != 53 || epm.Detail != sum.Summary() {
		t.Fatalf("details %#v", epm.Details)
	}
	// Only TCP endpoints are what a firewall lets through: the others (named
	// pipes, local RPC) are counted apart (issue 18 item 11).
	if want := "53 entries, 13 TCP endpoints on 5 ports, 23 on named pipes or local RPC"; epm.Detail != want {
		t.Errorf("summary %q, want %q", epm.Detail, want)
	}
	for _, p := range sum.TCPPorts() {
		if msrpc.FixedEndpoint(p.Port) {
			if _, dup := ports[p.Port]; dup {
				t.Errorf("fixed endpoint %d reported as a registered port", p.Port)
			}
			continue
		}
		r, ok := ports[p.Port]
		if !ok {
			t.Errorf("registered port %d not tested", p.Port)
			continue
		}
		d, ok := r.Details.(*EPMPortDetail)
		if !ok || len(d.Interfaces) != len(p.Interfaces) || r.Under != EPMLabels(p.Interfaces) {
			t.Errorf("port %d: under %q details %#v", p.Port, r.Under, r.Details)
		}
		if p.Port == 49152 && !strings.HasPrefix(r.Under, "Netlogon (12345678-") {
			t.Errorf("49152 under %q", r.Under)
		}
	}
	if len(ports) != len(sum.TCPPorts())-2 { // 135 and 593
		t.Errorf("%d port results for %d registered ports", len(ports), len(sum.TCPPorts()))
	}
}

// badEPM listens on loopback and answers each connection with serve.
func badEPM(t *testing.T, serve func(net.Conn)) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// Something that is not an endpoint mapper on its port (an HTTP server, a
// listener that closes at once, one that never answers, nothing at all): every
// check of the entry fails with its reason, the endpoint mapper's own check too,
// and the scan ends (the exchange is bounded by its deadline).
func TestEPMCheckUnreadable(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	servers := map[string]uint16{
		"http": badEPM(t, func(c net.Conn) {
			_, _ = c.Read(make([]byte, 1024))
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		}),
		"closes at once": openTCP(t),
		"never answers": badEPM(t, func(c net.Conn) {
			go func() { <-stop; c.Close() }()
			_, _ = io.Copy(io.Discard, c)
		}),
		"closed": freeTCPPort(t),
	}
	dtc, _ := msrpc.LookupInterface("msdtc")
	for name, port := range servers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			epmCheck := &results.Check{Profiles: []string{"rpc"}, Expect: results.ExpectOpen}
			named := &results.Check{Profiles: []string{"msdtc"}, Expect: results.ExpectOpen}
			any := &results.Check{Profiles: []string{"fax-service"}, Expect: results.ExpectOpen}
			plan := Plan{
				Targets: slices.Values([]Target{{Name: "h", Addr: netip.MustParseAddr("127.0.0.1")}}),
				Ports: []Port{
					{Proto: results.TCP, Lo: port, Check: epmCheck},
					{Proto: results.TCP, Kind: KindDynamicRPC, EPM: port, Interfaces: []InterfaceSet{{dtc}}, Check: named},
					{Proto: results.TCP, Kind: KindDynamicRPC, EPM: port, Check: any},
				},
			}
			var got []results.Result
			if err := (&Scanner{Timeout: 200 * time.Millisecond}).Scan(t.Context(), plan, func(r results.Result) { got = append(got, r) }); err != nil {
				t.Fatal(err)
			}
			checks := map[*results.Check]int{}
			for _, r := range got {
				t.Logf("%d/%s %s %s %v %q", r.Port, r.Proto, r.State, r.Reason, results.Judge(&r), r.Detail)
				checks[r.Check]++
				if !results.Fails(&r) {
					t.Errorf("passes: %+v", r)
				}
				if r.Check != epmCheck && r.Reason != results.ReasonEPMUnreadable {
					t.Errorf("reason %q, want %q", r.Reason, results.ReasonEPMUnreadable)
				}
			}
			if checks[epmCheck] != 1 || checks[named] != 1 || checks[any] != 1 {
				t.Errorf("rows per check: %v", checks)
			}
			if results.Overall(got) != results.VerdictFail {
				t.Errorf("verdict %s", results.Overall(got))
			}
		})
	}
}

// --expect reachable validates the firewall before the application is
// installed: an endpoint mapper that answers (here, Samba's, which registers no
// MSDTC) passes, and so does one that refuses the connection (the packet got
// through); the interface rows behind them, whose port nothing reveals, are
// undetermined, never failed (issue 18 item 5). Behind a filtered endpoint
// mapper they still fail.
func TestEPMCheckReachable(t *testing.T) {
	bindAck, calls := loadEPMCapture(t, "epm-samba-lookup500.hex")
	samba := newFakeEPM(t, replay(bindAck, calls)).addr().Port()
	refused := freeTCPPort(t)
	dtc, _ := msrpc.LookupInterface("msdtc")
	for name, c := range map[string]struct {
		port uint16
		want map[string]results.Status // by row: "epm", "msdtc"
	}{
		"msdtc not registered":   {samba, map[string]results.Status{"epm": results.StatusMet, "msdtc": results.StatusUndetermined}},
		"endpoint mapper closed": {refused, map[string]results.Status{"epm": results.StatusMet, "msdtc": results.StatusUndetermined}},
	} {
		t.Run(name, func(t *testing.T) {
			epmCheck := &results.Check{Profiles: []string{"msdtc"}, Service: "RPC endpoint mapper", Expect: results.ExpectReachable}
			named := &results.Check{Profiles: []string{"msdtc"}, Service: "MSDTC", Expect: results.ExpectReachable}
			plan := Plan{
				Targets: slices.Values([]Target{{Name: "h", Addr: netip.MustParseAddr("127.0.0.1")}}),
				Ports: []Port{
					{Proto: results.TCP, Lo: c.port, Check: epmCheck},
					{Proto: results.TCP, Kind: KindDynamicRPC, EPM: c.port, Interfaces: []InterfaceSet{{dtc}}, Check: named},
				},
			}
			var got []results.Result
			if err := (&Scanner{Timeout: time.Second}).Scan(t.Context(), plan, func(r results.Result) { got = append(got, r) }); err != nil {
				t.Fatal(err)
			}
			rows := map[string]results.Status{}
			for _, r := range got {
				t.Logf("%s %s %s %v %q", results.PortName(r.Proto, r.Port), r.State, r.Reason, results.Judge(&r), r.Detail)
				switch r.Check {
				case epmCheck:
					rows["epm"] = results.Judge(&r).Status
				case named:
					rows["msdtc"] = results.Judge(&r).Status
				}
			}
			if !maps.Equal(rows, c.want) {
				t.Errorf("outcomes %v, want %v", rows, c.want)
			}
			if v := results.Overall(got); v == results.VerdictFail {
				t.Errorf("verdict %s", v)
			}
		})
	}
}
