//go:build linux

package scan

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/results"
)

// dropAll makes every TCP and UDP port of h silent.
func dropAll(t *testing.T, h *testnet.Host) {
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 1-65535 drop
		udp dport 1-65535 drop
	}
}`)
}

// TestEngineManyScansDropped: forty scans at once, on one engine, of a
// domain controller's TCP and UDP ports on a host that drops them all: each
// scan reports each of its ports once, TCP filtered and UDP open|filtered.
func TestEngineManyScansDropped(t *testing.T) {
	h := testnet.NewHost(t)
	dropAll(t, h)
	ports, err := ParsePorts("T:53,88,135,139,389,445,464,636,3268,3269,3389,5985,9389,49664,U:53,88,123,137,138,389,464,500,636,4500")
	if err != nil {
		t.Fatal(err)
	}
	forEachPoller(t, func(t *testing.T) {
		eng := &Engine{}
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				got := map[string]int{}
				s := &Scanner{Engine: eng, Timeout: 300 * time.Millisecond}
				err := s.Scan(context.Background(), Plan{Targets: slices.Values([]Target{{Name: h.Addr.String(), Addr: h.Addr}}), Ports: ports},
					func(r results.Result) {
						got[key(r.Proto, r.Port)]++
						want := results.Filtered
						if r.Proto == results.UDP {
							want = results.OpenFiltered
						}
						if r.State != want {
							t.Errorf("%s: %s (%s), want %s", key(r.Proto, r.Port), r.State, r.Reason, want)
						}
					})
				if err != nil {
					t.Error(err)
				}
				if len(got) != 24 {
					t.Errorf("%d ports reported, want 24: %v", len(got), got)
				}
				for k, n := range got {
					if n != 1 {
						t.Errorf("%s reported %d times", k, n)
					}
				}
			})
		}
		wg.Wait()
	})
}

// TestEngineFairShare: a scan of 1024 dropped ports holds every socket of
// an engine of 32 (or every place towards its host, of 32) when a scan of 64
// dropped ports starts (of another host, or of the same); while both wait,
// each gets about half, so the big scan finishes about as many ports as the
// small one in the meantime, not the many more it would by taking back every
// socket it frees. (A count of ports, not a time: both scans wait out the
// same timeouts.)
func TestEngineFairShare(t *testing.T) {
	bigHost, otherHost := testnet.NewHost(t), testnet.NewHost(t)
	dropAll(t, bigHost)
	dropAll(t, otherHost)
	none := 0
	for _, c := range []struct {
		name                 string
		concurrency, perHost int
		smallHost            *testnet.Host
	}{
		{"sockets", 32, 0, otherHost},
		{"per-host", 1024, 32, bigHost},
	} {
		t.Run(c.name, func(t *testing.T) {
			forEachPoller(t, func(t *testing.T) {
				eng := &Engine{Concurrency: c.concurrency, PerHost: c.perHost}
				var bigPorts atomic.Int32
				started := make(chan struct{})
				var once sync.Once
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var wg sync.WaitGroup
				defer wg.Wait()
				wg.Go(func() {
					s := &Scanner{Engine: eng, Timeout: 100 * time.Millisecond, Retries: &none}
					_ = s.Scan(ctx, Plan{Targets: slices.Values([]Target{{Name: "big", Addr: bigHost.Addr}}),
						Ports: []Port{{Proto: results.TCP, Lo: 1, Hi: 1024}}}, func(results.Result) {
						bigPorts.Add(1)
						once.Do(func() { close(started) })
					})
				})
				<-started // the big scan's first ports are over: it holds the sockets
				before := bigPorts.Load()
				n := 0
				s := &Scanner{Engine: eng, Timeout: 100 * time.Millisecond, Retries: &none}
				err := s.Scan(context.Background(), Plan{Targets: slices.Values([]Target{{Name: "small", Addr: c.smallHost.Addr}}),
					Ports: []Port{{Proto: results.TCP, Lo: 2001, Hi: 2064}}}, func(r results.Result) {
					if r.State == results.Filtered {
						n++
					}
				})
				during := bigPorts.Load() - before
				cancel()
				if err != nil || n != 64 {
					t.Errorf("small scan: %d of 64 filtered (%v)", n, err)
				}
				if during > 2*64+32 {
					t.Errorf("the big scan finished %d ports while the small one finished its 64: it kept the sockets", during)
				}
				t.Logf("the big scan finished %d ports while the small one finished its 64", during)
			})
		})
	}
}
