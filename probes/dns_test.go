package probes

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// unhex decodes a protocols.md-style dump (spaces and newlines allowed).
func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDNSRequestBytes(t *testing.T) {
	q, err := newDNSQueryIDs(0x1234, 0x1236)
	if err != nil {
		t.Fatal(err)
	}
	// protocols.md §1, probe A and probe B.
	want := [][]byte{
		unhex(t, "12 34 00 00 00 01 00 00 00 00 00 00 00 00 02 00 01"),
		unhex(t, "12 36 00 00 00 01 00 00 00 00 00 00 07 76 65 72 73 69 6f 6e 04 62 69 6e 64 00 00 10 00 03"),
	}
	got := q.Packets()
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("packet %d:\n got %x\nwant %x", i, got[i], want[i])
		}
	}
}

func TestDNSNewDrawsIDs(t *testing.T) {
	q, err := DNS.New(bytes.NewReader([]byte{0xab, 0xcd, 0xab, 0xcd}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := q.Packets()
	if !bytes.Equal(p[0][:2], []byte{0xab, 0xcd}) || !bytes.Equal(p[1][:2], []byte{0x2b, 0xcd}) {
		t.Fatalf("IDs %x %x: want abcd and a different second ID 2bcd", p[0][:2], p[1][:2])
	}
	if _, err := DNS.New(bytes.NewReader([]byte{1, 2, 3}), Options{}); err == nil {
		t.Fatal("New with a short random source succeeded")
	}
}

// TestDNSCaptured feeds the replies captured from real daemons (testdata/dns-*.hex)
// to a query with the IDs they were captured with.
func TestDNSCaptured(t *testing.T) {
	tests := []struct {
		file    string
		want    DNSDetail
		summary string
	}{
		{
			file: "dns-dnsmasq.hex",
			want: DNSDetail{
				RootNS:      &DNSAnswer{RCode: "REFUSED", RecursionAvailable: true},
				VersionBind: &DNSAnswer{RCode: "NOERROR", Authoritative: true, RecursionAvailable: true, Answers: 1},
				Version:     "dnsmasq-2.90",
			},
			summary: `REFUSED, version "dnsmasq-2.90"`,
		},
		{
			file: "dns-bind9.hex",
			want: DNSDetail{
				RootNS:      &DNSAnswer{RCode: "REFUSED"},
				VersionBind: &DNSAnswer{RCode: "NOERROR", Authoritative: true, Answers: 1},
				Version:     "9.18.49-1~deb12u3-Debian",
			},
			summary: `REFUSED, version "9.18.49-1~deb12u3-Debian"`,
		},
		{
			file: "dns-bind9-rootzone.hex",
			want: DNSDetail{
				RootNS: &DNSAnswer{RCode: "NOERROR", Authoritative: true, RecursionAvailable: true, Answers: 1},
				// "version none": NOERROR, AA, no TXT (an SOA in authority).
				VersionBind:  &DNSAnswer{RCode: "NOERROR", Authoritative: true},
				OpenResolver: true,
			},
			summary: `NOERROR, recursion available: open resolver?, version hidden`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			q, err := newDNSQueryIDs(0x1234, 0x1236)
			if err != nil {
				t.Fatal(err)
			}
			var d Detail
			for _, r := range readHexReplies(t, tc.file) {
				if d, err = q.Match(r); err != nil {
					t.Fatalf("Match(%x): %v", r, err)
				}
			}
			got, _ := json.Marshal(d)
			want, _ := json.Marshal(&tc.want)
			if !bytes.Equal(got, want) {
				t.Errorf("detail\n got %s\nwant %s", got, want)
			}
			if s := d.Summary(); s != tc.summary {
				t.Errorf("Summary() = %q, want %q", s, tc.summary)
			}
		})
	}
}

func TestDNSMatchRejects(t *testing.T) {
	replies := readHexReplies(t, "dns-bind9.hex")
	ns, ver := replies[0], replies[1]
	q, _ := newDNSQueryIDs(0x1234, 0x1236)

	wrongID := append([]byte(nil), ns...)
	wrongID[1] = 0x35
	query := append([]byte(nil), q.Packets()[0]...) // our own question, QR=0
	status := append([]byte(nil), ns...)
	status[2] = 0x90 // QR, opcode 2 (STATUS)

	for name, b := range map[string][]byte{
		"wrong ID":   wrongID,
		"query":      query,
		"opcode":     status,
		"empty":      nil,
		"one byte":   {0x12},
		"other port": []byte("HTTP/1.1 200 OK\r\n\r\n"),
	} {
		if d, err := q.Match(b); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: Match = %v, %v; want ErrNotMine", name, d, err)
		}
	}
	// Our ID but cut short: an error, and not "not mine".
	for _, n := range []int{2, 11, 14, len(ver) - 1} {
		if d, err := q.Match(ver[:n]); err == nil || errors.Is(err, ErrNotMine) {
			t.Errorf("truncated to %d: Match = %v, %v; want a parse error", n, d, err)
		}
	}
}

func TestDNSSummaryVersionOnly(t *testing.T) {
	d := &DNSDetail{VersionBind: &DNSAnswer{RCode: "NOTIMP"}}
	if got := d.Summary(); got != "version.bind NOTIMP" {
		t.Errorf("Summary() = %q", got)
	}
	if got := dnsRCodeName(23); got != "RCODE23" {
		t.Errorf("dnsRCodeName(23) = %q", got)
	}
}

func FuzzDNSMatch(f *testing.F) {
	for _, file := range []string{"dns-dnsmasq.hex", "dns-bind9.hex", "dns-bind9-rootzone.hex"} {
		for _, r := range readHexReplies(f, file) {
			f.Add(r)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := newDNSQueryIDs(0x1234, 0x1236)
		if err != nil {
			t.Fatal(err)
		}
		d, err := q.Match(b)
		if err != nil {
			if d != nil {
				t.Fatalf("Match returned a detail with error %v", err)
			}
			return
		}
		if len(b) < 12 || b[2]&0x80 == 0 {
			t.Fatalf("Match accepted %x", b)
		}
		dd := d.(*DNSDetail)
		if len(dd.Version) > dnsMaxVersion {
			t.Fatalf("version of %d bytes", len(dd.Version))
		}
		_ = d.Summary()
		if _, err := json.Marshal(d); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDNSComplete(t *testing.T) {
	r := readHexReplies(t, "dns-dnsmasq.hex")
	q, _ := newDNSQueryIDs(0x1234, 0x1236)
	var c Completer = q
	if c.Complete() {
		t.Fatal("complete before any reply")
	}
	if _, err := q.Match(r[1]); err != nil || c.Complete() {
		t.Fatalf("after version.bind only: err %v, complete %v", err, c.Complete())
	}
	if _, err := q.Match(r[0]); err != nil || !c.Complete() {
		t.Fatalf("after both: err %v, complete %v", err, c.Complete())
	}
}
