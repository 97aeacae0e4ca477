//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/results"
)

func runS(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runScan(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// --profile msdtc can no longer pass on a host without MSDTC: against a Samba AD
// DC (no MSDTC) it fails with not-registered; against a stand-in that registers
// MSDTC it passes with a bind, and fails naming MSDTC and its port once a
// firewall drops that port.
func TestMSDTCProfile(t *testing.T) {
	testnet.Require(t)
	samba := testnet.NewHost(t)
	testnet.StartSambaDC(t, samba)
	samba.WaitTCP(t, 135)
	code, out, stderr := runS("--profile", "msdtc", "--timeout", "300ms", "-f", "table", samba.Addr.String())
	t.Logf("Samba, no MSDTC: exit %d\n%s%s", code, out, stderr)
	if code != exitFailed || !strings.Contains(out, "not-registered") ||
		!strings.Contains(out, "MSDTC (906b0ce0-…) is not registered") {
		t.Errorf("msdtc profile on Samba: exit %d, want 1 with MSDTC not-registered", code)
	}

	dtc, _ := msrpc.LookupInterface("msdtc")
	h := testnet.NewHost(t)
	testnet.StartRPCServer(t, h, dtc, 50012)
	code, out, stderr = runS("--profile", "msdtc", "--timeout", "300ms", "-f", "table", h.Addr.String())
	t.Logf("MSDTC stand-in: exit %d\n%s%s", code, out, stderr)
	if code != exitOK || !strings.Contains(out, "rpc-bind-ack") {
		t.Errorf("msdtc profile with MSDTC registered and reachable: exit %d, want 0 with a bind", code)
	}
	h.NFT(t, `table inet dtc {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 50012 drop
	}
}`)
	code, out, stderr = runS("--profile", "msdtc", "--timeout", "300ms", "-f", "table", h.Addr.String())
	t.Logf("MSDTC port dropped: exit %d\n%s%s", code, out, stderr)
	if code != exitFailed || !strings.Contains(out, "MSDTC (906b0ce0-…) registered on 50012/tcp: filtered") {
		t.Errorf("msdtc profile with 50012 dropped: exit %d, want 1 naming MSDTC and its port", code)
	}
}

// The domain-controller profile against a Samba AD DC: DRSUAPI and Netlogon are
// registered, reachable and bind; a firewall rule that drops DRSUAPI's port
// fails the DRSUAPI check and names it. 135/tcp is one row.
func TestDomainControllerProfileRPC(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	testnet.StartSambaDC(t, h)
	h.WaitTCP(t, 135)
	scan := func() map[string]results.Result {
		t.Helper()
		var rep results.Report
		for range 50 { // Samba registers its interfaces a moment after 135 listens
			_, out, stderr := runS("--profile", "domain-controller", "--timeout", "300ms", "-f", "json", h.Addr.String())
			rep = results.Report{}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("json: %v\n%s%s", err, out, stderr)
			}
			if strings.Contains(out, "DRSUAPI (e3514235") {
				break
			}
		}
		rows := map[string]results.Result{}
		n135 := 0
		for _, r := range rep.Results {
			if r.Port == 135 && r.Proto == results.TCP && r.Via == "" {
				n135++
			}
			if r.Via == "135/tcp" && r.Detail != "" {
				rows[strings.Fields(r.Detail)[0]] = r
			}
		}
		if n135 != 1 {
			t.Errorf("135/tcp reported %d times, want once", n135)
		}
		return rows
	}
	rows := scan()
	for _, name := range []string{"DRSUAPI", "Netlogon", "LSA", "SAMR"} {
		r := rows[name]
		if r.State != results.Open || r.Reason != results.ReasonRPCBindAck || results.Judge(&r).Status != results.StatusMet {
			t.Errorf("%s: %s %s %v %q, want open, rpc-bind-ack, met", name, r.State, r.Reason, results.Judge(&r), r.Detail)
		}
	}
	drs := rows["DRSUAPI"].Port
	h.NFT(t, fmt.Sprintf(`table inet drs {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport %d drop
	}
}`, drs))
	rows = scan()
	r := rows["DRSUAPI"]
	want := fmt.Sprintf("DRSUAPI (e3514235-…) registered on %d/tcp: filtered", drs)
	if r.State != results.Filtered || results.Judge(&r).Status != results.StatusFailed || !strings.HasPrefix(r.Detail, want) {
		t.Errorf("DRSUAPI with its port dropped: %s %v %q, want failed %q", r.State, results.Judge(&r), r.Detail, want)
	}
}
