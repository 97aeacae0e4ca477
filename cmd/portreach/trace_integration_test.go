//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/results"
)

// traceChain is a host behind three routers: r2 forwards no connection to
// 81/tcp (nor 49152-65535/tcp: only SYNs are dropped, as a stateful firewall
// does, not the host's answers to this machine's ephemeral ports) and rejects 83/tcp with ICMP administratively prohibited;
// the host's own firewall drops 85/tcp; 445/tcp is open. The ports are apart:
// a port list joins adjacent ports into one range, whose ports would share
// one trace.
func traceChain(t *testing.T) *testnet.Chain {
	t.Helper()
	c := testnet.NewChain(t, 3)
	c.Routers[1].NFT(t, `table inet f {
	chain forward {
		type filter hook forward priority 0;
		tcp flags & (syn | ack) == syn tcp dport { 81, 49152-65535 } drop
		tcp dport 83 reject with icmpx admin-prohibited
	}
}`)
	c.Dest.NFT(t, `table inet f {
	chain input {
		type filter hook input priority 0;
		tcp dport 85 drop
	}
}`)
	testnet.ServeTCP(t, c.Dest, 445)
	return c
}

// unprivilegedBin copies the portreach binary where an unprivileged user can
// run it.
func unprivilegedBin(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(portreachBin(t))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(testnet.Dir(t, ""), "portreach")
	if err := os.WriteFile(bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// portreach scan --trace needs no privileges: run as nobody (setpriv drops
// every capability with the user), it names where each port stops, in IPv4
// and IPv6.
func TestTraceUnprivileged(t *testing.T) {
	testnet.Need(t, "setpriv")
	c := traceChain(t)
	bin := unprivilegedBin(t)
	for _, dst := range []string{c.Dest.Addr.String(), c.Dest.Addr6.String()} {
		cmd := exec.Command("setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", "--inh-caps=-all",
			bin, "scan", "--trace", "--timeout", "500ms", "-p", "T:445,81,83,85", "-f", "jsonl", dst)
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatal(err)
			}
		}
		if stderr.Len() > 0 {
			t.Errorf("%s: stderr %q", dst, stderr.String())
		}
		got := map[uint16]string{}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			var r results.Result
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("%s: %v: %s", dst, err, sc.Bytes())
			}
			if r.Trace != nil {
				got[r.Port] = r.Trace.Summary()
			}
		}
		r2, r3 := c.Routers[1].Addr, c.Routers[2].Addr
		if strings.Contains(dst, ":") {
			r2, r3 = c.Routers[1].Addr6, c.Routers[2].Addr6
		}
		want := map[uint16]string{
			81: "dropped after hop 2 (" + r2.String() + "); the host is hop 4",
			83: "rejected by " + r2.String() + " at hop 2 (admin-prohibited)",
			85: "reaches hop 3 (" + r3.String() + "), the last before the host (hop 4): the host drops it, or hop 3 does",
		}
		for port, w := range want {
			if got[port] != w {
				t.Errorf("%s %d/tcp: %q, want %q", dst, port, got[port], w)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: traces %v", dst, got)
		}
	}
}
