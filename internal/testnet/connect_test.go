//go:build linux

package testnet

import (
	"strconv"
	"strings"
	"testing"
)

// TestConnect checks that two connected hosts reach each other's address
// directly (a TCP connection from one to a listener on the other), and that
// a third host, not connected, does not reach them.
func TestConnect(t *testing.T) {
	a, b, c := NewHost(t), NewHost(t), NewHost(t)
	Connect(t, a, b)
	ServeTCP(t, b, 7777)
	// bash's /dev/tcp: a connection from inside a, to b's address.
	dial := func(from, to *Host) error {
		return from.Command("bash", "-c", "exec 3<>/dev/tcp/"+to.Addr.String()+"/7777").Run()
	}
	if err := dial(a, b); err != nil {
		t.Fatalf("%s to %s: %v", a.Name, b.Name, err)
	}
	// The reply went back over the same pair: b's route to a is the /32 on it.
	route := b.Exec(t, "ip", "route", "get", a.Addr.String())
	if !strings.Contains(route, "dev prv"+strconv.Itoa(b.slot)+"c"+strconv.Itoa(a.slot)) {
		t.Errorf("%s's route to %s: %s", b.Name, a.Name, route)
	}
	if err := dial(c, b); err == nil {
		t.Errorf("%s reached %s without a link", c.Name, b.Name)
	}
}
