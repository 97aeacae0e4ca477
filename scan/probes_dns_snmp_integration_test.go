//go:build linux

package scan

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// These tests scan real Debian daemons inside test hosts with the DNS, SNMP, TFTP
// and SSDP probes: dnsmasq and BIND (no upstream servers, no recursion), net-snmp's
// snmpd, tftpd-hpa and minissdpd. Debian packages: dnsmasq, bind9, snmpd,
// tftpd-hpa, minissdpd (.ci/packages.txt). A test host has no default route, so
// none of them can reach anything but the scanner.

// TestUDPCompleterMergesReplies needs no root: a fake DNS server answers both of
// the DNS probe's questions, and the result must carry both answers, not just the
// first (probes.Completer).
func TestUDPCompleterMergesReplies(t *testing.T) {
	port := dnsServer(t, false)
	got := collect(t, &Scanner{Timeout: 400 * time.Millisecond}, context.Background(), loopback,
		Port{Proto: results.UDP, Lo: port, Probe: "dns"})
	r := got[key(results.UDP, port)]
	d, ok := r.Details.(*probes.DNSDetail)
	if r.State != results.Open || !ok || d.RootNS == nil || d.VersionBind == nil {
		t.Fatalf("result %+v, details %#v: want open with both answers", r, r.Details)
	}
}

func udpiMatch(t *testing.T, what, pattern, s string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(s) {
		t.Errorf("%s = %q, want a match for %s", what, s, pattern)
	}
}

// TestDNSDaemonsIntegration: dnsmasq on 53 and BIND on 5300, neither with an
// upstream, refuse the root NS question and tell their version; a port with no
// listener is closed.
func TestDNSDaemonsIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "dnsmasq", "named")
	// Directories first: cleanups run last-in first-out, so the daemons are
	// stopped before their directories are removed.
	dm := testnet.Dir(t, "")
	bind := testnet.Dir(t, "bind")
	h := testnet.NewHost(t)
	h.Start(t, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
		"--no-poll", "--user=root", "--bind-interfaces", "--listen-address="+h.Addr.String(), "--port=53",
		"--pid-file="+filepath.Join(dm, "dnsmasq.pid"), "--log-facility=-")

	conf := filepath.Join(bind, "named.conf")
	testnet.WriteFile(t, conf, fmt.Sprintf(`options {
	directory "%s";
	pid-file none;
	listen-on port 5300 { %s; };
	listen-on-v6 { none; };
	recursion no;
	allow-recursion { none; };
	dnssec-validation no;
	notify no;
};
controls { };
`, bind, h.Addr))
	h.Start(t, "named", "-g", "-n", "1", "-u", "bind", "-c", conf)
	h.WaitUDP(t, 53)
	h.WaitUDP(t, 5300)

	got := scanDaemon(t, &Scanner{}, h.Addr,
		Port{Proto: results.UDP, Lo: 53},
		Port{Proto: results.UDP, Lo: 5300, Probe: "dns"},
		Port{Proto: results.UDP, Lo: 5301, Probe: "dns"})

	r := expectResult(t, got, results.UDP, 53, "dns", "", results.Open)
	udpiMatch(t, "dnsmasq summary", `^REFUSED, version "dnsmasq-[0-9.]+"$`, r.Detail)
	if d, ok := r.Details.(*probes.DNSDetail); !ok || d.VersionBind == nil || !d.VersionBind.Authoritative || d.OpenResolver {
		t.Errorf("dnsmasq details %#v", r.Details)
	}

	r = expectResult(t, got, results.UDP, 5300, "dns", "", results.Open)
	udpiMatch(t, "BIND summary", `^REFUSED, version "9\.[0-9]+\.[0-9]+`, r.Detail)
	if d, ok := r.Details.(*probes.DNSDetail); !ok || d.RootNS == nil || d.RootNS.RecursionAvailable || d.OpenResolver {
		t.Errorf("BIND details %#v", r.Details)
	}

	r = expectResult(t, got, results.UDP, 5301, "dns", "", results.Closed)
	if r.Reason != results.ReasonPortUnreach {
		t.Errorf("5301/udp reason %q, want %q", r.Reason, results.ReasonPortUnreach)
	}
}

