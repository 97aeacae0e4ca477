package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestSNMPRequestBytes(t *testing.T) {
	q := newSNMPQueryIDs(0x4a69, 0x37f0, 0x12345677, 0x12345678, "public")
	// protocols.md §2: the v3 discovery (msgID 4a69, request-id 37f0) and the v1
	// GetRequest for sysDescr.0 (request-id 12345678); the v2c one differs only in
	// the version (01) and request-id.
	v3 := unhex(t, `30 3a 02 01 03 30 0f 02 02 4a 69 02 03 00 ff e3
		04 01 04 02 01 03 04 10 30 0e 04 00 02 01 00 02
		01 00 04 00 04 00 04 00 30 12 04 00 04 00 a0 0c
		02 02 37 f0 02 01 00 02 01 00 30 00`)
	v1 := unhex(t, `30 29 02 01 00 04 06 70 75 62 6c 69 63 a0 1c 02
		04 12 34 56 78 02 01 00 02 01 00 30 0e 30 0c 06
		08 2b 06 01 02 01 01 01 00 05 00`)
	v2c := unhex(t, `30 29 02 01 01 04 06 70 75 62 6c 69 63 a0 1c 02
		04 12 34 56 77 02 01 00 02 01 00 30 0e 30 0c 06
		08 2b 06 01 02 01 01 01 00 05 00`)
	got := q.Packets()
	for i, want := range [][]byte{v3, v2c, v1} {
		if !bytes.Equal(got[i], want) {
			t.Errorf("packet %d:\n got %x\nwant %x", i, got[i], want)
		}
	}
	if len(got) != 3 {
		t.Errorf("%d packets, want 3", len(got))
	}
}

