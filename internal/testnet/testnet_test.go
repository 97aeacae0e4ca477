//go:build linux

package testnet

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestHostLink checks that a host answers on its link (RST from a closed port) and
// that an nftables drop rule inside it silences the port.
func TestHostLink(t *testing.T) {
	h := NewHost(t)
	if !h.Addr.Is4() || !netip.MustParsePrefix("198.18.0.0/15").Contains(h.Addr) {
		t.Fatalf("host address %v outside 198.18.0.0/15", h.Addr)
	}
	target := netip.AddrPortFrom(h.Addr, 9).String()
	_, err := net.DialTimeout("tcp", target, 2*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial closed port: got %v, want connection refused", err)
	}
	h.NFT(t, `table inet t {
	chain in {
		type filter hook input priority 0;
		tcp dport 9 drop
	}
}`)
	_, err = net.DialTimeout("tcp", target, 300*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("dial dropped port: got %v, want timeout", err)
	}
}

func TestSlotsDistinct(t *testing.T) {
	a, _ := slotAddrs(1)
	b, _ := slotAddrs(257)
	if a == b || !netip.MustParsePrefix("198.18.0.0/15").Contains(b) {
		t.Fatalf("slot addresses %v %v", a, b)
	}
}

// A torn-down host's address has no route out of this machine: the guard route
// makes the kernel refuse it ("ip route get" asks without sending anything).
func TestTornDownHostUnreachable(t *testing.T) {
	h := NewHost(t)
	addr := h.Addr.String()
	h.close()
	out, err := exec.Command("ip", "route", "get", addr).CombinedOutput()
	if err == nil || !refusedRouteGet(string(out)) {
		t.Errorf("ip route get %s after teardown: %v %s", addr, err, out)
	}
	out, _ = exec.Command("ip", "route", "show", "exact", "198.18.0.0/15").Output()
	if !refusingRoute(string(out)) {
		t.Errorf("no refusing route for 198.18.0.0/15: %q", out)
	}
}

// refusedRouteGet reports whether "ip route get" was refused by an
// unreachable, blackhole or prohibit route (the kernel's errno for each).
func refusedRouteGet(out string) bool {
	for _, s := range []string{"No route to host", "Invalid argument", "Permission denied"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// Each kind of refusing route the guard accepts does refuse: built inside a
// test host's namespace (which has only its own /30), "ip route get" of
// another address in the block fails, and the route is recognised as a guard.
// A route that sends the block somewhere is not.
func TestGuardRouteKinds(t *testing.T) {
	h := NewHost(t)
	other := "198.19.255.254" // outside every slot's /30 seen from inside h
	for _, kind := range []string{"unreachable", "blackhole", "prohibit"} {
		h.Exec(t, "ip", "route", "replace", kind, "198.18.0.0/15")
		show := h.Exec(t, "ip", "route", "show", "exact", "198.18.0.0/15")
		if !refusingRoute(show) {
			t.Errorf("%s: refusingRoute(%q) = false", kind, show)
		}
		out, err := h.Command("ip", "route", "get", other).CombinedOutput()
		if err == nil || !refusedRouteGet(string(out)) {
			t.Errorf("%s: ip route get %s: %v %s", kind, other, err, out)
		}
	}
	h.Exec(t, "ip", "route", "replace", "198.18.0.0/15", "via", h.Peer.String())
	if show := h.Exec(t, "ip", "route", "show", "exact", "198.18.0.0/15"); refusingRoute(show) {
		t.Errorf("refusingRoute(%q) = true for a route through a gateway", show)
	}
	for _, show := range []string{"", "unreachable 198.18.0.0/15 \n198.18.0.0/15 dev eth0 metric 5\n"} {
		if refusingRoute(show) {
			t.Errorf("refusingRoute(%q) = true", show)
		}
	}
}

// Claimers that find the same dead owner's slot at once take it over one at a
// time: each slot is claimed by one of them only.
func TestClaimStaleSlotOnce(t *testing.T) {
	Require(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	const claimers = 8
	for round := 0; round < 20; round++ {
		n, err := claimSlot()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(slotDir, strconv.Itoa(n))
		if err := os.WriteFile(path, []byte(strconv.Itoa(dead.Process.Pid)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		got := make(chan int, claimers)
		var wg sync.WaitGroup
		for range claimers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := claimSlot()
				if err != nil {
					t.Error(err)
					return
				}
				got <- m
			}()
		}
		wg.Wait()
		close(got)
		seen := map[int]bool{}
		for m := range got {
			if seen[m] {
				t.Errorf("round %d: slot %d claimed twice", round, m)
			}
			seen[m] = true
			os.Remove(filepath.Join(slotDir, strconv.Itoa(m)))
		}
		if t.Failed() {
			return
		}
	}
}

// The threads that create sockets inside a host go back to this machine's
// namespace: the main thread (whose namespace /proc/self/net shows) is never
// left in a host's.
func TestInNetnsLeavesMainThread(t *testing.T) {
	h := NewHost(t)
	before, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Skip(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if err := h.inNetns(func() error { return nil }); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if after, _ := os.Readlink("/proc/self/ns/net"); after != before {
		t.Errorf("main thread's network namespace %s, was %s", after, before)
	}
}
