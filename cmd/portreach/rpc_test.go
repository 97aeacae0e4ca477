package main

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

func runR(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runRPC(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRPCBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  string
	}{
		{nil, "no HOST given"},
		{[]string{"-f", "xml", "198.18.0.1"}, `unknown format "xml"`},
		{[]string{"--range", "50200-50000", "198.18.0.1"}, `portreach rpc: --range: range "50200-50000" runs backwards (write 50000-50200)` + "\n"},
		{[]string{"--range", "0-10", "198.18.0.1"}, "portreach rpc: --range: port 0 is out of range (1-65535)\n"},
		{[]string{"--range", "x", "198.18.0.1"}, `portreach rpc: --range: "x" is not a port number` + "\n"},
		{[]string{"--range", "50000-", "198.18.0.1"}, `portreach rpc: --range: range "50000-" needs both ends (LO-HI)` + "\n"},
		{[]string{"198.18.0.1/33"}, "portreach rpc:"},
	} {
		code, _, stderr := runR(c.args...)
		if code != 2 || !strings.Contains(stderr, c.err) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.err)
		}
	}
	if code, out, _ := runR("-h"); code != 0 || !strings.Contains(out, "--range") && !strings.Contains(out, "-range") {
		t.Errorf("-h: %d %q", code, out)
	}
}

func TestSummarizeRange(t *testing.T) {
	var rs []results.Result
	add := func(lo, hi int, s results.State) {
		for p := lo; p <= hi; p++ {
			rs = append(rs, results.Result{Proto: results.TCP, Port: uint16(p), State: s})
		}
	}
	add(50000, 50010, results.Open)
	add(50011, 50100, results.Closed)
	add(50101, 50101, results.Open)
	add(50102, 50200, results.Filtered)
	want := "50000-50010 open (11), 50011-50100 closed (90), 50101 open (1), 50102-50200 filtered (99)"
	if got := summarizeRange(rs); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// The table names the interfaces behind each port and says which ones are not
// reachable; the results are what the scanner emits for a dynamic-rpc entry.
func TestRPCTable(t *testing.T) {
	addr := netip.MustParseAddr("198.18.7.2")
	dtc := msrpc.Endpoint{Interface: msrpc.MustParseUUID("906b0ce0-c70b-1067-b317-00dd010662da"), Version: "1.0",
		Name: msrpc.InterfaceName(msrpc.MustParseUUID("906b0ce0-c70b-1067-b317-00dd010662da")), Protocol: "ncacn_ip_tcp", Port: 50012}
	netlogon := msrpc.Endpoint{Interface: msrpc.MustParseUUID("12345678-1234-abcd-ef00-01234567cffb"), Version: "1.0",
		Name: "Netlogon", Protocol: "ncacn_ip_tcp", Port: 49152, Annotation: "netlogon"}
	pipe := msrpc.Endpoint{Interface: netlogon.Interface, Version: "1.0", Name: netlogon.Name, Protocol: "ncacn_np", Endpoint: `\pipe\netlogon`}
	sum := &scan.EPMSummary{EPMResult: &scan.EPMResult{LookupResult: msrpc.LookupResult{Endpoints: []msrpc.Endpoint{netlogon, dtc, pipe}, Entries: 3, Calls: 2}}}
	rs := []results.Result{
		{Target: "dc", Addr: addr, Proto: results.TCP, Port: 135, State: results.Open, Reason: results.ReasonEPMListed, Probe: scan.ProbeEPM, Detail: sum.Summary(), Details: sum},
		{Target: "dc", Addr: addr, Proto: results.TCP, Port: 50012, State: results.Filtered, Reason: "no-response", Probe: scan.ProbeEPM, Via: "135/tcp", Under: scan.EPMLabels([]msrpc.Endpoint{dtc})},
		{Target: "dc", Addr: addr, Proto: results.TCP, Port: 49152, State: results.Open, Reason: "syn-ack", Probe: scan.ProbeEPM, Via: "135/tcp", Under: scan.EPMLabels([]msrpc.Endpoint{netlogon})},
		{Target: "dc", Addr: addr, Proto: results.TCP, Port: 50000, State: results.Open},
		{Target: "dc", Addr: addr, Proto: results.TCP, Port: 50001, State: results.Closed},
		{Target: "dc", Addr: addr, Proto: results.TCP, Port: 50002, State: results.Closed},
	}
	var b bytes.Buffer
	if err := writeRPCTable(&b, rs, &results.PortRange{Lo: 50000, Hi: 50200}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"198.18.7.2 (dc)\n",
		"endpoint mapper 135/tcp: open (epm-listed): 3 entries, 2 TCP endpoints on 2 ports, 1 on named pipes or local RPC",
		"49152/tcp (dynamic)  Netlogon (12345678-1234-abcd-ef00-01234567cffb)",
		`"netlogon"`,
		"(1 more endpoints on named pipes or local RPC",
		"MSDTC (906b0ce0-…) registered on 50012/tcp: filtered (no-response)",
		"Netlogon (12345678-…) registered on 49152/tcp: open\n",
		"49152/tcp (dynamic): Netlogon (12345678-…)",
		"50000 open (1), 50001-50002 closed (2)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "50012/tcp (fixed): MSDTC") {
		t.Errorf("50012 is inside the range but reported outside:\n%s", out)
	}
	if rpcAllOpen(rs) {
		t.Errorf("rpcAllOpen with a filtered registered port")
	}
	rs[1].State = results.Open
	if !rpcAllOpen(rs) {
		t.Errorf("rpcAllOpen false with every registered port open")
	}
}
