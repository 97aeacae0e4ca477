package scan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testdns"
	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/results"
)

// hostileBrowser is a SQL Browser on 127.0.0.1 whose reply lists n
// instances, each on a TCP port of its own from first on: what a hostile or
// broken Browser can say in one reply.
func hostileBrowser(t *testing.T, n int, first uint16) uint16 {
	t.Helper()
	instances := make([]testnet.SQLInstance, n)
	for i := range instances {
		instances[i] = testnet.SQLInstance{Server: "EVIL", Name: fmt.Sprintf("I%d", i), Version: "15.0.2000.5", TCPPort: first + uint16(i)}
	}
	return testnet.StartLoopbackSQLBrowser(t, instances)
}

func scanAll(t *testing.T, s *Scanner, plan Plan) []results.Result {
	t.Helper()
	var mu sync.Mutex
	var got []results.Result
	if err := s.Scan(context.Background(), plan, func(r results.Result) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r)
	}); err != nil {
		t.Fatal(err)
	}
	results.Sort(got)
	return got
}

// limitRows returns the results with reason port-limit.
func limitRows(rs []results.Result) []results.Result {
	var out []results.Result
	for _, r := range rs {
		if r.Reason == results.ReasonPortLimit {
			out = append(out, r)
		}
	}
	return out
}

// A SQL Browser that lists 700 instances must not make a five-port scan test
// 701 (issue 18 item 8): the instance ports share the plan's limit, and those
// left are one result that fails the check they would have carried, blaming
// the limit, not the Browser (which answered: its own check holds).
func TestPortLimitBrowser(t *testing.T) {
	browser := hostileBrowser(t, 700, 20000)
	check := &results.Check{Expect: results.ExpectOpen, Profiles: []string{"sql"}, Service: "SQL Browser"}
	plan := Plan{
		Targets:  slices.Values([]Target{{Name: "sql01", Addr: loopback}}),
		Ports:    []Port{{Proto: results.UDP, Lo: browser, Probe: "sqlbrowser", Check: check}},
		MaxPorts: 5,
	}
	got := scanAll(t, &Scanner{Timeout: time.Second}, plan)
	if len(got) != 6 {
		t.Fatalf("%d results, want 6 (the Browser, 4 instance ports, 1 for the rest)", len(got))
	}
	rows := limitRows(got)
	if len(rows) != 1 {
		t.Fatalf("port-limit rows %+v", rows)
	}
	r := rows[0]
	want := fmt.Sprintf("700 TCP ports the sqlbrowser reply on %d/udp lists: 696 not tested, the scan reached its limit of 5 ports", browser)
	if r.State != results.Unknown || r.Proto != results.TCP || r.Port != 0 || r.Detail != want ||
		r.Via != results.PortName(results.UDP, browser) || r.Probe != "sqlbrowser" {
		t.Errorf("limit row %+v\nwant detail %q", r, want)
	}
	if o := results.Judge(&r); o.Status != results.StatusFailed || o.Why != results.ReasonPortLimit {
		t.Errorf("limit row outcome %+v, want failed port-limit", o)
	}
	tested := 0
	for _, x := range got {
		switch {
		case x.Proto == results.UDP:
			if x.State != results.Open || results.Fails(&x) {
				t.Errorf("the Browser is blamed: %+v", x)
			}
		case x.Port >= 20000:
			tested++
		}
	}
	if tested != 4 {
		t.Errorf("%d instance ports tested, want 4", tested)
	}

	// Without a limit every one is tested: the limit is the plan's, not the
	// scanner's.
	plan.MaxPorts = 0
	plan.Targets = slices.Values([]Target{{Name: "sql01", Addr: loopback}})
	if got := scanAll(t, &Scanner{Timeout: time.Second}, plan); len(got) != 701 {
		t.Errorf("no limit: %d results, want 701", len(got))
	}
}

