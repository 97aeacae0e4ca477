package listeners

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

// Lines as Linux prints them on x86-64 (little-endian): the header, a listener
// on 127.0.0.1:41153, one on 0.0.0.0:2024, an established connection and a
// TIME_WAIT entry (both left out).
const procTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:A0C1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 741348 2 00000000304e4525 100 0 0 10 0
   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1222 1 0000000023c33711 100 0 0 10 0
   2: 0100007F:A208 0100007F:A0C1 01 00000000:00000000 02:0000059C 00000000     0        0 741351 2 00000000aa66dbf5 20 0 0 11 -1
   3: 0100007F:B26F 0100007F:CFF0 06 00000000:00000000 03:000016FC 00000000     0        0 0 3 00000000a274b67d
`

// /proc/net/udp6: a socket bound to [::]:5353, one to [::1]:323, and one
// connected to a peer (left out).
const procUDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000000000000000000000000000:14E9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   104        0 20731 2 0000000011111111 0
  101: 00000000000000000000000001000000:0143 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 20745 2 0000000022222222 0
  102: 00000000000000000000000001000000:D431 00000000000000000000000001000000:0035 01 00000000:00000000 00:00000000 00000000     0        0 20800 2 0000000033333333 0
`

func littleEndian() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

func TestParseProcNet(t *testing.T) {
	if !littleEndian() {
		t.Skip("the fixtures were captured on a little-endian machine")
	}
	tcp, err := ParseProcNet(strings.NewReader(procTCP), results.TCP)
	if err != nil {
		t.Fatal(err)
	}
	want := []Socket{
		{Proto: results.TCP, Addr: netip.MustParseAddrPort("127.0.0.1:41153"), inode: 741348},
		{Proto: results.TCP, Addr: netip.MustParseAddrPort("0.0.0.0:2024"), inode: 1222},
	}
	if !slices.Equal(tcp, want) {
		t.Errorf("tcp: %+v\nwant %+v", tcp, want)
	}
	udp, err := ParseProcNet(strings.NewReader(procUDP6), results.UDP)
	if err != nil {
		t.Fatal(err)
	}
	want = []Socket{
		{Proto: results.UDP, Addr: netip.MustParseAddrPort("[::]:5353"), inode: 20731},
		{Proto: results.UDP, Addr: netip.MustParseAddrPort("[::1]:323"), inode: 20745},
	}
	if !slices.Equal(udp, want) {
		t.Errorf("udp6: %+v\nwant %+v", udp, want)
	}
	for _, bad := range []string{
		"header\n 0: 0100007F 00000000:0000 0A 0 0 0 0 0 1",
		"header\n 0: 0100007F:A0C1 00000000:0000 0A 00000000:00000000",
		"header\n 0: 01007F:A0C1 00000000:0000 0A 0 0 0 0 0 1",
		"header\n 0: 0100007F:A0C1 00000000:0000 XY 0 0 0 0 0 1",
	} {
		if _, err := ParseProcNet(strings.NewReader(bad), results.TCP); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// mibTable builds an IP Helper table as Microsoft's structures lay it out:
// dwNumEntries, then the rows.
func mibTable(rows ...[]byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(rows)))
	for _, r := range rows {
		b = append(b, r...)
	}
	return b
}

