package scan

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/results"
)

// A dynamic-rpc entry yields the endpoint mapper's result, carrying the endpoint
// list, and one result per registered TCP port, carrying the interfaces behind it.
// The fake mapper replays the Samba capture, so the registered ports (49152-49154
// and 593) are tested on 127.0.0.1, where their state depends on this machine:
// only the shape of the results is asserted here; states are asserted against a
// real Samba in TestEPMSambaIntegration.
func TestEPMCheckThroughScanner(t *testing.T) {
	bindAck, calls := loadEPMCapture(t, "epm-samba-lookup500.hex")
	f := newFakeEPM(t, replay(bindAck, calls))
	check := &results.Check{Profiles: []string{"test"}, Expect: results.ExpectOpen}
	plan := Plan{
		Targets: slices.Values([]Target{{Name: "dc", Addr: f.addr().Addr()}}),
		Ports:   []Port{{Proto: results.TCP, EPM: f.addr().Port(), Kind: KindDynamicRPC, Check: check}},
	}
	var got []results.Result
	s := &Scanner{Timeout: 2 * time.Second}
	if err := s.Scan(t.Context(), plan, func(r results.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	var epm *results.Result
	ports := map[uint16]results.Result{}
	for _, r := range got {
		if r.Probe != ProbeEPM || r.Check != check || r.Target != "dc" {
			t.Errorf("result without the entry's probe, check or target: %+v", r)
		}
		if r.Port == f.addr().Port() {
			epm = &r
		} else {
			ports[r.Port] = r
		}
	}
	if epm == nil || epm.State != results.Open || epm.Reason != results.ReasonEPMListed {
		t.Fatalf("endpoint mapper result %+v", epm)
	}
	sum, ok := epm.Details.(*EPMSummary)
	if !ok || sum.Entries != 53 || epm.Detail != sum.Summary() {
		t.Fatalf("details %#v", epm.Details)
	}
	for _, p := range sum.TCPPorts() {
		if p.Port == msrpc.EPMPort {
			if _, dup := ports[p.Port]; dup {
				t.Errorf("135 tested again")
			}
			continue
		}
		r, ok := ports[p.Port]
		if !ok {
			t.Errorf("registered port %d not tested", p.Port)
			continue
		}
		d, ok := r.Details.(*EPMPortDetail)
		if !ok || len(d.Interfaces) != len(p.Interfaces) || r.Under != EPMLabels(p.Interfaces) {
			t.Errorf("port %d: under %q details %#v", p.Port, r.Under, r.Details)
		}
		if p.Port == 49152 && !strings.HasPrefix(r.Under, "Netlogon (12345678-") {
			t.Errorf("49152 under %q", r.Under)
		}
	}
	if len(ports) != len(sum.TCPPorts())-1 {
		t.Errorf("%d port results for %d registered ports", len(ports), len(sum.TCPPorts()))
	}
}
