package probes

import (
	"bufio"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Capturing reference replies from real daemons. This is a tool, not a test: it
// runs only when -capture.addr is given, sends one protocol's fixed-ID request
// (the same bytes the unit tests check against protocols.md) to a daemon on
// loopback, and writes every datagram that comes back, from any source port, to
// testdata/<probe>-<name>.hex. The unit tests and fuzz seeds then use those files.
//
//	go test ./probes -run TestCapture -capture.probe=dns -capture.addr=127.0.0.1:5300 \
//	    -capture.name=dnsmasq -capture.note="dnsmasq 2.90 …"
var (
	captureProbe = flag.String("capture.probe", "", "probe whose fixed-ID request to send (dns, snmp, tftp, ssdp)")
	captureAddr  = flag.String("capture.addr", "", "loopback host:port of the daemon to capture from")
	captureName  = flag.String("capture.name", "", "daemon name for the output file")
	captureNote  = flag.String("capture.note", "", "where and how the reply was captured (daemon, version, config)")
	captureComm  = flag.String("capture.community", "public", "SNMP community for -capture.probe=snmp")
	captureWait  = flag.Duration("capture.wait", 2*time.Second, "how long to collect replies")
)

// fixedQueries builds each probe's query with the IDs of the protocols.md dumps.
var fixedQueries = map[string]func() (Query, error){
	"dns":  func() (Query, error) { return newDNSQueryIDs(0x1234, 0x1236) },
	"ssdp": func() (Query, error) { return newSSDPQuery(nil, Options{}) },
	"tftp": func() (Query, error) { return newTFTPQueryFile("nx-probe-7f3a.txt"), nil },
	"snmp": func() (Query, error) {
		return newSNMPQueryIDs(0x4a69, 0x37f0, 0x12345677, 0x12345678, *captureComm), nil
	},
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
	if !raddr.IP.IsLoopback() {
		t.Fatalf("capture only from loopback, not %v", raddr.IP)
	}
	q, err := build()
	if err != nil {
		t.Fatal(err)
	}
	// Unconnected, so replies from a new server port (TFTP) arrive too.
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
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
	if *captureProbe == "snmp" {
		return " -capture.community=" + *captureComm
	}
	return ""
}
