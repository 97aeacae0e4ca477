package exporter

import (
	"bufio"
	"context"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/report"
)

// dcProfile is the profile of the concurrent-probe test and benchmark: a
// domain controller's TCP and UDP ports and its dynamic RPC.
const dcProfile = "ad-dc-2016-2025"

// droppingHost is a test host whose firewall drops every packet to it.
func droppingHost(t testing.TB) *testnet.Host {
	h := testnet.NewHost(t)
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 1-65535 drop
		udp dport 1-65535 drop
	}
}`)
	return h
}

// probeDropped runs n probes of the DC profile at once against h and checks
// that each was answered in full: every port tested, none cut short, every
// TCP port filtered.
func probeDropped(t testing.TB, srv *httptest.Server, h *testnet.Host, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			s := get(t, context.Background(), srv, "/probe?target="+h.Addr.String()+"&profile="+dcProfile, "20")
			switch {
			case s.status != 200:
				t.Errorf("probe: status %d: %s", s.status, s.body)
			case strings.Contains(s.body, `state="unknown"} 1`):
				t.Errorf("probe cut short:\n%s", s.body)
			case strings.Count(s.body, report.MetricPortUp+"{") < 14:
				t.Errorf("probe answered %d ports, want at least 14:\n%s", strings.Count(s.body, report.MetricPortUp+"{"), s.body)
			case strings.Contains(s.body, `proto="tcp",state="open"} 1`), strings.Contains(s.body, `proto="tcp",state="closed"} 1`):
				t.Errorf("a dropped TCP port answered:\n%s", s.body)
			}
		})
	}
	wg.Wait()
}

// TestConcurrentProbesOneEngine: forty probes of a domain controller's
// profile at once, against a host that drops everything, share one engine
// and are each answered in full, none refused as busy.
func TestConcurrentProbesOneEngine(t *testing.T) {
	testnet.Require(t)
	h := droppingHost(t)
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, srv := newServer(t, Config{Catalog: cat, Allow: allow(t, h.Addr.String()), MaxProbes: 40, MaxProbesPerClient: 40})
	probeDropped(t, srv, h, 40)
	if e.cfg.Scanner.Engine == nil {
		t.Error("no shared engine")
	}
}

// BenchmarkConcurrentProbes: forty probes of a domain controller's profile at
// once against a host that drops everything (each waits out its timeouts:
// about 2 s), on one exporter. It reports the process's OS threads after the
// probes (the Go runtime keeps the threads it made, so this is their peak)
// and its peak resident memory: run it alone
// (go test -run '^$' -bench ConcurrentProbes ./exporter) for a figure that
// is the exporter's.
func BenchmarkConcurrentProbes(b *testing.B) {
	testnet.Require(b)
	h := droppingHost(b)
	cat, err := profiles.Load()
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(Config{Catalog: cat, Allow: allow(b, h.Addr.String()), MaxProbes: 40})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	for b.Loop() {
		probeDropped(b, srv, h, 40)
	}
	b.ReportMetric(procStatus(b, "Threads"), "threads")
	b.ReportMetric(procStatus(b, "VmHWM")/1024, "peak-RSS-MB")
}

// procStatus reads a number from /proc/self/status.
func procStatus(t testing.TB, field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.ParseFloat(strings.Fields(v)[0], 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("/proc/self/status: no %s", field)
	return 0
}
