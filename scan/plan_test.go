package scan

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/portreach/portreach/results"
)

// A plan naming a probe or service that does not exist is refused before
// anything is sent, with the first unknown name.
func TestScanUnknownProbe(t *testing.T) {
	tests := []struct {
		ports []Port
		err   string
	}{
		{[]Port{{Proto: results.UDP, Lo: 53, Probe: "dns"}, {Proto: results.UDP, Lo: 54, Probe: "nope"}, {Proto: results.TCP, Lo: 1, Probe: "nada"}},
			`scan: unknown UDP probe "nope"`},
		{[]Port{{Proto: results.TCP, Lo: 1, Probe: "nada"}, {Proto: results.UDP, Lo: 54, Probe: "nope"}},
			`scan: unknown TCP service "nada"`},
	}
	for _, tt := range tests {
		err := (&Scanner{}).Scan(context.Background(), Plan{Targets: slices.Values([]Target{{Name: "lo", Addr: loopback}}), Ports: tt.ports},
			func(r results.Result) { t.Errorf("sent something: %+v", r) })
		if err == nil || err.Error() != tt.err {
			t.Errorf("%+v: %v, want %s", tt.ports, err, tt.err)
		}
	}
}

// The probes a plan names are looked up once and stored on a copy of its
// ports: the caller's plan, which other scans may share, is left as it was.
func TestResolveProbes(t *testing.T) {
	plain := []Port{{Proto: results.TCP, Lo: 1}, {Proto: results.UDP, Lo: 53}}
	if got, err := resolveProbes(plain); err != nil || &got[0] != &plain[0] {
		t.Errorf("nothing named: %v, or a copy made", err)
	}
	named := []Port{{Proto: results.TCP, Lo: 1}, {Proto: results.UDP, Lo: 1053, Probe: "dns"}}
	got, err := resolveProbes(named)
	if err != nil || named[1].udpProbe != nil || got[1].udpProbe == nil || got[1].udpProbe.Name != "dns" {
		t.Fatalf("%v; %+v", err, got)
	}
	if pr, err := got[1].udpProbeFor(1053); err != nil || pr != got[1].udpProbe {
		t.Errorf("named: %v, %v", pr, err)
	}
	if pr, err := (Port{Proto: results.UDP, Lo: 53}).udpProbeFor(53); err != nil || pr == nil || pr.Name != "dns" {
		t.Errorf("the port's default: %v, %v", pr, err)
	}
	if pr, err := (Port{Proto: results.UDP, Lo: 53, Probe: "nope"}).udpProbeFor(53); pr != nil || err == nil || err.Error() != `unknown UDP probe "nope"` {
		t.Errorf("unknown: %v, %v", pr, err)
	}
}

// A target's own ports come as the scan goes: a probe unknown there is a
// probe error on each of its UDP ports, not a refused plan.
func TestTargetPortsUnknownProbe(t *testing.T) {
	port := freeUDPPort(t)
	var got []results.Result
	plan := Plan{Targets: slices.Values([]Target{{Name: "lo", Addr: loopback, Ports: []Port{{Proto: results.UDP, Lo: port, Probe: "nope"}}}})}
	if err := (&Scanner{Timeout: 200 * time.Millisecond}).Scan(context.Background(), plan, func(r results.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].State != results.Error || got[0].Reason != results.ReasonProbeError || got[0].Detail != `unknown UDP probe "nope"` {
		t.Errorf("%+v", got)
	}
}
