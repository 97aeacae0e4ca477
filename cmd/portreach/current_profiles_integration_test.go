//go:build linux

package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/results"
)

// The current global-catalog profile (which includes the Windows Server
// 2016-2025 domain controller) against the one real domain controller Debian
// ships: every port and RPC interface Samba implements passes (LSA, SAMR,
// Netlogon and DRSUAPI each bind on their registered port), and what only a
// Windows DC has fails, each named: AD Web Services (9389), DFS Replication
// (not registered with the endpoint mapper) and Windows Time (Samba leaves NTP
// to a separate daemon, which the test host does not run).
func TestCurrentDCProfileSamba(t *testing.T) {
	h := testnet.NewHost(t)
	testnet.StartSambaDC(t, h)
	// StartSambaDC waits for the endpoint mapper, CLDAP and the KDC; the LDAP
	// listeners come up a moment later.
	for _, port := range []uint16{389, 636, 3268, 3269} {
		h.WaitTCP(t, port)
	}
	code, out, errOut := runBin(t, "scan", "--profile", "ad-gc-2016-2025", "--no-confirm", "-f", "json", h.Addr.String())
	if code != exitFailed {
		t.Fatalf("exit %d, want %d (what only Windows has fails)\n%s\n%s", code, exitFailed, errOut, out)
	}
	rep := decodeReport(t, out)
	var failed []string
	for _, r := range results.Failed(rep.Results) {
		key := fmt.Sprintf("%s/%d %s", r.Proto, r.Port, results.Judge(&r).Why)
		if r.Reason == results.ReasonNotRegistered {
			key += ": " + r.Detail
		}
		failed = append(failed, key)
	}
	slices.Sort(failed)
	want := []string{
		"tcp/0 not-registered: DFSR (897e2e5f-…) is not registered with the endpoint mapper on a TCP port: the service is stopped or not installed",
		"tcp/9389 conn-refused",
		"udp/123 port-unreachable",
	}
	if !slices.Equal(failed, want) {
		t.Errorf("failures\n got %q\nwant %q", failed, want)
	}
	// The interfaces Samba implements each bind on the port the endpoint mapper
	// gives; every other required port Samba serves is met, by a reply of its
	// protocol where the port has a probe.
	var bound, met []string
	for _, r := range rep.Results {
		switch o := results.Judge(&r); {
		case r.Reason == results.ReasonRPCBindAck:
			name, _, _ := strings.Cut(r.Detail, " registered on ")
			bound = append(bound, name)
		case o.Status == results.StatusMet:
			met = append(met, fmt.Sprintf("%s/%d %s", r.Proto, r.Port, o.Why))
		}
	}
	slices.Sort(bound)
	slices.Sort(met)
	if want := []string{"DRSUAPI (e3514235-…)", "LSA (12345778-…)", "Netlogon (12345678-…)", "SAMR (12345778-…)"}; !slices.Equal(bound, want) {
		t.Errorf("bound\n got %q\nwant %q", bound, want)
	}
	wantMet := []string{
		"tcp/135 epm-listed", "tcp/3268 syn-ack", "tcp/389 syn-ack", "tcp/445 syn-ack", "tcp/464 syn-ack",
		"tcp/53 syn-ack", "tcp/88 syn-ack",
		"udp/389 udp-response", "udp/464 udp-response", "udp/53 udp-response", "udp/88 udp-response",
	}
	if !slices.Equal(met, wantMet) {
		t.Errorf("met\n got %q\nwant %q", met, wantMet)
	}
}
