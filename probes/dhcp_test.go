package probes

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func TestDHCPInformBytes(t *testing.T) {
	d := dhcpInform(0xdeadbeef, [6]byte{2, 1, 2, 3, 4, 5})
	fields := []struct {
		name string
		got  []byte
		want string
	}{
		{"op htype hlen hops", d[0:4], "01010600"},
		{"xid", d[4:8], "deadbeef"},
		{"secs flags", d[8:12], "00000000"},
		{"ciaddr yiaddr siaddr giaddr", d[12:28], strings.Repeat("00", 16)},
		{"chaddr", d[28:44], "020102030405" + strings.Repeat("00", 10)},
		{"sname file", d[44:236], strings.Repeat("00", 192)},
		{"magic and options", d[236:248], "63825363 350108 37020106 ff"},
		{"padding", d[248:], strings.Repeat("00", 300-248)},
	}
	for _, f := range fields {
		if want := ikeMustHex(t, f.want); string(f.got) != string(want) {
			t.Errorf("DHCPINFORM %s: got %x want %x", f.name, f.got, want)
		}
	}
}

func TestDHCPMatch(t *testing.T) {
	r := capture(t, "dhcp_dnsmasq_ack.hex")
	const xid = 0xb998c92b // from the capture note
	det, err := dhcpMatch(r, xid)
	if err != nil {
		t.Fatal(err)
	}
	if got := det.Summary(); got != "DHCPACK from 198.19.213.2" {
		t.Errorf("summary %q", got)
	}
	if _, err := dhcpMatch(r, xid+1); !errors.Is(err, ErrNotMine) {
		t.Errorf("other xid: %v", err)
	}
	// Our own request reflected is a BOOTREQUEST.
	if _, err := dhcpMatch(dhcpInform(xid, [6]byte{2}), xid); !errors.Is(err, ErrNotMine) {
		t.Errorf("BOOTREQUEST: %v", err)
	}
	// Options after the magic cookie: 53 (3 bytes), 54 (6), 1 (6), then 28.
	bad := append([]byte(nil), r...)
	if bad[240+3+6] != 1 {
		t.Fatalf("capture layout changed: option %d", bad[240+3+6])
	}
	bad = bad[:240+3+6+6+2] // option 28 says 4 bytes, none follow
	if _, err := dhcpMatch(bad, xid); err == nil || errors.Is(err, ErrNotMine) {
		t.Errorf("overrunning option: %v, want a parse error", err)
	}
	for i := 0; i < 240; i++ {
		if _, err := dhcpMatch(r[:i], xid); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", i)
		}
	}
}

func FuzzDHCPMatch(f *testing.F) {
	f.Add(capture(f, "dhcp_dnsmasq_ack.hex"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var xid uint32
		if len(b) >= 8 {
			xid = binary.BigEndian.Uint32(b[4:8]) // reach the parser
		}
		fuzzDetail(t, func(b []byte) (Detail, error) { return dhcpMatch(b, xid) }, b)
	})
}
