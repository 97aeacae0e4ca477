package scan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/portreach/portreach/results"
)

// fakeProber answers each TTL's probes in turn from a script; a TTL without
// a script, or past its end, is silent.
type fakeProber struct {
	script map[int][]hopAnswer
	sent   map[int]int
	err    error
}

func (p *fakeProber) probe(_ context.Context, ttl int, _ time.Duration) (hopAnswer, error) {
	if p.sent == nil {
		p.sent = map[int]int{}
	}
	n := p.sent[ttl]
	p.sent[ttl]++
	if p.err != nil && ttl == 2 {
		return hopAnswer{}, p.err
	}
	if s := p.script[ttl]; n < len(s) {
		return s[n], nil
	}
	return hopAnswer{}, nil
}

func (p *fakeProber) close() {}

var (
	hop1 = netip.MustParseAddr("198.18.1.2")
	hop2 = netip.MustParseAddr("198.18.2.2")
	hop3 = netip.MustParseAddr("198.18.3.2")
	dest = netip.MustParseAddr("198.18.4.2")
)

func te(a netip.Addr) hopAnswer {
	return hopAnswer{reason: results.ReasonTTLExceeded, from: a, rtt: time.Millisecond}
}

// hopsString renders hops as "1 a, 2 *, …" with reasons other than
// time-exceeded after the address.
func hopsString(hops []results.Hop) string { return (&results.Trace{Hops: hops}).Path() }

// walk stops at the host's answer, at an unreachable, after silentGap silent
// hops in a row or at maxHops; a silent hop gets its attempts, an answered one
// one probe.
func TestWalk(t *testing.T) {
	tests := []struct {
		name    string
		script  map[int][]hopAnswer
		attempt int
		max     int
		want    string
		probes  int
	}{
		{"reaches the host", map[int][]hopAnswer{1: {te(hop1)}, 2: {te(hop2)}, 3: {{reason: results.ReasonConnRefused, from: dest, rtt: time.Millisecond}}}, 2, 30,
			"1 198.18.1.2 1 ms, 2 198.18.2.2 1 ms, 3 198.18.4.2 1 ms conn-refused", 3},
		{"silent after hop 2: three silent hops, two probes each", map[int][]hopAnswer{1: {te(hop1)}, 2: {te(hop2)}}, 2, 30,
			"1 198.18.1.2 1 ms, 2 198.18.2.2 1 ms, 3 *, 4 *, 5 *", 2 + 3*2},
		{"a gap of two silent hops is crossed", map[int][]hopAnswer{1: {te(hop1)}, 4: {te(hop3)}}, 1, 30,
			"1 198.18.1.2 1 ms, 2 *, 3 *, 4 198.18.3.2 1 ms, 5 *, 6 *, 7 *", 7},
		{"a hop silent once answers the second probe", map[int][]hopAnswer{1: {{}, te(hop1)}, 2: {{reason: results.ReasonAdminProhibited, from: hop1}}}, 2, 30,
			"1 198.18.1.2 1 ms, 2 198.18.1.2 0 ms admin-prohibited", 3},
		{"max hops", map[int][]hopAnswer{1: {te(hop1)}, 2: {te(hop2)}, 3: {te(hop3)}}, 2, 3,
			"1 198.18.1.2 1 ms, 2 198.18.2.2 1 ms, 3 198.18.3.2 1 ms", 3},
	}
	for _, tt := range tests {
		p := &fakeProber{script: tt.script}
		hops, err := walk(context.Background(), p, tt.max, tt.attempt, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, n := range p.sent {
			sent += n
		}
		if got := hopsString(hops); got != tt.want || sent != tt.probes {
			t.Errorf("%s: %s (%d probes)\nwant %s (%d probes)", tt.name, got, sent, tt.want, tt.probes)
		}
	}
	// A probe that could not be sent ends the walk with the hops so far.
	p := &fakeProber{script: map[int][]hopAnswer{1: {te(hop1)}}, err: errors.New("bind: address in use")}
	hops, err := walk(context.Background(), p, 30, 2, time.Second)
	if err == nil || len(hops) != 1 {
		t.Errorf("walk with a failing probe: %v, %v", hopsString(hops), err)
	}
	// A cancelled walk stops.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if hops, _ := walk(ctx, &fakeProber{}, 30, 2, time.Second); len(hops) != 0 {
		t.Errorf("cancelled walk: %s", hopsString(hops))
	}
}

func hopsOf(answers ...hopAnswer) []results.Hop {
	var hops []results.Hop
	for i, a := range answers {
		h := results.Hop{TTL: i + 1, Addr: a.from, Reason: a.reason, RTT: a.rtt}
		if a.reason == "" {
			h.Reason = results.ReasonNoResponse
		}
		hops = append(hops, h)
	}
	return hops
}

var silent = hopAnswer{}

