//go:build linux

package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
)

// The acceptance run: `portreach rpc HOST --range 50000-50200` against a
// real Samba endpoint mapper whose RPC server allocates from that range, with part
// of the range and one registered port blocked by nftables inside the host.
func TestRPCCommandSamba(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	testnet.StartSambaDC(t, h, "rpc server dynamic port range = 50000-50200")
	host := h.Addr.String()

	// Wait for the registrations, and learn which port Netlogon got.
	var netlogonPort float64
	for range 100 {
		code, out, _ := runR("-f", "json", "--timeout", "300ms", host)
		var doc struct {
			Results []struct {
				Port    float64         `json:"port"`
				Probe   string          `json:"probe"`
				Under   string          `json:"under"`
				Details json.RawMessage `json:"details"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("json output: %v\n%s", err, out)
		}
		for _, r := range doc.Results {
			if r.Probe == "epm" && strings.HasPrefix(r.Under, "Netlogon") {
				netlogonPort = r.Port
			}
		}
		if netlogonPort != 0 {
			// Samba registers the endpoint mapper on 593/tcp (ncacn_http) and does
			// not listen there; 593 is RPC over HTTP's fixed endpoint, not a
			// dynamic port, so the unblocked host passes.
			if code != 0 {
				t.Errorf("exit %d with every dynamic port open, want 0", code)
			}
			break
		}
	}
	if netlogonPort < 50000 || netlogonPort > 50200 {
		t.Fatalf("Netlogon registered on %v, want a port of the configured range", netlogonPort)
	}
	h.NFT(t, `table inet rpctest {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 50150-50200 drop
		tcp dport `+strconv.Itoa(int(netlogonPort))+` drop
	}
}`)
	code, out, stderr := runR("--range", "50000-50200", "--timeout", "300ms", host)
	t.Logf("exit %d\n%s%s", code, out, stderr)
	if code != 1 {
		t.Errorf("exit %d with a registered port blocked, want 1", code)
	}
	for _, want := range []string{
		"endpoint mapper 135/tcp: open (epm-listed)",
		"Netlogon (12345678-1234-abcd-ef00-01234567cffb)",
		"LSA (12345778-1234-abcd-ef00-0123456789ab)",
		"SAMR (12345778-1234-abcd-ef00-0123456789ac)",
		"DRSUAPI (e3514235-4b06-11d1-ab04-00c04fc2dcd2)",
		"Netlogon (12345678-…) registered on " + strconv.Itoa(int(netlogonPort)) + "/tcp: filtered",
		"Configured range 50000-50200:",
		"every registered port is inside the range",
		"50150-50200 filtered (51)",
		host + "  from " + h.Peer.String(), // the address the host's firewall sees
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "593/tcp (fixed): Endpoint mapper") || strings.Contains(out, "registered on 593/tcp") {
		t.Errorf("593/tcp, a fixed endpoint, reported as part of the dynamic range")
	}

	// --require: the domain controller's interfaces bind, MSDTC is not there.
	code, out, stderr = runR(host, "--require", "drsuapi", "--require", "lsarpc", "--timeout", "300ms")
	t.Logf("exit %d\n%s%s", code, out, stderr)
	if !strings.Contains(out, "ok   DRSUAPI (e3514235-…) registered on ") || !strings.Contains(out, "bound (bind_ack") {
		t.Errorf("--require drsuapi: no bind_ack in the output")
	}
	code, out, stderr = runR(host, "--require", "msdtc", "--timeout", "300ms")
	t.Logf("exit %d\n%s%s", code, out, stderr)
	if code != 1 || !strings.Contains(out, "FAIL MSDTC (906b0ce0-…) is not registered") || !strings.Contains(out, "(not-registered)") {
		t.Errorf("--require msdtc: exit %d, want 1 with not-registered", code)
	}
}
