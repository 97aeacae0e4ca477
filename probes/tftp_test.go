package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestTFTPRequestBytes(t *testing.T) {
	// protocols.md §9, TFTP.
	want := unhex(t, "00 01 6e 78 2d 70 72 6f 62 65 2d 37 66 33 61 2e 74 78 74 00 6f 63 74 65 74 00")
	got := newTFTPQueryFile("nx-probe-7f3a.txt").Packets()
	if len(got) != 1 || !bytes.Equal(got[0], want) {
		t.Errorf("got %x\nwant %x", got, want)
	}
}

func TestTFTPNewRandomName(t *testing.T) {
	q, err := TFTP.New(bytes.NewReader([]byte{0xde, 0xad, 0xbe, 0xef}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "\x00\x01nx-probe-deadbeef.txt\x00octet\x00"; string(q.Packets()[0]) != want {
		t.Errorf("request %q, want %q", q.Packets()[0], want)
	}
	if _, err := TFTP.New(bytes.NewReader([]byte{1}), Options{}); err == nil {
		t.Error("New with a short random source succeeded")
	}
	if !TFTP.AnySource {
		t.Error("TFTP replies come from a new port: AnySource must be set")
	}
}

func TestTFTPCaptured(t *testing.T) {
	for _, tc := range []struct {
		file    string
		want    TFTPDetail
		summary string
	}{
		{"tftp-tftpd-hpa.hex", TFTPDetail{File: "nx-probe-7f3a.txt", ErrorCode: 1, ErrorName: "File not found", Message: "File not found"}, "ERROR 1 File not found"},
		{"tftp-tftpd-hpa-data.hex", TFTPDetail{File: "nx-probe-7f3a.txt", FileExists: true}, `DATA: file "nx-probe-7f3a.txt" exists`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			for _, r := range readHexReplies(t, tc.file) {
				q := newTFTPQueryFile("nx-probe-7f3a.txt")
				d, err := q.Match(r)
				if err != nil {
					t.Fatalf("Match(%x): %v", r, err)
				}
				got, _ := json.Marshal(d)
				want, _ := json.Marshal(&tc.want)
				if !bytes.Equal(got, want) {
					t.Errorf("detail\n got %s\nwant %s", got, want)
				}
				if s := d.Summary(); s != tc.summary {
					t.Errorf("Summary() = %q, want %q", s, tc.summary)
				}
			}
		})
	}
}

func TestTFTPMatchEdges(t *testing.T) {
	q := newTFTPQueryFile("nx-probe-7f3a.txt")
	errReply := readHexReplies(t, "tftp-tftpd-hpa.hex")[0]
	for name, b := range map[string][]byte{
		"empty":          nil,
		"short":          {0, 5, 0},
		"our RRQ":        q.Packets()[0],
		"ACK":            {0, 4, 0, 1},
		"DATA block 2":   {0, 3, 0, 2, 'x'},
		"DATA too large": append([]byte{0, 3, 0, 1}, make([]byte, 513)...),
		"DNS reply":      readHexReplies(t, "dns-bind9.hex")[0],
		"SNMP reply":     readHexReplies(t, "snmp-net-snmp.hex")[1],
	} {
		if d, err := q.Match(b); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: Match = %v, %v; want ErrNotMine", name, d, err)
		}
	}
	// Bytes after the terminating zero: malformed, not silently accepted.
	if d, err := q.Match(append(append([]byte(nil), errReply...), 'x')); err == nil || errors.Is(err, ErrNotMine) {
		t.Errorf("ERROR with trailing bytes: Match = %v, %v; want a parse error", d, err)
	}
	// Some embedded servers leave out the terminating zero.
	d, err := q.Match(errReply[:len(errReply)-1])
	if err != nil || d.(*TFTPDetail).Message != "File not found" {
		t.Errorf("ERROR without terminator: Match = %v, %v", d, err)
	}
	// Control characters and bad UTF-8 in the text are neutralised; unknown codes named.
	d, err = q.Match([]byte{0, 5, 0, 99, 'a', '\n', 0xff, 'b', 0})
	if err != nil {
		t.Fatal(err)
	}
	if td := d.(*TFTPDetail); td.Message != "a??b" || td.ErrorName != "code 99" || td.Summary() != `ERROR 99 code 99: "a??b"` {
		t.Errorf("got %+v, summary %q", td, td.Summary())
	}
	// An ERROR with an empty text is still an answer.
	if d, err := q.Match([]byte{0, 5, 0, 2, 0}); err != nil || d.Summary() != "ERROR 2 Access violation" {
		t.Errorf("empty text: Match = %v, %v", d, err)
	}
}

func FuzzTFTPMatch(f *testing.F) {
	for _, file := range []string{"tftp-tftpd-hpa.hex", "tftp-tftpd-hpa-data.hex"} {
		for _, r := range readHexReplies(f, file) {
			f.Add(r)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := newTFTPQueryFile("nx-probe-7f3a.txt").Match(b)
		if err != nil {
			if d != nil {
				t.Fatalf("Match returned a detail with error %v", err)
			}
			return
		}
		if len(b) < 4 || (b[1] != 3 && b[1] != 5) || b[0] != 0 {
			t.Fatalf("Match accepted %x", b)
		}
		if td := d.(*TFTPDetail); len(td.Message) > 3*tftpMaxMessage {
			t.Fatalf("message of %d bytes", len(td.Message))
		}
		_ = d.Summary()
		if _, err := json.Marshal(d); err != nil {
			t.Fatal(err)
		}
	})
}