// TestSNMPNetSNMPIntegration: snmpd answers the v3 discovery with its engine and
// the right community with sysDescr; with a wrong community only v3 answers, which
// still proves the port open; a port with no agent is closed.
func TestSNMPNetSNMPIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "snmpd")
	dir := testnet.Dir(t, "") // before the host: see TestDNSDaemonsIntegration
	h := testnet.NewHost(t)
	conf := filepath.Join(dir, "snmpd.conf")
	testnet.WriteFile(t, conf, fmt.Sprintf(`agentAddress udp:%s:161
sysDescr portreach integration agent
rocommunity labcommunity %s
`, h.Addr, h.Peer))
	h.Start(t, "env", "MIBS=", "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "persist"),
		"snmpd", "-f", "-Lo", "-C", "-c", conf, "-p", filepath.Join(dir, "snmpd.pid"))
	h.WaitUDP(t, 161)

	got := scanDaemon(t, &Scanner{Probes: probes.Options{SNMPCommunity: "labcommunity"}}, h.Addr,
		Port{Proto: results.UDP, Lo: 161},
		Port{Proto: results.UDP, Lo: 1161, Probe: "snmp"})
	r := expectResult(t, got, results.UDP, 161, "snmp", "", results.Open)
	d, ok := r.Details.(*probes.SNMPDetail)
	if !ok || d.Engine == nil {
		t.Fatalf("details %#v: want an SNMPv3 engine", r.Details)
	}
	if d.Engine.Enterprise != 8072 || d.Engine.EnterpriseName != "net-snmp" || d.Engine.Boots < 1 {
		t.Errorf("engine %+v: want net-snmp (8072), boots ≥ 1", d.Engine)
	}
	if d.SysDescr != "portreach integration agent" {
		t.Errorf("sysDescr %q", d.SysDescr)
	}
	udpiMatch(t, "summary", `^"portreach integration agent", engine net-snmp \(8072\), boots [0-9]+, up [0-9]`, r.Detail)
	expectResult(t, got, results.UDP, 1161, "snmp", "", results.Closed)

	// The default community ("public") is wrong here: the agent drops the v1/v2c
	// requests without a word, and the v3 discovery alone shows the port open.
	got = scanDaemon(t, &Scanner{}, h.Addr, Port{Proto: results.UDP, Lo: 161})
	r = expectResult(t, got, results.UDP, 161, "snmp", "", results.Open)
	if d, ok := r.Details.(*probes.SNMPDetail); !ok || d.Engine == nil || d.SysDescr != "" || len(d.Versions) != 1 {
		t.Errorf("wrong community: details %#v, want the v3 engine only", r.Details)
	}
}

// TestTFTPHPAIntegration: tftpd-hpa answers a read request for a made-up name
// with ERROR 1 from a new port; a port with no server is closed.
func TestTFTPHPAIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "in.tftpd")
	root := testnet.Dir(t, "")
	h := testnet.NewHost(t)
	h.Start(t, "in.tftpd", "-L", "-a", h.Addr.String()+":69", "-s", root)
	h.WaitUDP(t, 69)

	got := scanDaemon(t, &Scanner{}, h.Addr, Port{Proto: results.UDP, Lo: 69}, Port{Proto: results.UDP, Lo: 6969, Probe: "tftp"})
	r := expectResult(t, got, results.UDP, 69, "tftp", "", results.Open)
	d, ok := r.Details.(*probes.TFTPDetail)
	if !ok || d.ErrorCode != 1 || d.FileExists {
		t.Errorf("details %#v: want ERROR 1", r.Details)
	}
	// The reply came from the server's new transfer port, and the result says so.
	udpiMatch(t, "summary", `^ERROR 1 File not found \(reply from 198\.1[89]\.[0-9.]+:[0-9]+\)$`, r.Detail)
	expectResult(t, got, results.UDP, 6969, "tftp", "", results.Closed)
}

// TestSSDPMiniSSDPDIntegration: minissdpd answers an M-SEARCH for the services a
// UPnP daemon registered with it (registered here over its control socket).
func TestSSDPMiniSSDPDIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "minissdpd")
	dir := testnet.Dir(t, "")
	h := testnet.NewHost(t)
	sock := filepath.Join(dir, "minissdpd.sock")
	h.Start(t, "minissdpd", "-d", "-i", h.Dev, "-s", sock, "-p", filepath.Join(dir, "minissdpd.pid"))
	h.WaitUDP(t, 1900)
	location := "http://" + h.Addr.String() + ":49152/rootDesc.xml"
	for _, st := range []string{"upnp:rootdevice", "urn:schemas-upnp-org:device:InternetGatewayDevice:1"} {
		udpiRegisterSSDP(t, sock, st, "uuid:5c1e6f2a-1b1d-4c5e-9d8e-00163e5f2a01::"+st, "Debian/12 UPnP/1.1 portreach-test/1.0", location)
	}

	udpiWaitSSDP(t, sock, 2)

	got := scanDaemon(t, &Scanner{}, h.Addr, Port{Proto: results.UDP, Lo: 1900})
	r := expectResult(t, got, results.UDP, 1900, "ssdp", "", results.Open)
	d, ok := r.Details.(*probes.SSDPDetail)
	if !ok || d.Server != "Debian/12 UPnP/1.1 portreach-test/1.0" || d.Location != location || len(d.Services) != 2 {
		t.Errorf("details %#v: want both registered services", r.Details)
	}
}

// udpiRegisterSSDP submits one service to minissdpd (request type 4: ST, USN,
// SERVER and LOCATION, each a length byte then the text; all here are < 128 bytes).
func udpiRegisterSSDP(t *testing.T, sock string, fields ...string) {
	t.Helper()
	var msg []byte
	msg = append(msg, 4)
	for _, f := range fields {
		if len(f) >= 128 {
			t.Fatalf("field %q too long for a one-byte length", f)
		}
		msg = append(msg, byte(len(f)))
		msg = append(msg, f...)
	}
	var c net.Conn
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err = net.Dial("unix", sock); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
}

// udpiWaitSSDP waits until minissdpd lists n services (request type 3, "all";
// the reply starts with the count), so that the scan does not race the
// registrations, which minissdpd handles in its own time.
func udpiWaitSSDP(t *testing.T, sock string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		count := -1
		if c, err := net.Dial("unix", sock); err == nil {
			buf := make([]byte, 1)
			c.SetDeadline(time.Now().Add(2 * time.Second))
			if _, err := c.Write([]byte{3, 0}); err == nil {
				if _, err := io.ReadFull(c, buf); err == nil {
					count = int(buf[0])
				}
			}
			c.Close()
		}
		if count >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("minissdpd lists %d services, want %d", count, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
