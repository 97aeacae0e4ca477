package scan

import (
	"context"
	"flag"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/portreach/portreach/results"
)

// The TCP engine runs on one of two pollers (loop.go); `go test ./scan -args
// -portable` runs every test on the portable one, and the tests below run on
// both each time.
var portable = flag.Bool("portable", false, "run the TCP engine on the portable poller (a net.Dialer per attempt) instead of epoll")

func TestMain(m *testing.M) {
	flag.Parse()
	// Child processes (TestFDExhaustion) inherit the choice.
	if *portable {
		os.Setenv("PORTREACH_TEST_PORTABLE", "1")
	}
	usePortable = os.Getenv("PORTREACH_TEST_PORTABLE") != ""
	os.Exit(m.Run())
}

// forEachPoller runs f once on each poller.
func forEachPoller(t *testing.T, f func(t *testing.T)) {
	was := usePortable
	defer func() { usePortable = was }()
	for _, p := range []bool{false, true} {
		name := "default"
		if p {
			name = "portable"
		}
		t.Run(name, func(t *testing.T) {
			usePortable = p
			f(t)
		})
	}
}

// TestTCPEngineManyPorts: a sweep large enough to be shared among the loops
// reports every port exactly once, with the right state and reason, on both
// pollers. That is what it proves; how many attempts a port took is not, beyond
// the engine's own bound. A retry goes out when no answer reached the socket
// within half the host's adaptive timeout, and on a machine starved of CPU the
// kernel's loopback receive path (softirqs run by ksoftirqd, an ordinary
// thread) can leave a SYN unanswered that long, or drop it from a full backlog
// (net.core.netdev_max_backlog): a closed port then answers a later attempt,
// the verdict the same, and answers that late teach the host's loss meter to
// give silent ports more attempts (up to MaxRetries+1). The engine's part of
// "one attempt per answering port", that an answer which reached its socket
// never loses to its attempt's timer, is TestEpollWaitCollectsAll, which
// needs no timing.
func TestTCPEngineManyPorts(t *testing.T) {
	open := map[uint16]bool{}
	for range 5 {
		open[openTCP(t)] = true
	}
	var ports []Port
	for p := range open {
		ports = append(ports, Port{Proto: results.TCP, Lo: p})
	}
	for len(ports) < 1000 {
		ports = append(ports, Port{Proto: results.TCP, Lo: freeTCPPort(t)})
	}
	wantReason := map[results.State]results.Reason{results.Open: results.ReasonSynAck, results.Closed: results.ReasonConnRefused}
	forEachPoller(t, func(t *testing.T) {
		seen := map[uint16]int{}
		late := 0
		err := (&Scanner{}).Scan(context.Background(), Plan{Targets: slices.Values([]Target{{Name: "lo", Addr: loopback}}), Ports: ports},
			func(r results.Result) {
				seen[r.Port]++
				want := results.Closed
				if open[r.Port] {
					want = results.Open
				}
				if r.State != want || r.Reason != wantReason[want] || r.Attempts < 1 || r.Attempts > MaxRetries+1 {
					t.Errorf("port %d: %s (%s, %d attempts), want %s (%s) within %d attempts", r.Port, r.State, r.Reason, r.Attempts, want, wantReason[want], MaxRetries+1)
				}
				if r.Attempts > 1 {
					late++
				}
			})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ports {
			if seen[p.Lo] != 1 {
				t.Errorf("port %d: %d results, want exactly 1", p.Lo, seen[p.Lo])
			}
		}
		if late > 0 {
			t.Logf("%d of %d ports answered a later attempt (a loaded machine)", late, len(ports))
		}
	})
}

// TestTCPEngineSmallBudget: a socket budget far below the ports to test, with a
// per-host cap and a pace, still reports each port once and right.
func TestTCPEngineSmallBudget(t *testing.T) {
	open := openTCP(t)
	ports := []Port{{Proto: results.TCP, Lo: open}}
	for range 40 {
		ports = append(ports, Port{Proto: results.TCP, Lo: freeTCPPort(t)})
	}
	forEachPoller(t, func(t *testing.T) {
		s := &Scanner{Concurrency: 2, PerHost: 1, Rate: 2000}
		var targets []Target
		for range 3 {
			targets = append(targets, Target{Name: "lo", Addr: loopback})
		}
		n := 0
		err := s.Scan(context.Background(), Plan{Targets: slices.Values(targets), Ports: ports}, func(r results.Result) {
			n++
			if (r.Port == open) != (r.State == results.Open) || r.State != results.Open && r.State != results.Closed {
				t.Errorf("port %d: %s (%s)", r.Port, r.State, r.Reason)
			}
		})
		if err != nil || n != 3*len(ports) {
			t.Errorf("%d results (%v), want %d", n, err, 3*len(ports))
		}
	})
}

// TestTCPEngineCancelled: ports not started when the run is cancelled are
// reported unknown, once each.
func TestTCPEngineCancelled(t *testing.T) {
	ports := []Port{{Proto: results.TCP, Lo: 1, Hi: 3000}}
	forEachPoller(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		n := 0
		err := (&Scanner{}).Scan(ctx, Plan{Targets: slices.Values([]Target{{Name: "lo", Addr: loopback}}), Ports: ports}, func(r results.Result) {
			if r.State == results.Unknown && r.Reason == results.ReasonInterrupted {
				n++ // every planned port is accounted for, the unstarted too
			}
		})
		if err != context.Canceled || n != 3000 {
			t.Errorf("cancelled before the first target: %d unknown (interrupted) results, want 3000; %v", n, err)
		}
		ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		seen := map[uint16]int{}
		_ = (&Scanner{Rate: 20000}).Scan(ctx, Plan{Targets: slices.Values([]Target{{Name: "lo", Addr: loopback}}), Ports: ports}, func(r results.Result) {
			seen[r.Port]++
			if r.State == results.Unknown && r.Reason != results.ReasonMaxTime {
				t.Errorf("port %d: %s (%s)", r.Port, r.State, r.Reason)
			}
		})
		if len(seen) != 3000 {
			t.Errorf("%d ports reported, want 3000", len(seen))
		}
		for p, k := range seen {
			if k != 1 {
				t.Errorf("port %d reported %d times", p, k)
			}
		}
	})
}

// TestTimerHeap: timers come out in time order whatever was taken out before,
// and every owner knows where its timer is.
func TestTimerHeap(t *testing.T) {
	var h timerHeap
	base := time.Unix(0, 0)
	var as []*attempt
	for i := range 200 {
		a := &attempt{hidx: -1}
		as = append(as, a)
		h.push(timer{at: base.Add(time.Duration((i*7919)%200) * time.Millisecond), a: a})
	}
	check := func() {
		t.Helper()
		for i, tm := range h {
			if tm.a.hidx != i {
				t.Fatalf("timer at %d: owner says %d", i, tm.a.hidx)
			}
		}
	}
	check()
	for i, a := range as {
		if i%3 == 0 {
			h.remove(a.hidx)
			if a.hidx != -1 {
				t.Fatalf("removed timer's owner still says %d", a.hidx)
			}
			check()
		}
	}
	var last time.Time
	for n := 0; len(h) > 0; n++ {
		tm := h.pop()
		if tm.at.Before(last) || tm.a.hidx != -1 {
			t.Fatalf("pop %d: %v after %v (owner says %d)", n, tm.at, last, tm.a.hidx)
		}
		last = tm.at
		check()
	}
}
