package probes

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// The request, written out by hand from RFC 1035 §4.1: ID 4c31, flags 0100 (RD),
// one question, the name in labels, QTYPE 33 (SRV, RFC 2782), QCLASS 1.
func TestLookupRequestBytes(t *testing.T) {
	l, err := newLookupID(0x4c31, "_ldap._tcp.dc._msdcs.lab.example", LookupSRV)
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, `4c31 0100 0001 0000 0000 0000
		05 5f6c646170 04 5f746370 02 6463 06 5f6d73646373 03 6c6162 07 6578616d706c65 00
		0021 0001`)
	if got := l.Packets(); len(got) != 1 || !bytes.Equal(got[0], want) {
		t.Fatalf("request\n got %x\nwant %x", got, want)
	}
	if l.Name() != "_ldap._tcp.dc._msdcs.lab.example" {
		t.Errorf("Name() = %q", l.Name())
	}
	// A final dot changes nothing; an A question differs only in QTYPE.
	a, err := newLookupID(0x4c31, "labdc.lab.example.", LookupA)
	if err != nil {
		t.Fatal(err)
	}
	if p := a.Packets()[0]; !bytes.HasSuffix(p, []byte{0, 0, 1, 0, 1}) || !bytes.Contains(p, []byte("\x05labdc\x03lab\x07example\x00")) {
		t.Errorf("A request %x", p)
	}
}

func TestNewLookupDrawsID(t *testing.T) {
	l, err := NewLookup(bytes.NewReader([]byte{0xab, 0xcd}), "lab.example", LookupA)
	if err != nil {
		t.Fatal(err)
	}
	if p := l.Packets()[0]; p[0] != 0xab || p[1] != 0xcd {
		t.Fatalf("ID %x, want abcd", p[:2])
	}
	if _, err := NewLookup(bytes.NewReader([]byte{1}), "lab.example", LookupA); err == nil {
		t.Fatal("NewLookup with a short random source succeeded")
	}
}

func TestNewLookupRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  LookupType
		want string
	}{
		{"", LookupSRV, "dns lookup: empty name"},
		{".", LookupSRV, "dns lookup: empty name"},
		{"lab..example", LookupSRV, `dns lookup: "lab..example" has an empty label`},
		{"_ldap._tcp.Site A._sites.dc._msdcs.lab.example", LookupSRV, `dns lookup: "_ldap._tcp.Site A._sites.dc._msdcs.lab.example": only letters, digits, '-' and '_' may make a label`},
		{strings.Repeat("a", 64) + ".example", LookupA, `dns lookup: "` + strings.Repeat("a", 64) + `.example" has a label over 63 bytes`},
		{strings.Repeat("a.", 127) + "ab", LookupA, "dns lookup: name of 256 bytes (at most 253)"},
		{"lab.example", dnsmessage.TypeMX, "dns lookup: record type TypeMX is not one the DC locator asks for"},
	} {
		_, err := newLookupID(1, tc.name, tc.typ)
		if err == nil || err.Error() != tc.want {
			t.Errorf("newLookupID(%q): %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestLookupCaptured feeds replies from Samba's internal DNS (testdata/lookup-*.hex)
// to the questions they answered.
func TestLookupCaptured(t *testing.T) {
	for _, tc := range []struct {
		file    string
		id      uint16
		name    string
		typ     LookupType
		want    LookupDetail
		summary string
	}{
		{
			file: "lookup-samba-srv-dc.hex", id: 0x4c31, name: "_ldap._tcp.dc._msdcs.lab.example", typ: LookupSRV,
			want: LookupDetail{Name: "_ldap._tcp.dc._msdcs.lab.example", Type: "SRV", RCode: "NOERROR", Authoritative: true,
				SRV: []SRVRecord{{Priority: 0, Weight: 100, Port: 389, Target: "labdc.lab.example"}}},
			summary: "NOERROR, labdc.lab.example:389",
		},
		{
			file: "lookup-samba-srv-nxdomain.hex", id: 0x4c32, name: "_ldap._tcp.Site-C._sites.dc._msdcs.lab.example", typ: LookupSRV,
			want:    LookupDetail{Name: "_ldap._tcp.Site-C._sites.dc._msdcs.lab.example", Type: "SRV", RCode: "NXDOMAIN", Authoritative: true},
			summary: "NXDOMAIN",
		},
		{
			file: "lookup-samba-a.hex", id: 0x4c33, name: "labdc.lab.example", typ: LookupA,
			want: LookupDetail{Name: "labdc.lab.example", Type: "A", RCode: "NOERROR", Authoritative: true,
				Addrs: []netip.Addr{netip.MustParseAddr("198.18.3.2")}},
			summary: "NOERROR, 198.18.3.2",
		},
		{
			file: "lookup-samba-aaaa-nodata.hex", id: 0x4c34, name: "labdc.lab.example", typ: LookupAAAA,
			want:    LookupDetail{Name: "labdc.lab.example", Type: "AAAA", RCode: "NOERROR", Authoritative: true},
			summary: "NOERROR, no AAAA record",
		},
		{
			file: "lookup-samba-srv-dcs.hex", id: 0x4c36, name: "_ldap._tcp.dc._msdcs.lab.example", typ: LookupSRV,
			want: LookupDetail{Name: "_ldap._tcp.dc._msdcs.lab.example", Type: "SRV", RCode: "NOERROR", Authoritative: true,
				SRV: []SRVRecord{{0, 100, 389, "labdc.lab.example"}, {0, 100, 389, "labdc2.lab.example"}, {0, 100, 389, "ghost.lab.example"}}},
			summary: "NOERROR, labdc.lab.example:389, labdc2.lab.example:389, ghost.lab.example:389",
		},
		{
			file: "lookup-samba-srv-gc.hex", id: 0x4c35, name: "_gc._tcp.lab.example", typ: LookupSRV,
			want: LookupDetail{Name: "_gc._tcp.lab.example", Type: "SRV", RCode: "NOERROR", Authoritative: true,
				SRV: []SRVRecord{{Priority: 0, Weight: 100, Port: 3268, Target: "labdc.lab.example"}}},
			summary: "NOERROR, labdc.lab.example:3268",
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			l, err := newLookupID(tc.id, tc.name, tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			d, err := l.Match(capture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := d.(*LookupDetail); !reflect.DeepEqual(got, &tc.want) {
				t.Errorf("detail\n got %+v\nwant %+v", got, &tc.want)
			}
			if s := d.Summary(); s != tc.summary {
				t.Errorf("Summary() = %q, want %q", s, tc.summary)
			}
			if l.Answer() != d {
				t.Error("Answer() is not the detail Match returned")
			}
			if found := d.(*LookupDetail).Found(); found != (tc.want.SRV != nil || tc.want.Addrs != nil) {
				t.Errorf("Found() = %v", found)
			}
		})
	}
}

// A reply is ours only if it answers our question: the same ID to another name,
// type or opcode, our own query reflected, or a short datagram is someone else's.
func TestLookupMatchRejects(t *testing.T) {
	reply := capture(t, "lookup-samba-srv-dc.hex")
	l, _ := newLookupID(0x4c31, "_ldap._tcp.dc._msdcs.lab.example", LookupSRV)
	other := func(name string, typ LookupType) *Lookup {
		o, err := newLookupID(0x4c31, name, typ)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	set := func(off int, v byte) []byte { b := bytes.Clone(reply); b[off] = v; return b }
	for what, tc := range map[string]struct {
		l *Lookup
		b []byte
	}{
		"another ID":       {l, set(1, 0x32)},
		"our own query":    {l, l.Packets()[0]},
		"not a response":   {l, set(2, reply[2]&^0x80)},
		"another opcode":   {l, set(2, reply[2]|0x10)},
		"twelve bytes":     {l, reply[:11]},
		"another name":     {other("_ldap._tcp.pdc._msdcs.lab.example", LookupSRV), reply},
		"another type":     {other("_ldap._tcp.dc._msdcs.lab.example", LookupA), reply},
		"no question, ok":  {l, noQuestion(t, reply, 0)},
		"no question, NXD": {l, noQuestion(t, reply, 3)},
	} {
		if d, err := tc.l.Match(tc.b); !errors.Is(err, ErrNotMine) || d != nil {
			t.Errorf("%s: Match = %v, %v; want ErrNotMine", what, d, err)
		}
	}
	// The case of the echoed name does not matter (RFC 4343).
	if _, err := l.Match(bytes.ReplaceAll(reply, []byte("_msdcs\x03lab"), []byte("_MSDCS\x03LAB"))); err != nil {
		t.Errorf("upper-case echo: %v", err)
	}
	// A reply cut short after its question is ours, but broken.
	if d, err := l.Match(reply[:60]); err == nil || errors.Is(err, ErrNotMine) || d != nil {
		t.Errorf("truncated datagram: %v, %v", d, err)
	}
}

// noQuestion is reply with QDCOUNT 0, no question, no records and rcode.
func noQuestion(t *testing.T, reply []byte, rcode byte) []byte {
	t.Helper()
	b := bytes.Clone(reply[:12])
	b[3] = b[3]&0xf0 | rcode
	clear(b[4:12])
	return b
}

// Samba answers FORMERR without a question (protocols.md §1); such error replies
// are ours, and say the name was not found.
func TestLookupErrorWithoutQuestion(t *testing.T) {
	l, _ := newLookupID(0x4c31, "_ldap._tcp.dc._msdcs.lab.example", LookupSRV)
	d, err := l.Match(noQuestion(t, capture(t, "lookup-samba-srv-dc.hex"), 1))
	if err != nil {
		t.Fatal(err)
	}
	if s := d.Summary(); s != "FORMERR" || d.(*LookupDetail).Found() {
		t.Fatalf("Summary() = %q, found %v", s, d.(*LookupDetail).Found())
	}
}

// build makes a reply to l with the given answers and additionals.
func buildReply(t *testing.T, l *Lookup, h dnsmessage.Header, answers, additionals []dnsmessage.Resource) []byte {
	t.Helper()
	h.ID, h.Response = l.id, true
	msg := dnsmessage.Message{Header: h,
		Questions: []dnsmessage.Question{{Name: l.name, Type: l.typ, Class: dnsmessage.ClassINET}},
		Answers:   answers, Additionals: additionals}
	b, err := msg.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rr(name string, body dnsmessage.ResourceBody) dnsmessage.Resource {
	return dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: 600}, Body: body}
}

// Microsoft DNS and resolvers send what the Samba captures do not: CNAMEs to
// follow, glue for the SRV targets, records of other names to leave alone,
// targets in upper case, and "." for "no service here".
func TestLookupRecords(t *testing.T) {
	l, _ := newLookupID(7, "_ldap._tcp.dc._msdcs.corp.example", LookupSRV)
	srv := func(prio uint16, target string) dnsmessage.ResourceBody {
		return &dnsmessage.SRVResource{Priority: prio, Weight: 100, Port: 389, Target: dnsmessage.MustNewName(target)}
	}
	b := buildReply(t, l, dnsmessage.Header{RecursionAvailable: true},
		[]dnsmessage.Resource{
			rr("_ldap._tcp.dc._msdcs.corp.example.", &dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName("dcs.corp.example.")}),
			rr("dcs.corp.example.", srv(0, "DC01.Corp.Example.")),
			rr("dcs.corp.example.", srv(10, "dc02.corp.example.")),
			rr("other.corp.example.", srv(0, "evil.example.")),
			rr("dcs.corp.example.", srv(0, ".")),
		},
		[]dnsmessage.Resource{
			rr("dc01.corp.example.", &dnsmessage.AResource{A: [4]byte{198, 18, 9, 2}}),
			rr("DC02.corp.example.", &dnsmessage.AAAAResource{AAAA: [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 2}}),
			rr("evil.example.", &dnsmessage.AResource{A: [4]byte{203, 0, 113, 1}}),
		})
	d, err := l.Match(b)
	if err != nil {
		t.Fatal(err)
	}
	want := &LookupDetail{Name: "_ldap._tcp.dc._msdcs.corp.example", Type: "SRV", RCode: "NOERROR",
		SRV: []SRVRecord{{0, 100, 389, "dc01.corp.example"}, {10, 100, 389, "dc02.corp.example"}, {0, 100, 389, "."}},
		Glue: map[string][]netip.Addr{
			"dc01.corp.example": {netip.MustParseAddr("198.18.9.2")},
			"dc02.corp.example": {netip.MustParseAddr("2001:db8::2")},
		}}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("detail\n got %+v\nwant %+v", d, want)
	}
	if s := d.Summary(); s != "NOERROR, dc01.corp.example:389, dc02.corp.example:389, .:389" {
		t.Errorf("Summary() = %q", s)
	}
	// "." alone finds nothing.
	only := buildReply(t, l, dnsmessage.Header{}, []dnsmessage.Resource{rr("_ldap._tcp.dc._msdcs.corp.example.", srv(0, "."))}, nil)
	if d, err := l.Match(only); err != nil || d.(*LookupDetail).Found() {
		t.Errorf("only '.': %v, %v", d, err)
	}
}

// A target that is no host name is skipped and counted, never handed on as a
// name to scan; past 64 records, the rest are counted too.
func TestLookupSkips(t *testing.T) {
	l, _ := newLookupID(7, "_kerberos._tcp.dc._msdcs.corp.example", LookupSRV)
	owner := "_kerberos._tcp.dc._msdcs.corp.example."
	bad := dnsmessage.Name{Length: 7}
	copy(bad.Data[:], "dc\n1.x.")
	answers := []dnsmessage.Resource{rr(owner, &dnsmessage.SRVResource{Port: 88, Target: bad})}
	for i := range 70 {
		answers = append(answers, rr(owner, &dnsmessage.SRVResource{Port: 88, Target: dnsmessage.MustNewName("dc" + strings.Repeat("x", i%5) + ".corp.example.")}))
	}
	d, err := l.Match(buildReply(t, l, dnsmessage.Header{}, answers, nil))
	if err != nil {
		t.Fatal(err)
	}
	ld := d.(*LookupDetail)
	if len(ld.SRV) != 64 || ld.Skipped != 7 {
		t.Fatalf("%d records, %d skipped; want 64 and 7", len(ld.SRV), ld.Skipped)
	}
	if !strings.HasSuffix(ld.Summary(), ", 7 records skipped") {
		t.Errorf("Summary() = %q", ld.Summary())
	}
}

// A truncated reply says so; TCPDialog asks again with a 2-octet length
// (RFC 1035 §4.2.2) and reads the answer from the stream.
func TestLookupTCPDialog(t *testing.T) {
	l, _ := newLookupID(0x4c31, "_ldap._tcp.dc._msdcs.lab.example", LookupSRV)
	tc := buildReply(t, l, dnsmessage.Header{Truncated: true}, nil, nil)
	d, err := l.Match(tc)
	if err != nil || !d.(*LookupDetail).Truncated || d.Summary() != "NOERROR, no SRV record, truncated" {
		t.Fatalf("truncated reply: %v, %v", d, err)
	}
	dlg := l.TCPDialog()
	step, err := dlg.Next(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]byte{0, byte(len(l.packet))}, l.packet...); !bytes.Equal(step.Send, want) {
		t.Fatalf("TCP request %x, want %x", step.Send, want)
	}
	reply := capture(t, "lookup-samba-srv-dc.hex")
	framed := binary.BigEndian.AppendUint16(nil, uint16(len(reply)))
	framed = append(framed, reply...)
	if step, err = dlg.Next(framed[:20]); err != nil || step.Done {
		t.Fatalf("half a message: %+v, %v", step, err)
	}
	if step, err = dlg.Next(framed); err != nil || !step.Done {
		t.Fatalf("whole message: %+v, %v", step, err)
	}
	if a := l.Answer(); a == nil || a.Truncated || len(a.SRV) != 1 {
		t.Fatalf("Answer() = %+v", a)
	}
	// Another service on 53/tcp is told at once.
	if _, err := l.TCPDialog().Next([]byte("SSH-2.0-OpenSSH_9.2\r\n")); err != nil {
		t.Fatal(err) // the first Next sends the request
	}
	dlg = l.TCPDialog()
	_, _ = dlg.Next(nil)
	if _, err := dlg.Next([]byte("SSH-2.0-OpenSSH_9.2\r\n")); !errors.Is(err, ErrWrongService) {
		t.Errorf("SSH banner: %v, want ErrWrongService", err)
	}
}

func FuzzLookupMatch(f *testing.F) {
	for _, file := range []string{"lookup-samba-srv-dc.hex", "lookup-samba-srv-nxdomain.hex", "lookup-samba-a.hex",
		"lookup-samba-aaaa-nodata.hex", "lookup-samba-srv-gc.hex", "lookup-samba-srv-dcs.hex"} {
		f.Add(capture(f, file))
	}
	// The questions the seeds answer, each asked with the reply's own ID so
	// that mutations reach past the ID check.
	questions := []struct {
		name string
		typ  LookupType
	}{
		{"_ldap._tcp.dc._msdcs.lab.example", LookupSRV}, {"_ldap._tcp.Site-C._sites.dc._msdcs.lab.example", LookupSRV},
		{"_gc._tcp.lab.example", LookupSRV}, {"labdc.lab.example", LookupA}, {"labdc.lab.example", LookupAAAA},
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 2 {
			return
		}
		for _, q := range questions {
			l, err := newLookupID(binary.BigEndian.Uint16(b), q.name, q.typ)
			if err != nil {
				t.Fatal(err)
			}
			d, err := l.Match(b)
			if err != nil {
				if d != nil {
					t.Fatalf("Match returned a detail with error %v", err)
				}
				continue
			}
			if len(b) < 12 || b[2]&0x80 == 0 {
				t.Fatalf("Match accepted %x", b)
			}
			ld := d.(*LookupDetail)
			if len(ld.SRV)+len(ld.Addrs) > lookupMaxRecords {
				t.Fatalf("%d records kept", len(ld.SRV)+len(ld.Addrs))
			}
			for _, r := range ld.SRV {
				if _, err := newLookupID(1, r.Target, LookupA); r.Target != "." && err != nil {
					t.Fatalf("target %q cannot be looked up: %v", r.Target, err)
				}
			}
			_ = d.Summary()
			if _, err := json.Marshal(d); err != nil {
				t.Fatal(err)
			}
		}
	})
}
