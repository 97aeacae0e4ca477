//go:build linux

package testnet

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Holding the AD lab up for runs by hand (README's member server output, new
// captures for the fuzz seeds: go test ./probes -run TestCapture). This is a
// tool, not a test: it runs only when -adlab.hold names a directory.
//
//	go test ./internal/testnet -run TestADLabHold -adlab.hold=/tmp/adlab -timeout 0
//
// It builds StartADLab with DC2's NTP server six minutes ahead (as the
// locator's tests do), adds the record of a DC that does not resolve
// (ghost.lab.example), and writes into the directory resolv.conf (DC1 as the
// name server: bind it over /etc/resolv.conf in a mount namespace to use the
// lab as this machine's resolver), lab-ca.pem (for --ca-file) and lab.env
// (the DCs' addresses). The lab stays up until the directory holds a file
// named stop, or the test is interrupted (SIGINT, SIGTERM); then every test
// host is torn down as after any test.
var adlabHold = flag.String("adlab.hold", "", "keep the AD lab up, its files in `DIR`, until DIR/stop exists")

func TestADLabHold(t *testing.T) {
	dir := *adlabHold
	if dir == "" {
		t.Skip("a tool: needs -adlab.hold=DIR")
	}
	Require(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stop := filepath.Join(dir, "stop")
	os.Remove(stop)
	lab := StartADLab(t, 0, 6*time.Minute)
	lab.DC1.AddDNS(t, "_msdcs.lab.example", SRV("_ldap._tcp.dc._msdcs.lab.example", 389, "ghost.lab.example"))
	ca, err := os.ReadFile(lab.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"resolv.conf": fmt.Sprintf("nameserver %s\nsearch lab.example\n", lab.DC1.Addr),
		"lab-ca.pem":  string(ca),
		"lab.env": fmt.Sprintf("DC1=%s\nDC1_NETNS=%s\nDC2=%s\nDC2_NETNS=%s\nDC1_SMBCONF=%s\n",
			lab.DC1.Addr, lab.H1.Name, lab.DC2.Addr, lab.H2.Name, lab.DC1.Conf),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("AD lab up: DC1 %s (%s), DC2 %s (%s); files in %s; touch %s to stop", lab.DC1.Addr, lab.H1.Name, lab.DC2.Addr, lab.H2.Name, dir, stop)
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := os.Stat(stop); err == nil {
			return
		}
	}
}
