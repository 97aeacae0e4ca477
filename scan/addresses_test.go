package scan

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"

	"github.com/portreach/portreach/internal/testdns"
	"github.com/portreach/portreach/results"
)

// A name with an IPv4 and an IPv6 address is scanned on its first address, or
// with AllAddresses on both, each a host with its own results: a port open on
// 127.0.0.1 and closed on ::1 says so.
func TestAllAddresses(t *testing.T) {
	v6 := netip.MustParseAddr("::1")
	_, res := testdns.Start(t, map[string][][]netip.Addr{"both.test.": {{loopback, v6}}})
	port := openTCP(t)
	scanName := func(all bool) map[netip.Addr]results.Result {
		t.Helper()
		s := Scanner{Resolver: res}
		var mu sync.Mutex
		got := map[netip.Addr]results.Result{}
		plan := Plan{Targets: slices.Values([]Target{{Name: "both.test", AllAddresses: all}}), Ports: []Port{{Proto: results.TCP, Lo: port}}}
		if err := s.Scan(context.Background(), plan, func(r results.Result) {
			mu.Lock()
			defer mu.Unlock()
			if _, dup := got[r.Addr]; dup {
				t.Errorf("%s reported twice", r.Addr)
			}
			got[r.Addr] = r
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := scanName(false); len(got) != 1 {
		t.Errorf("first address: %v", got)
	}
	got := scanName(true)
	if r := got[loopback]; len(got) != 2 || r.State != results.Open || r.Target != "both.test" {
		t.Fatalf("every address: %v", got)
	}
	if r := got[v6]; r.Target != "both.test" || (r.State != results.Closed && r.State != results.Error) {
		t.Errorf("::1: %+v", r)
	}
}
