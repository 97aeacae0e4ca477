//go:build linux

package scan

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/portreach/portreach/results"
)

// scanDaemon scans a test host that runs real daemons, with the patience their
// start-up and user-space replies need: 2 s timeout, 2 retries, unless s says
// otherwise.
func scanDaemon(t *testing.T, s *Scanner, addr netip.Addr, ports ...Port) map[string]results.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if s == nil {
		s = &Scanner{}
	}
	if s.Timeout == 0 {
		s.Timeout = 2 * time.Second
	}
	if s.Retries == nil {
		s.Retries = new(2)
	}
	return collect(t, s, ctx, addr, ports...)
}

func udpPort(port uint16, probe string) Port {
	return Port{Proto: results.UDP, Lo: port, Probe: probe}
}

// expectResult returns one port's result after checking its state, its probe
// and, for follow-ups, what revealed it.
func expectResult(t *testing.T, got map[string]results.Result, proto results.Proto, port uint16, probe, under string, want results.State) results.Result {
	t.Helper()
	r, ok := got[key(proto, port)]
	if !ok {
		t.Fatalf("no result for %d/%s; have %v", port, proto, got)
	}
	if r.State != want || r.Probe != probe || r.Under != under {
		t.Fatalf("%d/%s: %v (%s) probe %q under %q detail %q, want %v with probe %q under %q",
			port, proto, r.State, r.Reason, r.Probe, r.Under, r.Detail, want, probe, under)
	}
	t.Logf("%d/%s %v (%s) %s", port, proto, r.State, r.Reason, r.Detail)
	return r
}
