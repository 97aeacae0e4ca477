//go:build linux

package scan

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// These tests run real Debian daemons (strongSwan's charon, xl2tpd, FreeRADIUS)
// inside test hosts and scan them with the IKE, L2TP and RADIUS probes. Debian
// packages: strongswan-charon, strongswan-swanctl, libstrongswan-standard-plugins
// (3DES for the IKEv1 proposal), xl2tpd, freeradius (.ci/packages.txt).

const ikl2Charon = "/usr/lib/ipsec/charon"

// TestIKEStrongSwanIntegration: IKE on 500 and NAT-T on 4500 answer with a full
// SA_INIT or Main Mode reply carrying strongSwan's vendor ID; 1701 is closed.
func TestIKEStrongSwanIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, ikl2Charon, "swanctl", "unshare")
	h := testnet.NewHost(t)
	dir := testnet.Dir(t, "")
	vici := filepath.Join(dir, "charon.vici")
	testnet.WriteFile(t, filepath.Join(dir, "strongswan.conf"), fmt.Sprintf(`charon {
	load_modular = yes
	port = 500
	port_nat_t = 4500
	send_vendor_id = yes
	install_routes = no
	install_virtual_ip = no
	cookie_threshold = 1000
	cookie_threshold_ip = 1000
	plugins {
		include /etc/strongswan.d/charon/*.conf
		vici {
			socket = unix://%s
		}
	}
	filelog {
		stderr {
			default = 1
		}
	}
}
`, vici))
	testnet.WriteFile(t, filepath.Join(dir, "swanctl.conf"), fmt.Sprintf(`connections {
	probe {
		version = 0
		local_addrs = %s
		proposals = aes128-sha1-modp2048, 3des-sha1-modp1024
		local {
			auth = psk
			id = gw.lab.example
		}
		remote {
			auth = psk
		}
		children {
			c {
				esp_proposals = aes128-sha1
			}
		}
	}
}
secrets {
	ike-1 {
		secret = "throwaway-test-secret"
	}
}
`, h.Addr))
	// charon keeps its PID file in the compiled-in /run; a private mount of /run
	// lets this instance run beside any other.
	t.Setenv("STRONGSWAN_CONF", filepath.Join(dir, "strongswan.conf"))
	h.Start(t, "unshare", "--mount", "--propagation", "private", "sh", "-c",
		"mount -t tmpfs tmpfs /run && exec "+ikl2Charon)
	h.WaitUDP(t, 500)
	h.WaitUDP(t, 4500)
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := h.Command("swanctl", "--load-all", "--file", filepath.Join(dir, "swanctl.conf"), "--uri", "unix://"+vici).CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("swanctl --load-all: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}

	got := scanDaemon(t, nil, h.Addr, udpPort(500, ""), udpPort(4500, ""), udpPort(1701, ""))
	for _, c := range []struct {
		port  uint16
		probe string
	}{{500, "ike"}, {4500, "ike-natt"}} {
		r := expectResult(t, got, results.UDP, c.port, c.probe, "", results.Open)
		d, ok := r.Details.(*probes.IKEDetail)
		if !ok {
			t.Fatalf("%d/udp details %T", c.port, r.Details)
		}
		if d.NATT != (c.port == 4500) {
			t.Errorf("%d/udp: nat_t %v", c.port, d.NATT)
		}
		strongSwan := slices.ContainsFunc(d.VendorIDs, func(v probes.IKEVendorID) bool { return v.Name == "strongSwan" })
		if !strongSwan || d.Proposal == "" {
			t.Errorf("%d/udp: %q: want the chosen proposal and strongSwan's vendor ID", c.port, r.Detail)
		}
		t.Logf("%d/udp: %s", c.port, r.Detail)
	}
	expectResult(t, got, results.UDP, 1701, "l2tp", "", results.Closed)
}