func dword(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// port is a port DWORD: network byte order in the low two bytes, then zeros.
func port(p uint16) []byte { return []byte{byte(p >> 8), byte(p), 0, 0} }

func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

func TestParseTCPTable(t *testing.T) {
	// MIB_TCPROW_OWNER_PID: state, local addr, local port, remote addr, remote port, pid.
	v4 := mibTable(
		cat(dword(2), []byte{0, 0, 0, 0}, port(443), []byte{0, 0, 0, 0}, port(0), dword(4120)),
		cat(dword(5), []byte{198, 18, 0, 2}, port(50001), []byte{198, 18, 0, 9}, port(61000), dword(900)), // ESTABLISHED
		cat(dword(2), []byte{198, 18, 0, 2}, port(1433), []byte{0, 0, 0, 0}, port(0), dword(2212)),
	)
	got, err := ParseTCPTable(v4, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Socket{
		{Proto: results.TCP, Addr: netip.MustParseAddrPort("0.0.0.0:443"), PID: 4120},
		{Proto: results.TCP, Addr: netip.MustParseAddrPort("198.18.0.2:1433"), PID: 2212},
	}
	if !slices.Equal(got, want) {
		t.Errorf("v4: %+v\nwant %+v", got, want)
	}

	// MIB_TCP6ROW_OWNER_PID: local addr[16], scope, port, remote addr[16], scope, port, state, pid.
	ll := netip.MustParseAddr("fe80::1").As16()
	zero := make([]byte, 16)
	v6 := mibTable(
		cat(zero, dword(0), port(445), zero, dword(0), port(0), dword(2), dword(4)),
		cat(ll[:], []byte{0, 0, 0, 12}, port(5985), zero, dword(0), port(0), dword(2), dword(4)),
		cat(ll[:], []byte{0, 0, 0, 12}, port(5986), zero, dword(0), port(0), dword(11), dword(4)), // TIME_WAIT
	)
	got, err = ParseTCPTable(v6, true)
	if err != nil {
		t.Fatal(err)
	}
	want = []Socket{
		{Proto: results.TCP, Addr: netip.MustParseAddrPort("[::]:445"), PID: 4},
		{Proto: results.TCP, Addr: netip.MustParseAddrPort("[fe80::1%12]:5985"), PID: 4},
	}
	if !slices.Equal(got, want) {
		t.Errorf("v6: %+v\nwant %+v", got, want)
	}
}

func TestParseUDPTable(t *testing.T) {
	// MIB_UDPROW_OWNER_PID: local addr, local port, pid.
	v4 := mibTable(
		cat([]byte{0, 0, 0, 0}, port(53), dword(2876)),
		cat([]byte{127, 0, 0, 1}, port(1434), dword(3100)),
	)
	got, err := ParseUDPTable(v4, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Socket{
		{Proto: results.UDP, Addr: netip.MustParseAddrPort("0.0.0.0:53"), PID: 2876},
		{Proto: results.UDP, Addr: netip.MustParseAddrPort("127.0.0.1:1434"), PID: 3100},
	}
	if !slices.Equal(got, want) {
		t.Errorf("v4: %+v\nwant %+v", got, want)
	}
	// MIB_UDP6ROW_OWNER_PID: local addr[16], scope, port, pid.
	got, err = ParseUDPTable(mibTable(cat(make([]byte, 16), dword(0), port(123), dword(1408))), true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Socket{{Proto: results.UDP, Addr: netip.MustParseAddrPort("[::]:123"), PID: 1408}}; !slices.Equal(got, want) {
		t.Errorf("v6: %+v\nwant %+v", got, want)
	}
}

// A table whose entry count the buffer cannot hold is an error, never a read
// past its end.
func TestParseTableTruncated(t *testing.T) {
	for _, b := range [][]byte{nil, {1, 0}, cat(dword(2), make([]byte, tcpRowSize)), cat(dword(0xffffffff))} {
		if _, err := ParseTCPTable(b, false); err == nil {
			t.Errorf("%x accepted", b)
		}
	}
	if got, err := ParseUDPTable(dword(0), true); err != nil || len(got) != 0 {
		t.Errorf("empty table: %v, %v", got, err)
	}
}

// Real listeners: a TCP listener and a UDP socket opened by the test are found
// with this process as their owner.
func TestReadFindsOwnSockets(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "windows" {
		t.Skip("not supported on", runtime.GOOS)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	ss, err := Read()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	for _, want := range []Socket{
		{Proto: results.TCP, Addr: l.Addr().(*net.TCPAddr).AddrPort()},
		{Proto: results.UDP, Addr: u.LocalAddr().(*net.UDPAddr).AddrPort()},
	} {
		i := slices.IndexFunc(ss, func(s Socket) bool { return s.Proto == want.Proto && s.Addr == want.Addr })
		if i < 0 {
			t.Errorf("%s %v not found among %d sockets", want.Proto, want.Addr, len(ss))
			continue
		}
		s := ss[i]
		if s.PID != os.Getpid() || s.Process == "" || !strings.HasPrefix(filepathBase(exe), s.Process) {
			t.Errorf("%s %v: owner %d %q, want %d (%s)", want.Proto, want.Addr, s.PID, s.Process, os.Getpid(), exe)
		}
	}
	if !slices.IsSortedFunc(ss, compareSockets) {
		t.Error("sockets not sorted by protocol and port")
	}
}

func filepathBase(p string) string { return p[strings.LastIndexAny(p, `/\`)+1:] }

func FuzzParseTables(f *testing.F) {
	f.Add(mibTable(cat(dword(2), []byte{0, 0, 0, 0}, port(443), []byte{0, 0, 0, 0}, port(0), dword(4120))))
	f.Add(mibTable(cat(make([]byte, 16), dword(0), port(123), dword(1408))))
	f.Add([]byte(procTCP))
	f.Add([]byte(procUDP6))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v6 := range []bool{false, true} {
			ParseTCPTable(b, v6)
			ParseUDPTable(b, v6)
		}
		ParseProcNet(strings.NewReader(string(b)), results.TCP)
		ParseProcNet(strings.NewReader(string(b)), results.UDP)
	})
}
