package probes

import (
	"bufio"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Capturing reference replies from real daemons. This is a tool, not a test: it
// runs only when -capture.addr is given, sends one protocol's fixed-ID request
// (the same bytes the unit tests check against protocols.md) to a daemon on
// loopback or in a test host (198.18.0.0/15: the AD lab's DCs, which
// go test ./internal/testnet -run TestADLabHold keeps up), and writes every
// datagram that comes back, from any source port, to
// testdata/<probe>-<name>.hex. The unit tests and fuzz seeds then use those files.
//
//	go test ./probes -run TestCapture -capture.probe=dns -capture.addr=127.0.0.1:5300 \
//	    -capture.name=dnsmasq -capture.note="dnsmasq 2.90 …"
//	go test ./probes -run TestCapture -capture.probe=lookup -capture.addr=198.18.5.2:53 \
//	    -capture.question=_ldap._tcp.dc._msdcs.lab.example -capture.type=SRV -capture.id=0x4c36 …
//	go test ./probes -run TestCapture -capture.probe=cldap -capture.addr=198.18.6.2:389 …
var (
	captureProbe = flag.String("capture.probe", "", "probe whose fixed-ID request to send (dns, snmp, tftp, ssdp, cldap, lookup)")
	captureAddr  = flag.String("capture.addr", "", "loopback host:port of the daemon to capture from")
	captureName  = flag.String("capture.name", "", "daemon name for the output file")
	captureNote  = flag.String("capture.note", "", "where and how the reply was captured (daemon, version, config)")
	captureComm  = flag.String("capture.community", "public", "SNMP community for -capture.probe=snmp")
	captureWait  = flag.Duration("capture.wait", 2*time.Second, "how long to collect replies")
	captureQName = flag.String("capture.question", "", "DNS name -capture.probe=lookup asks for (the DC locator's questions)")
	captureQType = flag.String("capture.type", "SRV", "record type -capture.probe=lookup asks for: SRV, A or AAAA")
	captureQID   = flag.Uint("capture.id", 0x4c31, "DNS message ID of -capture.probe=lookup's question")
)

// fixedQueries builds each probe's query with the IDs of the protocols.md dumps.
var fixedQueries = map[string]func() (Query, error){
	"dns":  func() (Query, error) { return newDNSQueryIDs(0x1234, 0x1236) },
	"ssdp": func() (Query, error) { return newSSDPQuery(nil, Options{}) },
	"tftp": func() (Query, error) { return newTFTPQueryFile("nx-probe-7f3a.txt"), nil },
	"snmp": func() (Query, error) {
		return newSNMPQueryIDs(0x4a69, 0x37f0, 0x12345677, 0x12345678, *captureComm), nil
	},
	// The LDAP ping of protocols.md section 5 with messageID 7, as the
	// cldap-samba-*.hex captures were made.
	"cldap": func() (Query, error) { return newCLDAPQueryID(7), nil },
	"lookup": func() (Query, error) {
		types := map[string]LookupType{"SRV": LookupSRV, "A": LookupA, "AAAA": LookupAAAA}
		t, ok := types[strings.ToUpper(*captureQType)]
		if !ok || *captureQID > 0xffff {
			return nil, fmt.Errorf("-capture.type %q (SRV, A, AAAA) or -capture.id %#x (16 bits)", *captureQType, *captureQID)
		}
		return newLookupID(uint16(*captureQID), *captureQName, t)
	},
}

// captureFrom says whether replies may be captured from addr: loopback, or a
// test host of internal/testnet (198.18.0.0/15), never anything else.
func captureFrom(addr net.IP) bool {
	a, ok := netip.AddrFromSlice(addr)
	return ok && (a.Unmap().IsLoopback() || netip.MustParsePrefix("198.18.0.0/15").Contains(a.Unmap()))
}

func TestCapture(t *testing.T) {
	if *captureAddr == "" {
		t.Skip("capture tool: needs -capture.addr")
	}
	build, ok := fixedQueries[*captureProbe]
	if !ok {
		t.Fatalf("unknown -capture.probe %q", *captureProbe)
	}
	raddr, err := net.ResolveUDPAddr("udp", *captureAddr)
	if err != nil {
		t.Fatal(err)
	}
	if !captureFrom(raddr.IP) {
		t.Fatalf("capture only from loopback or a test host (198.18.0.0/15), not %v", raddr.IP)
	}
	q, err := build()
	if err != nil {
		t.Fatal(err)
	}
	// Unconnected, so replies from a new server port (TFTP) arrive too; on
	// loopback for a daemon there, on the route's address for a test host.
	var local *net.UDPAddr
	if raddr.IP.IsLoopback() {
		local = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	}
	c, err := net.ListenUDP("udp", local)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range q.Packets() {
		if _, err := c.WriteToUDP(p, raddr); err != nil {
			t.Fatal(err)
		}
	}
	var lines []string
	buf := make([]byte, 65535)
	c.SetReadDeadline(time.Now().Add(*captureWait))
	for {
		n, from, err := c.ReadFromUDP(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d, merr := q.Match(buf[:n])
		t.Logf("reply from %v, %d bytes: match %v %v", from, n, d, merr)
		lines = append(lines, fmt.Sprintf("# from port %d", from.Port), hex.EncodeToString(buf[:n]))
	}
	if len(lines) == 0 {
		t.Fatal("no reply")
	}
	out := filepath.Join("testdata", *captureProbe+"-"+*captureName+".hex")
	head := fmt.Sprintf("# %s\n# captured %s by: go test ./probes -run TestCapture -capture.probe=%s -capture.addr=%s%s\n",
		*captureNote, time.Now().UTC().Format("2006-01-02"), *captureProbe, *captureAddr, captureExtra())
	if err := os.WriteFile(out, []byte(head+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}

// readHexReplies reads a capture file: '#' lines are comments, every other line
// is one datagram in hex.
func readHexReplies(tb testing.TB, name string) [][]byte {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		out = append(out, b)
	}
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatalf("%s: no datagrams", name)
	}
	return out
}

// captureExtra records the flags beyond the address that change the request.
func captureExtra() string {
	switch *captureProbe {
	case "snmp":
		return " -capture.community=" + *captureComm
	case "lookup":
		return fmt.Sprintf(" -capture.question=%s -capture.type=%s -capture.id=%#x", *captureQName, strings.ToUpper(*captureQType), *captureQID)
	}
	return ""
}

// The capture tool talks to loopback and test hosts only.
func TestCaptureFrom(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "198.18.5.2": true, "198.19.255.2": true, "::ffff:198.18.5.2": true,
		"198.20.0.1": false, "192.0.2.1": false, "2001:db8::53": false,
	} {
		if got := captureFrom(net.ParseIP(addr)); got != want {
			t.Errorf("captureFrom(%s) = %v, want %v", addr, got, want)
		}
	}
}