// TestL2TPXl2tpdIntegration: xl2tpd answers the SCCRQ with an SCCRP naming itself.
func TestL2TPXl2tpdIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "xl2tpd")
	h := testnet.NewHost(t)
	dir := testnet.Dir(t, "")
	conf := filepath.Join(dir, "xl2tpd.conf")
	testnet.WriteFile(t, conf, fmt.Sprintf(`[global]
listen-addr = %s
port = 1701

[lns default]
ip range = 198.18.255.10-198.18.255.20
local ip = 198.18.255.1
hostname = lns.lab.example
require authentication = no
`, h.Addr))
	h.Start(t, "xl2tpd", "-D", "-c", conf, "-p", filepath.Join(dir, "xl2tpd.pid"), "-C", filepath.Join(dir, "control"))
	h.WaitUDP(t, 1701)

	got := scanDaemon(t, nil, h.Addr, udpPort(1701, ""), udpPort(500, ""))
	r := expectResult(t, got, results.UDP, 1701, "l2tp", "", results.Open)
	d, ok := r.Details.(*probes.L2TPDetail)
	if !ok {
		t.Fatalf("details %T", r.Details)
	}
	if d.Message != "SCCRP" || d.HostName != "lns.lab.example" || d.VendorName != "xelerance.com" {
		t.Errorf("detail %q, want an SCCRP from lns.lab.example by xelerance.com", r.Detail)
	}
	t.Logf("1701/udp: %s", r.Detail)
	expectResult(t, got, results.UDP, 500, "ike", "", results.Closed)
}

// TestRADIUSFreeRADIUSIntegration: a RADIUS server that does not know the scanner
// stays silent (open|filtered, with the RFC 2865 §2 explanation); once the
// scanner's address is a client, the Access-Request draws an Access-Reject. The
// accounting probe stays silent either way (its authenticator cannot be right),
// and a port without a server is closed.
func TestRADIUSFreeRADIUSIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "freeradius")
	for _, known := range []bool{false, true} {
		t.Run(fmt.Sprintf("client=%v", known), func(t *testing.T) {
			h := testnet.NewHost(t)
			dir := testnet.Dir(t, "")
			raddb := filepath.Join(dir, "raddb")
			if out, err := exec.Command("cp", "-a", "/etc/freeradius/3.0", raddb).CombinedOutput(); err != nil {
				t.Fatalf("copy /etc/freeradius/3.0: %v\n%s", err, out)
			}
			// Run as root inside the host instead of switching to the freerad user,
			// who cannot read the test's directory.
			rc := filepath.Join(raddb, "radiusd.conf")
			b, err := os.ReadFile(rc)
			if err != nil {
				t.Fatal(err)
			}
			b = regexp.MustCompile(`(?m)^\s*(user|group)\s*=.*$`).ReplaceAll(b, nil)
			testnet.WriteFile(t, rc, string(b))
			if known {
				f, err := os.OpenFile(filepath.Join(raddb, "clients.conf"), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(f, "\nclient scanner {\n\tipaddr = %s\n\tsecret = throwaway-test-secret\n}\n", h.Peer)
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
			}
			h.Start(t, "freeradius", "-f", "-l", "stdout", "-d", raddb)
			h.WaitUDP(t, 1812)
			h.WaitUDP(t, 1813)

			got := scanDaemon(t, nil, h.Addr, udpPort(1812, ""), udpPort(1813, ""), udpPort(1645, ""))
			if known {
				r := expectResult(t, got, results.UDP, 1812, "radius", "", results.Open)
				d, ok := r.Details.(*probes.RADIUSDetail)
				if !ok || d.Code != 3 || !d.Unverified {
					t.Errorf("1812/udp: %q (%T), want an unverified Access-Reject", r.Detail, r.Details)
				}
				t.Logf("1812/udp: %s", r.Detail)
			} else {
				r := expectResult(t, got, results.UDP, 1812, "radius", "", results.OpenFiltered)
				if r.Detail != probes.RADIUS.Silence || !strings.Contains(r.Detail, "RFC 2865") {
					t.Errorf("1812/udp detail %q, want the RADIUS silence note", r.Detail)
				}
			}
			r := expectResult(t, got, results.UDP, 1813, "radius-acct", "", results.OpenFiltered)
			if r.Detail != probes.RADIUSAcct.Silence {
				t.Errorf("1813/udp detail %q, want the accounting silence note", r.Detail)
			}
			expectResult(t, got, results.UDP, 1645, "radius", "", results.Closed)
		})
	}
}
