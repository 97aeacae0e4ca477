//go:build linux

package scan

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// TestSimpleServicesInetdIntegration scans openbsd-inetd's internal echo, discard,
// daytime and chargen services (the Unix counterparts of Windows' Simple TCP/IP
// Services) in a test host: the three that answer are open with what they said,
// discard is open|filtered with its note, and qotd, which inetd does not serve, is
// closed. Debian package: openbsd-inetd.
func TestSimpleServicesInetdIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "/usr/sbin/inetd")
	h := testnet.NewHost(t)
	dir := testnet.Dir(t, "")
	conf := filepath.Join(dir, "inetd.conf")
	var b strings.Builder
	for _, s := range []string{"echo", "discard", "daytime", "chargen"} {
		fmt.Fprintf(&b, "%s dgram udp wait root internal\n", s)
	}
	testnet.WriteFile(t, conf, b.String())
	// -d keeps inetd in the foreground; -i skips its PID file.
	h.Start(t, "/usr/sbin/inetd", "-d", "-i", conf)
	for _, p := range []uint16{7, 9, 13, 19} {
		h.WaitUDP(t, p)
	}

	got := scanDaemon(t, nil, h.Addr, udpPort(7, ""), udpPort(9, ""), udpPort(13, ""), udpPort(17, ""), udpPort(19, ""))
	for _, c := range []struct {
		port  uint16
		probe string
		check func(*probes.SimpleDetail) bool
	}{
		{7, "echo", func(d *probes.SimpleDetail) bool { return d.Bytes == 28 }},
		{13, "daytime", func(d *probes.SimpleDetail) bool { return d.Text != "" }},
		{19, "chargen", func(d *probes.SimpleDetail) bool { return d.Bytes > 0 && d.Text == "" }},
	} {
		r := expectResult(t, got, results.UDP, c.port, c.probe, "", results.Open)
		d, ok := r.Details.(*probes.SimpleDetail)
		if !ok || !c.check(d) {
			t.Errorf("%d/udp: %q (%T %+v)", c.port, r.Detail, r.Details, r.Details)
		}
		t.Logf("%d/udp: %s", c.port, r.Detail)
	}
	r := expectResult(t, got, results.UDP, 9, "discard", "", results.OpenFiltered)
	if r.Detail != probes.Discard.Silence {
		t.Errorf("9/udp detail %q, want the discard note", r.Detail)
	}
	expectResult(t, got, results.UDP, 17, "qotd", "", results.Closed)
}

// TestDHCPDnsmasqIntegration: dnsmasq, serving DHCP on the host's link, ignores the
// probe's DHCPINFORM (it cannot carry the scanner's address), so 67/udp is
// open|filtered with the DHCP note; with nothing on 67 the port is closed.
// Debian package: dnsmasq.
func TestDHCPDnsmasqIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "dnsmasq")
	for _, listening := range []bool{true, false} {
		t.Run(fmt.Sprintf("listening=%v", listening), func(t *testing.T) {
			h := testnet.NewHost(t)
			want := results.Closed
			if listening {
				dir := testnet.Dir(t, "")
				// The host's /30 has room for the scanner's address only; a
				// static-only range keeps dnsmasq from leasing anything.
				h.Start(t, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
					"--interface="+h.Dev, "--bind-interfaces",
					"--dhcp-range="+h.Addr.String()+",static",
					"--dhcp-leasefile="+filepath.Join(dir, "leases"),
					"--pid-file="+filepath.Join(dir, "pid"), "--log-dhcp")
				h.WaitUDP(t, 67)
				want = results.OpenFiltered
			}
			got := scanDaemon(t, nil, h.Addr, udpPort(67, ""))
			r := expectResult(t, got, results.UDP, 67, "dhcp", "", want)
			if listening && r.Detail != probes.DHCP.Silence {
				t.Errorf("67/udp detail %q, want the DHCP note", r.Detail)
			}
		})
	}
}
