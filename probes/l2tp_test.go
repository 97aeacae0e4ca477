package probes

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
)

// TestL2TPRequestBytes checks the SCCRQ against the dump in protocols.md §9.
func TestL2TPRequestBytes(t *testing.T) {
	got := l2tpSCCRQ(0x1234, "nxp-scan")
	want := ikeMustHex(t, `
		c8 02 00 3c 00 00 00 00 00 00 00 00  80 08 00 00 00 00 00 01  80 08 00 00 00 02 01 00
		80 0e 00 00 00 07 6e 78 70 2d 73 63 61 6e  80 0a 00 00 00 03 00 00 00 03  80 08 00 00 00 09 12 34`)
	if !bytes.Equal(got, want) {
		t.Fatalf("SCCRQ\n got %x\nwant %x", got, want)
	}
}

func TestL2TPNew(t *testing.T) {
	q, err := L2TP.New(bytes.NewReader([]byte{0xbe, 0xef}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := l2tpSCCRQ(0xbeef, l2tpHostName); !bytes.Equal(q.Packets()[0], want) {
		t.Fatalf("got %x\nwant %x", q.Packets()[0], want)
	}
	// A zero draw must not become Assigned Tunnel ID 0, which means "none" and
	// makes xl2tpd answer with a StopCCN that cannot be matched.
	q, err = L2TP.New(bytes.NewReader([]byte{0, 0}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := q.Packets()[0]
	if id := binary.BigEndian.Uint16(p[len(p)-2:]); id == 0 {
		t.Fatal("assigned tunnel ID 0")
	}
	if _, err := L2TP.New(bytes.NewReader([]byte{1}), Options{}); err == nil {
		t.Fatal("short random source: no error")
	}
	if !L2TP.AnySource {
		t.Fatal("RFC 2661 §8.1 lets the LNS answer from another port: AnySource must be set")
	}
}

var l2tpCaptures = []struct {
	file, summary string
	tunnel        uint16 // the Assigned Tunnel ID the probe had sent
	check         func(*L2TPDetail) bool
}{
	{"l2tp_xl2tpd_sccrp.hex", `SCCRP, host "lns-capture", vendor "xelerance.com", firmware 0x0690`, 0x1ca8,
		func(d *L2TPDetail) bool {
			return d.MessageType == 2 && d.ProtocolVersion == "1.0" && d.AssignedTunnelID != 0 && d.ResultCode == nil
		}},
	{"l2tp_xl2tpd_zlb.hex", "ZLB", 0x0e2f,
		func(d *L2TPDetail) bool { return d.MessageType == 0 && d.Nr == 1 }},
	{"l2tp_xl2tpd_stopccn.hex", `StopCCN, result 2 (general error), "No Authorization"`, 0x0e2f,
		func(d *L2TPDetail) bool {
			return d.MessageType == 4 && *d.ResultCode == 2 && *d.ErrorCode == 6 && d.Error == "vendor-specific error"
		}},
}

func TestL2TPMatchCaptures(t *testing.T) {
	for _, c := range l2tpCaptures {
		t.Run(c.file, func(t *testing.T) {
			reply := capture(t, c.file)
			q := newL2TPQuery(c.tunnel, l2tpHostName)
			det, err := q.Match(reply)
			if err != nil {
				t.Fatal(err)
			}
			d := det.(*L2TPDetail)
			if got := d.Summary(); got != c.summary {
				t.Errorf("summary\n got %q\nwant %q", got, c.summary)
			}
			if !c.check(d) {
				js, _ := json.Marshal(d)
				t.Errorf("details: %s", js)
			}
			if _, err := newL2TPQuery(c.tunnel+1, l2tpHostName).Match(reply); !errors.Is(err, ErrNotMine) {
				t.Errorf("other tunnel ID: %v, want ErrNotMine", err)
			}
			for i := range reply {
				if d, err := q.Match(reply[:i]); err == nil {
					t.Fatalf("truncated to %d bytes: accepted %+v", i, d)
				}
			}
		})
	}
}

func TestL2TPRejects(t *testing.T) {
	q := newL2TPQuery(0x1234, l2tpHostName)
	// Our own SCCRQ reflected has tunnel ID 0 in the header.
	if _, err := q.Match(q.Packets()[0]); !errors.Is(err, ErrNotMine) {
		t.Errorf("reflected SCCRQ: %v", err)
	}
	sccrp := capture(t, "l2tp_xl2tpd_sccrp.hex")
	binary.BigEndian.PutUint16(sccrp[4:6], 0x1234)
	if _, err := q.Match(sccrp); err != nil {
		t.Fatalf("retargeted SCCRP: %v", err)
	}
	data := append([]byte(nil), sccrp...)
	data[0] &^= 0x80 // a data message, not control
	if _, err := q.Match(data); !errors.Is(err, ErrNotMine) {
		t.Errorf("data message: %v", err)
	}
	v3 := append([]byte(nil), sccrp...)
	v3[1] = 3 // L2TPv3 (RFC 3931) is a different header
	if _, err := q.Match(v3); !errors.Is(err, ErrNotMine) {
		t.Errorf("version 3: %v", err)
	}
	// Message Type must come first (RFC 2661 §4.1).
	swapped := append([]byte(nil), sccrp...)
	swapped[12+5] = l2tpAVPHostName
	if _, err := q.Match(swapped); err == nil || errors.Is(err, ErrNotMine) {
		t.Errorf("first AVP not Message Type: %v, want a parse error", err)
	}
	// A hidden AVP is listed, not decoded.
	hidden := append([]byte(nil), sccrp...)
	// The Host Name AVP follows Message Type (8), Protocol Version (8),
	// Framing (10), Bearer (10) and Firmware (8) AVPs.
	off := 12 + 8 + 8 + 10 + 10 + 8
	if binary.BigEndian.Uint16(hidden[off+4:]) != l2tpAVPHostName {
		t.Fatalf("capture layout changed: AVP at %d is %d", off, binary.BigEndian.Uint16(hidden[off+4:]))
	}
	hidden[off] |= 0x40
	det, err := q.Match(hidden)
	if err != nil {
		t.Fatal(err)
	}
	if d := det.(*L2TPDetail); d.HostName != "" || len(d.Hidden) != 1 || d.Hidden[0] != l2tpAVPHostName {
		t.Errorf("hidden host name: %+v", d)
	}
}

func FuzzL2TPMatch(f *testing.F) {
	for _, c := range l2tpCaptures {
		f.Add(capture(f, c.file))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// Match whatever tunnel ID the input carries so the AVP parser is reached.
		var tunnel uint16
		if len(b) >= 6 {
			tunnel = binary.BigEndian.Uint16(b[4:6])
		}
		fuzzDetail(t, newL2TPQuery(tunnel, l2tpHostName).Match, b)
	})
}
