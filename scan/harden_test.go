package scan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/portreach/portreach/results"
)

// Every planned (host, port) is accounted for when the run stops: hosts it
// never reached too, port by port, as unknown (issue 11 case 6).
func TestStoppedRunAccountsForEveryHost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	var ts Targets
	_ = ts.Add("127.0.0.1-20", "no-such-host.invalid")
	ports := []Port{{Proto: results.TCP, Lo: 9, Hi: 10}, {Proto: results.UDP, Lo: 53},
		{Proto: results.TCP, Kind: KindDynamicRPC}, {Proto: "gre"}}
	var got []results.Result
	err := (&Scanner{}).Scan(ctx, Plan{Targets: ts.All(), Ports: ports}, func(r results.Result) { got = append(got, r) })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Scan: %v", err)
	}
	if want := 21 * 5; len(got) != want {
		t.Fatalf("%d results, want %d (every port of every host)", len(got), want)
	}
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.Target] = true
		switch {
		case r.Proto == "gre":
			if r.State != results.NotTested {
				t.Errorf("GRE: %+v", r)
			}
		case r.State != results.Unknown || r.Reason != results.ReasonMaxTime:
			t.Errorf("unstarted port: %+v", r)
		case r.Proto == results.UDP && r.Probe != "dns":
			t.Errorf("unstarted 53/udp names no probe: %+v", r)
		}
	}
	if len(seen) != 21 {
		t.Errorf("%d targets reported, want 21", len(seen))
	}
}

// Ctrl-C in the middle of a multi-host scan: the hosts not yet started are
// reported too.
func TestCancelReportsUnstartedHosts(t *testing.T) {
	port := silentUDP(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	targets := slices.Repeat([]Target{{Name: "lo", Addr: loopback}}, 200) // silent on every one
	var got []results.Result
	s := &Scanner{Timeout: 10 * time.Second, Concurrency: 4, PerHost: 1}
	_ = s.Scan(ctx, Plan{Targets: slices.Values(targets), Ports: []Port{{Proto: results.UDP, Lo: port, Probe: "dns"}}},
		func(r results.Result) { got = append(got, r) })
	if len(got) != 200 {
		t.Fatalf("%d results, want 200", len(got))
	}
	for _, r := range got {
		if r.State != results.Unknown || r.Reason != results.ReasonInterrupted {
			t.Fatalf("%+v", r)
		}
	}
}

// Errors this machine makes are a local error, never a port state, and never
// retried into "filtered" (issue 11 case 10).
func TestClassifyLocalErrors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EINVAL, syscall.EBADF, syscall.ENOTSOCK, syscall.EAFNOSUPPORT} {
		o := classify(fmt.Errorf("dial tcp: %w", errno))
		if o.state != results.Error || o.reason != results.ReasonLocalError || !o.final {
			t.Errorf("%v: %+v", errno, o)
		}
	}
	for _, err := range []error{context.Canceled, context.DeadlineExceeded, syscall.ETIMEDOUT, syscall.EMFILE} {
		if o := classify(err); o.final {
			t.Errorf("%v: %+v, want not final", err, o)
		}
	}
	var r results.Result
	o := (&run{}).judge(&host{}, &r, fmt.Errorf("connect: %w", syscall.EINVAL), false, nil, 0)
	if o.state != results.Error || r.Detail != "connect: invalid argument" {
		t.Errorf("judge: %+v %+v", o, r)
	}
}

func TestPreflightVerdict(t *testing.T) {
	v4, v6 := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:db8::1")
	tests := []struct {
		addr   netip.Addr
		err    error
		reason results.Reason
	}{
		{v4, syscall.ENETUNREACH, results.ReasonNoRoute},
		{v4, syscall.EHOSTUNREACH, results.ReasonNoRoute},
		{v6, syscall.EAFNOSUPPORT, results.ReasonNoRoute},
		{v6, syscall.EADDRNOTAVAIL, results.ReasonNoRoute},
		{v4, syscall.EPERM, results.ReasonLocalFirewall},
		{v4, syscall.EINVAL, results.ReasonLocalError},
		{v4, syscall.ENOTSOCK, results.ReasonLocalError},
	}
	for _, tt := range tests {
		v := classifyRoute(tt.addr, netip.Addr{}, tt.err)
		if v.reason != tt.reason || v.state != results.Error || !errors.Is(v.err, tt.err) {
			t.Errorf("%v for %v: %s %s (%v), want %s", tt.err, tt.addr, v.state, v.reason, v.err, tt.reason)
		}
	}
}

// A huge retry count is capped instead of allocating for it (issue 11 case 3).
func TestRetriesCapped(t *testing.T) {
	closed := freeTCPPort(t)
	got := collect(t, &Scanner{Retries: new(1_000_000_000)}, context.Background(), loopback, Port{Proto: results.TCP, Lo: closed})
	if r := got[key(results.TCP, closed)]; r.State != results.Closed {
		t.Errorf("%+v", r)
	}
}

// UDP results stream: a port decided at once is emitted before a silent port
// of the same host has finished waiting.
func TestUDPResultsStream(t *testing.T) {
	silent, closed := silentUDP(t), freeUDPPort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []results.Result
	plan := Plan{Targets: slices.Values([]Target{{Name: "lo", Addr: loopback}}),
		Ports: []Port{{Proto: results.UDP, Lo: silent, Probe: "dns"}, {Proto: results.UDP, Lo: closed, Probe: "dns"}}}
	_ = (&Scanner{Timeout: time.Hour}).Scan(ctx, plan, func(r results.Result) {
		got = append(got, r)
		if r.Port == closed {
			cancel() // the silent port is still waiting out its hour
		}
	})
	if len(got) != 2 || got[0].Port != closed || got[0].State != results.Closed || got[1].State != results.Unknown {
		t.Errorf("%+v", got)
	}
}

func TestLossAttempts(t *testing.T) {
	tests := []struct{ answered, late, base, want int }{
		{0, 0, 2, 2},    // nothing answered: no evidence, today's cost
		{500, 0, 2, 2},  // a clean path: today's cost
		{1000, 1, 2, 2}, // one late answer in a thousand: still clean enough
		{200, 38, 2, 8}, // 19% per attempt (10% each way): 0.19^8 < 1e-5
		{10, 9, 2, 11},  // most answers late: the cap
		{200, 38, 9, 9}, // never fewer than are made anyway
		{3, 3, 2, MaxRetries + 1},
	}
	for _, tt := range tests {
		if got := lossAttempts(tt.answered, tt.late, tt.base); got != tt.want {
			t.Errorf("lossAttempts(%d answered, %d late, base %d) = %d, want %d", tt.answered, tt.late, tt.base, got, tt.want)
		}
	}
}