// traceVerdict names the place each kind of trace points at, and never a hop
// that did not answer.
func TestTraceVerdict(t *testing.T) {
	admin := func(a netip.Addr) hopAnswer { return hopAnswer{reason: results.ReasonAdminProhibited, from: a} }
	tests := []struct {
		name    string
		hops    []results.Hop
		hostHop int
		want    string
	}{
		{"dropped after hop 2", hopsOf(te(hop1), te(hop2), silent, silent, silent), 4, "dropped 2 198.18.2.2 host 4"},
		{"dropped after hop 2, host unknown", hopsOf(te(hop1), te(hop2), silent, silent, silent), 0, "dropped 2 198.18.2.2 host 0"},
		{"the host drops it", hopsOf(te(hop1), te(hop2), te(hop3), silent, silent, silent), 4, "host-drops 3 198.18.3.2 host 4"},
		{"a silent hop 3 hides whether the host drops it", hopsOf(te(hop1), te(hop2), silent, silent, silent), 4, "dropped 2 198.18.2.2 host 4"},
		{"a silent hop 1", hopsOf(silent, te(hop2), silent, silent, silent), 4, "dropped 2 198.18.2.2 host 4"},
		{"no hop answers", hopsOf(silent, silent, silent), 4, "dropped 0 invalid IP host 4"},
		{"rejected by the router that answered hop 2", hopsOf(te(hop1), te(hop2), admin(hop2)), 0, "rejected 2 198.18.2.2 admin-prohibited"},
		{"rejected by a router that did not answer before", hopsOf(te(hop1), silent, admin(hop3)), 0, "rejected 3 198.18.3.2 admin-prohibited"},
		{"rejected by the host", hopsOf(te(hop1), te(hop2), te(hop3), admin(dest)), 0, "host-rejects 4 198.18.4.2 admin-prohibited"},
		{"the host answers", hopsOf(te(hop1), te(hop2), te(hop3), hopAnswer{reason: results.ReasonSynAck, from: dest}), 0, "reached 4 198.18.4.2 syn-ack"},
		{"still answering at max hops", hopsOf(te(hop1), te(hop2), te(hop3)), 0, "dropped 3 198.18.3.2 host 0"},
	}
	for _, tt := range tests {
		tr := traceVerdict(tt.hops, dest, tt.hostHop)
		got := fmt.Sprintf("%s %d %s host %d", tr.End, tr.Hop, tr.Addr, tr.HostHop)
		if tr.End != results.TraceDropped && tr.End != results.TraceHostDrops {
			got = fmt.Sprintf("%s %d %s %s", tr.End, tr.Hop, tr.Addr, tr.Reason)
		}
		if got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// A port is traced when the network filtered it: not when this machine's own
// firewall refused, not when a UDP probe expects no answer.
func TestTraceable(t *testing.T) {
	tests := []struct {
		r    results.Result
		want bool
	}{
		{results.Result{Proto: results.TCP, State: results.Filtered, Reason: results.ReasonNoResponse}, true},
		{results.Result{Proto: results.TCP, State: results.Filtered, Reason: results.ReasonAdminProhibited}, true},
		{results.Result{Proto: results.TCP, State: results.Filtered, Reason: results.ReasonLocalFirewall}, false},
		{results.Result{Proto: results.TCP, State: results.Closed, Reason: results.ReasonConnRefused}, false},
		{results.Result{Proto: results.UDP, State: results.OpenFiltered, Reason: results.ReasonNoResponse, Probe: "dns"}, true},
		{results.Result{Proto: results.UDP, State: results.OpenFiltered, Reason: results.ReasonNoReplyExpected, Probe: "netbios-dgm"}, false},
		{results.Result{Proto: results.UDP, State: results.OpenFiltered, Reason: results.ReasonNoResponse}, false},
		{results.Result{Proto: results.UDP, State: results.Filtered, Reason: results.ReasonAdminProhibited, Probe: "dns"}, true},
		{results.Result{Proto: "gre", State: results.NotTested, Reason: results.ReasonIPProto}, false},
	}
	for _, tt := range tests {
		if got := traceable(&tt.r); got != tt.want {
			t.Errorf("%s %s %s %q: %v, want %v", tt.r.Proto, tt.r.State, tt.r.Reason, tt.r.Probe, got, tt.want)
		}
	}
}

func TestLinuxTraceSupport(t *testing.T) {
	for release, ok := range map[string]bool{"6.18.44-fc-v1272": true, "5.8.0": true, "5.15.0-91-generic": true, "5.4.0-150-generic": false, "4.19.0-26-amd64": false, "weird": true} {
		if err := linuxTraceSupport(release); (err == nil) != ok {
			t.Errorf("%s: %v", release, err)
		}
	}
	want := "tracing needs Linux 5.8 or later, which reports the ICMP errors of TCP connects to programs without privileges (this is Linux 5.4.0-150-generic)"
	if err := linuxTraceSupport("5.4.0-150-generic"); err == nil || err.Error() != want {
		t.Errorf("5.4: %v", err)
	}
}
