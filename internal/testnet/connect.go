//go:build linux

package testnet

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Connect joins two test hosts by a veth pair of their own, with a /32 route to
// the other's address on each side, so that each reaches the other directly and
// not through this machine (which forwards nothing between test hosts). Each
// keeps its one address: a host answers for it on any of its links. With it,
// several vantage points reach one target, each through its own firewall (an
// nftables output chain in the vantage point's namespace).
//
// The pair lives only inside the two namespaces, so it goes when either host
// does.
func Connect(t testing.TB, a, b *Host) {
	t.Helper()
	devA := "prv" + strconv.Itoa(a.slot) + "c" + strconv.Itoa(b.slot) // at most 15 bytes: prv511c510
	devB := "prv" + strconv.Itoa(b.slot) + "c" + strconv.Itoa(a.slot)
	steps := [][]string{
		{"ip", "link", "add", devA, "netns", a.Name, "type", "veth", "peer", "name", devB, "netns", b.Name},
		{"ip", "-n", a.Name, "link", "set", devA, "up"},
		{"ip", "-n", b.Name, "link", "set", devB, "up"},
		{"ip", "-n", a.Name, "route", "add", b.Addr.String() + "/32", "dev", devA, "src", a.Addr.String()},
		{"ip", "-n", b.Name, "route", "add", a.Addr.String() + "/32", "dev", devB, "src", b.Addr.String()},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("testnet: %s: %v: %s", strings.Join(s, " "), err, out)
		}
	}
	// As in NewHost: what is sent before both ends are operationally up may
	// be dropped.
	deadline := time.Now().Add(10 * time.Second)
	for !(operUp(exec.Command("ip", "-n", a.Name, "-br", "link", "show", devA)) &&
		operUp(exec.Command("ip", "-n", b.Name, "-br", "link", "show", devB))) {
		if time.Now().After(deadline) {
			t.Fatalf("testnet: link %s/%s between %s and %s not up after 10s", devA, devB, a.Name, b.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