// Required instances are planned: they are tested whatever the Browser adds,
// and only the ports nobody asked for share what the limit leaves.
func TestPortLimitRequiredInstance(t *testing.T) {
	browser := hostileBrowser(t, 50, 21000)
	need := Instance{Name: "I42", Check: &results.Check{Expect: results.ExpectOpen, Service: "SQL Server"}}
	ports := []Port{{Proto: results.UDP, Lo: browser, Probe: "sqlbrowser", Instances: []Instance{need}}}
	if n := PortCount(ports); n != 2 {
		t.Fatalf("PortCount %d, want 2: the Browser and the instance it must list", n)
	}
	plan := Plan{Targets: slices.Values([]Target{{Name: "sql01", Addr: loopback}}), Ports: ports, MaxPorts: 2}
	got := scanAll(t, &Scanner{Timeout: time.Second}, plan)
	var instance *results.Result
	for i := range got {
		if got[i].Port == 21042 {
			instance = &got[i]
		}
	}
	if instance == nil || instance.Check != need.Check {
		t.Fatalf("required instance not tested: %+v", got)
	}
	if rows := limitRows(got); len(got) != 3 || len(rows) != 1 || rows[0].Check != nil ||
		!strings.HasSuffix(rows[0].Detail, ": 49 not tested, the scan reached its limit of 2 ports") {
		t.Errorf("%d results, port-limit rows %+v", len(got), rows)
	}
}

// The endpoint mapper's registered ports share the limit too: with room for
// the mapper's row and one port, the Samba capture's other two are one row.
func TestPortLimitEPM(t *testing.T) {
	bindAck, calls := loadEPMCapture(t, "epm-samba-lookup500.hex")
	f := newFakeEPM(t, replay(bindAck, calls))
	check := &results.Check{Expect: results.ExpectOpen}
	ports := []Port{{Proto: results.TCP, EPM: f.addr().Port(), Kind: KindDynamicRPC, Check: check}}
	plan := Plan{Targets: slices.Values([]Target{{Name: "dc", Addr: f.addr().Addr()}}), Ports: ports, MaxPorts: PortCount(ports)}
	got := scanAll(t, &Scanner{Timeout: 2 * time.Second}, plan)
	rows := limitRows(got)
	if len(got) != 3 || len(rows) != 1 {
		t.Fatalf("results %+v", got)
	}
	r := rows[0]
	if r.Detail != "3 TCP ports the endpoint mapper registers: 2 not tested, the scan reached its limit of 2 ports" ||
		r.State != results.Unknown || r.Check != check || r.Via != results.PortName(results.TCP, f.addr().Port()) || r.Probe != ProbeEPM {
		t.Errorf("limit row %+v", r)
	}
}

// A named interface set registered on several ports is tried port by port
// until one binds: each port past the first is one the endpoint mapper adds.
// With none left, the set's row says so, failing on the limit, not on the
// service (the first port, closed here, is not taken for the verdict).
func TestPortLimitInterfaceCandidates(t *testing.T) {
	bindAck, calls := loadEPMCapture(t, "epm-samba-lookup500.hex")
	f := newFakeEPM(t, replay(bindAck, calls))
	var set InterfaceSet
	for _, key := range []string{"netlogon", "samr", "lsarpc"} {
		i, ok := msrpc.LookupInterface(key)
		if !ok {
			t.Fatalf("interface %s unknown", key)
		}
		set = append(set, i)
	}
	check := &results.Check{Expect: results.ExpectOpen}
	ports := []Port{{Proto: results.TCP, EPM: f.addr().Port(), Kind: KindDynamicRPC, Interfaces: []InterfaceSet{set}, Check: check}}
	plan := Plan{Targets: slices.Values([]Target{{Name: "dc", Addr: f.addr().Addr()}}), Ports: ports, MaxPorts: PortCount(ports)}
	got := scanAll(t, &Scanner{Timeout: 2 * time.Second}, plan)
	rows := limitRows(got)
	if len(got) != 2 || len(rows) != 1 {
		t.Fatalf("%d results, port-limit rows %+v", len(got), rows)
	}
	r := rows[0]
	if !strings.Contains(r.Detail, "is registered on 3 TCP ports, 1 tried and none bound (the first: ") ||
		!strings.HasSuffix(r.Detail, "; the rest: 2 not tested, the scan reached its limit of 2 ports") ||
		r.State != results.Unknown || r.Check != check || !results.Fails(&r) {
		t.Errorf("set row %+v", r)
	}
	if _, ok := r.Details.(*RPCInterfaceDetail); !ok {
		t.Errorf("details %#v", r.Details)
	}
}

