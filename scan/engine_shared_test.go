package scan

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/portreach/portreach/results"
)

// TestBudgetFair: a scan at or above its share of the sockets is refused a
// free one while another scan waits for one; alone, it takes them all; a
// scan's own cap holds whatever is free.
func TestBudgetFair(t *testing.T) {
	b := &budget{size: 4}
	big, small := b.join(0), b.join(0)
	for i := range 4 {
		if !big.tryAcquire() {
			t.Fatalf("slot %d refused to the only scan that wants one", i)
		}
	}
	if small.tryAcquire() {
		t.Fatal("a fifth slot given")
	}
	big.release()
	if big.tryAcquire() {
		t.Error("a scan above its share took a slot another scan waits for")
	}
	if !small.tryAcquire() {
		t.Fatal("the waiting scan refused a free slot")
	}
	big.release()
	if !small.tryAcquire() {
		t.Error("a scan below its share refused a free slot")
	}
	if big.held != 2 || small.held != 2 || b.used != 4 {
		t.Errorf("held %d and %d, used %d; want 2, 2, 4", big.held, small.held, b.used)
	}
	small.release()
	small.release()
	b.leave(small)
	if !big.tryAcquire() || !big.tryAcquire() {
		t.Error("the scan left alone refused free slots")
	}
	capped := b.join(1)
	big.release()
	if !capped.tryAcquire() || capped.tryAcquire() {
		t.Error("a scan capped at one slot: want one slot, then none")
	}
}

// TestEngineSharedScans: scans running at the same time on one engine each
// report every port of theirs exactly once and right, and the engine stops
// its loops and forgets its hosts when the last one ends.
func TestEngineSharedScans(t *testing.T) {
	open := openTCP(t)
	ports := []Port{{Proto: results.TCP, Lo: open}}
	for range 60 {
		ports = append(ports, Port{Proto: results.TCP, Lo: freeTCPPort(t)})
	}
	forEachPoller(t, func(t *testing.T) {
		eng := &Engine{Concurrency: 32, PerHost: 16}
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				seen := map[uint16]int{}
				s := &Scanner{Engine: eng}
				err := s.Scan(context.Background(), Plan{Targets: slices.Values([]Target{{Name: "lo", Addr: loopback}}), Ports: ports},
					func(r results.Result) {
						seen[r.Port]++
						if (r.Port == open) != (r.State == results.Open) || r.State != results.Open && r.State != results.Closed {
							t.Errorf("port %d: %s (%s)", r.Port, r.State, r.Reason)
						}
					})
				if err != nil {
					t.Error(err)
				}
				for _, p := range ports {
					if seen[p.Lo] != 1 {
						t.Errorf("port %d: %d results, want 1", p.Lo, seen[p.Lo])
					}
				}
			})
		}
		wg.Wait()
		eng.mu.Lock()
		defer eng.mu.Unlock()
		if eng.users != 0 || eng.loops != nil || len(eng.hosts) != 0 || eng.slots.used != 0 {
			t.Errorf("after the scans: %d users, %d loops, %d hosts, %d slots used", eng.users, len(eng.loops), len(eng.hosts), eng.slots.used)
		}
	})
}