func TestSNMPNewOptions(t *testing.T) {
	rnd := bytes.Repeat([]byte{0xff}, 16)
	q, err := SNMP.New(bytes.NewReader(rnd), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := q.Packets()
	if !bytes.Contains(p[1], []byte("\x04\x06public")) {
		t.Errorf("default community not public: %x", p[1])
	}
	// All-ones random bytes: IDs are masked to 31 bits (7fffffff) and the v1
	// request-id is made to differ from the v2c one.
	if !bytes.Contains(p[0], []byte{0x02, 0x04, 0x7f, 0xff, 0xff, 0xff}) ||
		!bytes.Contains(p[1], []byte{0xa0, 0x1c, 0x02, 0x04, 0x7f, 0xff, 0xff, 0xff}) ||
		!bytes.Contains(p[2], []byte{0xa0, 0x1c, 0x02, 0x04, 0x7f, 0xff, 0xff, 0xfe}) {
		t.Errorf("IDs not as drawn: %x", p)
	}
	q, err = SNMP.New(bytes.NewReader(rnd), Options{SNMPCommunity: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if p := q.Packets(); !bytes.Contains(p[1], []byte("\x04\x06s3cret")) || !bytes.Contains(p[2], []byte("\x04\x06s3cret")) {
		t.Errorf("community option not used: %x", p)
	}
	if _, err := SNMP.New(bytes.NewReader(rnd[:15]), Options{}); err == nil {
		t.Error("New with a short random source succeeded")
	}
}

func TestSNMPCaptured(t *testing.T) {
	longDescr := "sysDescr portreach capture lab: " + strings.Repeat("a long sysDescr that needs the long-form BER length, ", 3) + "end"
	tests := []struct {
		file    string
		want    SNMPDetail
		summary string
	}{
		{
			file: "snmp-net-snmp.hex",
			want: SNMPDetail{
				Versions: []string{"v3", "v2c", "v1"},
				Engine: &SNMPEngine{ID: "80001f88808f9e970cfd7b046b00000000", Enterprise: 8072, EnterpriseName: "net-snmp",
					Format: "enterprise-specific 128", Boots: 1, Time: 6, Report: "usmStatsUnknownEngineIDs"},
				SysDescr: "Linux vm 6.18.44-fc-v782 #1 SMP PREEMPT_DYNAMIC @0 x86_64",
			},
			summary: `"Linux vm 6.18.44-fc-v782 #1 SMP PREEMPT_DYNAMIC @0 x86_64", engine net-snmp (8072), boots 1, up 6s`,
		},
		{
			file: "snmp-net-snmp-wrongcommunity.hex",
			want: SNMPDetail{
				Versions: []string{"v3"},
				Engine: &SNMPEngine{ID: "80001f88808f9e970cfd7b046b00000000", Enterprise: 8072, EnterpriseName: "net-snmp",
					Format: "enterprise-specific 128", Boots: 1, Time: 8, Report: "usmStatsUnknownEngineIDs"},
			},
			summary: `engine net-snmp (8072), boots 1, up 8s`,
		},
		{
			file: "snmp-net-snmp-textengine.hex",
			want: SNMPDetail{
				Versions: []string{"v3", "v2c", "v1"},
				Engine: &SNMPEngine{ID: "80001f8804706f727472656163682d6c6162", Enterprise: 8072, EnterpriseName: "net-snmp",
					Format: "text", Data: "portreach-lab", Boots: 1, Time: 3, Report: "usmStatsUnknownEngineIDs"},
				SysDescr: longDescr,
			},
			summary: `"sysDescr portreach capture lab: a long sysDescr that needs t…", engine net-snmp (8072), boots 1, up 3s`,
		},
		{
			file: "snmp-net-snmp-noview.hex",
			want: SNMPDetail{
				Versions: []string{"v3", "v2c", "v1"},
				Engine: &SNMPEngine{ID: "80001f8804706f727472656163682d6c6162", Enterprise: 8072, EnterpriseName: "net-snmp",
					Format: "text", Data: "portreach-lab", Boots: 1, Time: 6, Report: "usmStatsUnknownEngineIDs"},
				SysDescrError: "noSuchName", // v1's answer; v2c said noSuchObject
			},
			summary: `sysDescr noSuchName, engine net-snmp (8072), boots 1, up 6s`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			q := newSNMPQueryIDs(0x4a69, 0x37f0, 0x12345677, 0x12345678, "public")
			var d Detail
			var err error
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
				t.Errorf("Summary() =\n %q\nwant\n %q", s, tc.summary)
			}
		})
	}
}

// TestSNMPDetailSnapshots checks that a detail handed out is not changed by
// later replies.
func TestSNMPDetailSnapshots(t *testing.T) {
	r := readHexReplies(t, "snmp-net-snmp.hex")
	q := newSNMPQueryIDs(0x4a69, 0x37f0, 0x12345677, 0x12345678, "public")
	first, err := q.Match(r[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Match(r[1]); err != nil {
		t.Fatal(err)
	}
	if d := first.(*SNMPDetail); len(d.Versions) != 1 || d.SysDescr != "" {
		t.Errorf("first detail changed: %+v", d)
	}
}

func TestSNMPMatchRejects(t *testing.T) {
	r := readHexReplies(t, "snmp-net-snmp.hex")
	v3, v2c, v1 := r[0], r[1], r[2]
	q := newSNMPQueryIDs(0x4a69, 0x37f0, 0x12345677, 0x12345678, "public")

	otherMsgID := bytes.Replace(v3, []byte{0x02, 0x02, 0x4a, 0x69}, []byte{0x02, 0x02, 0x4a, 0x6a}, 1)
	otherReq := bytes.Replace(v2c, []byte{0x12, 0x34, 0x56, 0x77}, []byte{0x12, 0x34, 0x56, 0x78}, 1) // v1's ID in a v2c reply
	swapped := bytes.Replace(v1, []byte{0x02, 0x01, 0x00, 0x04, 0x06}, []byte{0x02, 0x01, 0x01, 0x04, 0x06}, 1)
	reflected := q.Packets()[1] // our own GetRequest (A0), e.g. from a broadcast loop
	trap := bytes.Replace(v2c, []byte{0xa2, 0x55}, []byte{0xa7, 0x55}, 1)
	v2 := bytes.Replace(v2c, []byte{0x02, 0x01, 0x01, 0x04}, []byte{0x02, 0x01, 0x02, 0x04}, 1)
	for name, b := range map[string][]byte{
		"v3 wrong msgID":          otherMsgID,
		"v2c with v1 request-id":  otherReq,
		"v1 reply as v2c":         swapped,
		"our GetRequest":          reflected,
		"trap PDU":                trap,
		"SNMPv2u/v2* version 2":   v2,
		"empty":                   nil,
		"not BER":                 []byte("hello"),
		"DNS reply":               readHexReplies(t, "dns-bind9.hex")[0],
		"another query's request": newSNMPQueryIDs(1, 2, 3, 4, "public").Packets()[0],
	} {
		if d, err := q.Match(b); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: Match = %v, %v; want ErrNotMine", name, d, err)
		}
	}
	// Cut short anywhere: an error other than ErrNotMine (it starts as SNMP), never a panic.
	for _, b := range [][]byte{v3, v2c} {
		for n := 1; n < len(b); n++ {
			if d, err := q.Match(b[:n]); err == nil || errors.Is(err, ErrNotMine) {
				t.Errorf("truncated to %d of %d: Match = %v, %v; want a parse error", n, len(b), d, err)
			}
		}
	}
}

func TestSNMPEngineIDFormats(t *testing.T) {
	for _, tc := range []struct {
		id     string
		format string
		data   string
		ent    uint32
		name   string
	}{
		{"800000090300000c07ac10", "mac", "00:00:0c:07:ac:10", 9, "Cisco"},
		{"8000013701c0a80001", "ipv4", "192.168.0.1", 311, "Microsoft"},
		{"80000a4c0220010db8000000000000000000000001", "ipv6", "2001:db8::1", 2636, "Juniper"},
		{"80001f880568656c6c6f", "octets", "", 8072, "net-snmp"},
		{"80001f880601", "reserved 6", "", 8072, "net-snmp"},
		{"000000090000000000000001", "rfc1910", "", 9, "Cisco"},
		{"8000a4a50301020304", "mac", "", 42149, ""}, // MAC of the wrong length: no data
	} {
		e := &SNMPEngine{}
		snmpDecodeEngineID(e, unhex(t, tc.id))
		if e.Format != tc.format || e.Data != tc.data || e.Enterprise != tc.ent || e.EnterpriseName != tc.name {
			t.Errorf("%s: got %+v", tc.id, e)
		}
	}
}

func TestSNMPSummaryEdges(t *testing.T) {
	d := &SNMPDetail{Versions: []string{"v3"}, Engine: &SNMPEngine{Enterprise: 42149, Boots: 2, Time: 90061}}
	if got, want := d.Summary(), "engine 42149, boots 2, up 25h1m1s"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if got := snmpErrorStatus(99); got != "error-status 99" {
		t.Errorf("snmpErrorStatus(99) = %q", got)
	}
}

func FuzzSNMPMatch(f *testing.F) {
	for _, file := range []string{"snmp-net-snmp.hex", "snmp-net-snmp-wrongcommunity.hex", "snmp-net-snmp-textengine.hex", "snmp-net-snmp-noview.hex"} {
		for _, r := range readHexReplies(f, file) {
			f.Add(r)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		q := newSNMPQueryIDs(0x4a69, 0x37f0, 0x12345677, 0x12345678, "public")
		d, err := q.Match(b)
		if err != nil {
			if d != nil {
				t.Fatalf("Match returned a detail with error %v", err)
			}
			return
		}
		sd := d.(*SNMPDetail)
		if len(sd.Versions) != 1 {
			t.Fatalf("versions %v after one reply", sd.Versions)
		}
		_ = d.Summary()
		if _, err := json.Marshal(d); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSNMPComplete(t *testing.T) {
	for _, tc := range []struct {
		file  string
		after []bool // Complete() after each reply
	}{
		{"snmp-net-snmp.hex", []bool{false, true, true}},
		{"snmp-net-snmp-wrongcommunity.hex", []bool{false}}, // the community requests never answer
		{"snmp-net-snmp-noview.hex", []bool{false, true, true}},
	} {
		q := newSNMPQueryIDs(0x4a69, 0x37f0, 0x12345677, 0x12345678, "public")
		var c Completer = q
		for i, r := range readHexReplies(t, tc.file) {
			if _, err := q.Match(r); err != nil {
				t.Fatal(err)
			}
			if c.Complete() != tc.after[i] {
				t.Errorf("%s: Complete() after reply %d = %v", tc.file, i, !tc.after[i])
			}
		}
	}
	// Community answer first, v3 later: complete only once both are in.
	r := readHexReplies(t, "snmp-net-snmp.hex")
	q := newSNMPQueryIDs(0x4a69, 0x37f0, 0x12345677, 0x12345678, "public")
	q.Match(r[2])
	if q.Complete() {
		t.Error("complete without the v3 report")
	}
	q.Match(r[0])
	if !q.Complete() {
		t.Error("not complete with v1 and v3")
	}
}