// A name's further addresses are added as the scan goes (AllAddresses): one
// that does not fit is one row for that address.
func TestPortLimitAddresses(t *testing.T) {
	second := netip.MustParseAddr("127.0.0.2")
	_, res := testdns.Start(t, map[string][][]netip.Addr{"two.test.": {{loopback, second}}})
	port := openTCP(t)
	plan := Plan{Targets: slices.Values([]Target{{Name: "two.test", AllAddresses: true}}),
		Ports: []Port{{Proto: results.TCP, Lo: port, Check: &results.Check{Expect: results.ExpectOpen}}}, MaxPorts: 1}
	got := scanAll(t, &Scanner{Resolver: res}, plan)
	if len(got) != 2 || got[0].Addr != loopback || got[0].State != results.Open {
		t.Fatalf("results %+v", got)
	}
	r := got[1]
	if r.Addr != second || r.Reason != results.ReasonPortLimit || !results.Fails(&r) ||
		r.Detail != "address 127.0.0.2 of two.test, one of 2, with 1 ports: 1 not tested, the scan reached its limit of 1 ports" {
		t.Errorf("second address %+v", r)
	}
}

// A plan whose planned ports pass the limit is refused before anything is
// sent; PortCount counts what the scan reports.
func TestPortLimitPlanned(t *testing.T) {
	targets := slices.Values([]Target{{Name: "a", Addr: loopback}, {Name: "b", Addr: loopback}})
	err := (&Scanner{}).Scan(context.Background(), Plan{Targets: targets, Ports: []Port{{Proto: results.TCP, Lo: 1, Hi: 3}}, MaxPorts: 5},
		func(r results.Result) { t.Errorf("scanned: %+v", r) })
	var tooMany *TooManyPortsError
	if !errors.As(err, &tooMany) || *tooMany != (TooManyPortsError{Ports: 6, Max: 5}) || err.Error() != "6 ports to test, more than 5" {
		t.Errorf("err %v", err)
	}

	iface := func(name string) InterfaceSet { return InterfaceSet{msrpc.Interface{Name: name}} }
	for _, c := range []struct {
		name  string
		ports []Port
		want  int
	}{
		{"ports and an IP protocol", []Port{{Proto: results.TCP, Lo: 80, Hi: 81}, {Proto: results.UDP, Lo: 53}, {Proto: "gre"}}, 4},
		{"not tested", []Port{{Proto: results.TCP, Lo: 1, Hi: 9, Why: results.ReasonNegotiated}}, 1},
		// The mapper's row, with 135's own entry folded into it; a row per
		// interface set; a row for an entry that names none.
		{"endpoint mapper", []Port{{Proto: results.TCP, Lo: 135}, {Kind: KindDynamicRPC, Proto: results.TCP, Interfaces: []InterfaceSet{iface("a"), iface("b")}},
			{Kind: KindDynamicRPC, Proto: results.TCP}}, 4},
		{"two endpoint mappers", []Port{{Kind: KindDynamicRPC, Proto: results.TCP}, {Kind: KindDynamicRPC, Proto: results.TCP, EPM: 1135}}, 4},
		{"135 without a dynamic entry", []Port{{Proto: results.TCP, Lo: 135}}, 1},
		{"required instances", []Port{{Proto: results.UDP, Lo: 1434, Instances: []Instance{{Name: "A"}, {Name: "B"}}}}, 3},
	} {
		if got := PortCount(c.ports); got != c.want {
			t.Errorf("%s: PortCount %d, want %d", c.name, got, c.want)
		}
	}
}
