package msrpc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portreach/portreach/internal/hexdump"
)

func epmHex(tb testing.TB, dump string) []byte { return hexdump.Parse(tb, dump) }

func capture(tb testing.TB, name string) []byte {
	return hexdump.File(tb, filepath.Join("testdata", name))
}

// epmSplit cuts a captured server byte stream into PDUs by frag_length.
func epmSplit(tb testing.TB, stream []byte) [][]byte {
	tb.Helper()
	var pdus [][]byte
	for len(stream) > 0 {
		n, err := PDUFragLen(stream)
		if err != nil || n > len(stream) {
			tb.Fatalf("stream does not split: %v (%d left)", err, len(stream))
		}
		pdus = append(pdus, stream[:n])
		stream = stream[n:]
	}
	return pdus
}

// epmCall is one reassembled call of a captured exchange.
type epmCall struct {
	callID uint32
	frags  [][]byte
	stub   []byte
}

// epmCalls splits a capture into the bind_ack and the ept_lookup calls.
func epmCalls(tb testing.TB, name string) (bindAck []byte, calls []epmCall) {
	tb.Helper()
	pdus := epmSplit(tb, capture(tb, name))
	bindAck = pdus[0]
	var cur *epmCall
	var ra *Reassembler
	for _, p := range pdus[1:] {
		id := binary.LittleEndian.Uint32(p[12:])
		if cur == nil {
			calls = append(calls, epmCall{callID: id})
			cur = &calls[len(calls)-1]
			ra = &Reassembler{CallID: id}
		}
		cur.frags = append(cur.frags, p)
		done, err := ra.Add(p)
		if err != nil {
			tb.Fatalf("%s call %d: %v", name, id, err)
		}
		if done {
			cur.stub = ra.Stub()
			cur = nil
		}
	}
	if cur != nil {
		tb.Fatalf("%s: last call incomplete", name)
	}
	return bindAck, calls
}

func TestEPMBindBytes(t *testing.T) {
	want := epmHex(t, `0000  05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00
0010  b8 10 b8 10 00 00 00 00 01 00 00 00 00 00 01 00
0020  08 83 af e1 1f 5d c9 11 91 a4 08 00 2b 14 a0 fa   EPM UUID (first 3 groups LE)
0030  03 00 00 00 04 5d 88 8a eb 1c c9 11 9f e8 08 00   v3.0 | NDR UUID
0040  2b 10 48 60 02 00 00 00                           v2`)
	if got := EPMBind(1); !bytes.Equal(got, want) {
		t.Errorf("bind\n got %x\nwant %x", got, want)
	}
}

func TestEPMLookupBytes(t *testing.T) {
	want := epmHex(t, `0000  05 00 00 03 10 00 00 00 40 00 00 00 02 00 00 00
0010  28 00 00 00 00 00 02 00 00 00 00 00 00 00 00 00   alloc_hint 40, ctx 0, opnum 2 | inquiry 0, object NULL
0020  00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00   Ifid NULL, vers_option 1, handle…
0030  00 00 00 00 00 00 00 00 00 00 00 00 f4 01 00 00   …handle, max_ents 500`)
	if got := EPMLookup(2, EPMHandle{}, 500); !bytes.Equal(got, want) {
		t.Errorf("ept_lookup\n got %x\nwant %x", got, want)
	}
	// max_ents is clamped to the IDL range.
	if got := EPMLookup(2, EPMHandle{}, 9999); !bytes.Equal(got, want) {
		t.Errorf("max_ents 9999 not clamped to 500: %x", got[60:])
	}
	h := EPMHandle{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	got := EPMLookup(7, h, 2)
	if !bytes.Equal(got[40:60], h[:]) || binary.LittleEndian.Uint32(got[60:]) != 2 || binary.LittleEndian.Uint32(got[12:]) != 7 {
		t.Errorf("continuation request %x", got)
	}
	free := EPMLookupHandleFree(9, h)
	wantFree := append(epmHex(t, `05 00 00 03 10 00 00 00 2c 00 00 00 09 00 00 00
14 00 00 00 00 00 04 00`), h[:]...)
	if !bytes.Equal(free, wantFree) {
		t.Errorf("ept_lookup_handle_free\n got %x\nwant %x", free, wantFree)
	}
}

func TestParseBindReply(t *testing.T) {
	ack := epmHex(t, `0000  05 00 0c 03 10 00 00 00 3c 00 00 00 01 00 00 00
0010  b8 10 b8 10 c1 b3 00 00 04 00 31 33 35 00 00 00   max frags; assoc_group; sec_addr len 4 "135\0"; pad to 4
0020  01 00 00 00 00 00 00 00 04 5d 88 8a eb 1c c9 11   n_results 1 (+3); result 0 (accept), reason 0; NDR syntax
0030  9f e8 08 00 2b 10 48 60 02 00 00 00`)
	a, err := ParseBindReply(ack, 1)
	if err != nil || a.SecAddr != "135" || a.MaxXmit != 4280 || a.AssocGroup != 0xb3c1 {
		t.Errorf("bind_ack: %+v, %v", a, err)
	}
	if _, err := ParseBindReply(ack, 2); !errors.Is(err, ErrMalformed) {
		t.Errorf("wrong call_id: %v", err)
	}
	captured, _ := epmCalls(t, "epm-samba-lookup500.hex")
	id := binary.LittleEndian.Uint32(captured[12:])
	if a, err := ParseBindReply(captured, id); err != nil || a.SecAddr != "135" {
		t.Errorf("captured bind_ack: %+v, %v", a, err)
	}

	rejected := bytes.Clone(ack)
	rejected[0x24], rejected[0x26] = 2, 1 // provider rejection, abstract syntax not supported
	var re *Error
	if _, err := ParseBindReply(rejected, 1); !errors.As(err, &re) || re.PType != PTypeBindAck || re.Status != 1 ||
		err.Error() != "rpc bind rejected: reason 1 (abstract syntax not supported)" {
		t.Errorf("rejected context: %v", err)
	}
	// bind_nak with reason 4 and one supported version (5.0), [MS-RPCE] 2.2.2.5.
	nak := epmHex(t, `05 00 0d 03 10 00 00 00 15 00 00 00 01 00 00 00
04 00 01 05 00`)
	if _, err := ParseBindReply(nak, 1); !errors.As(err, &re) || re.PType != PTypeBindNak ||
		err.Error() != "rpc bind_nak: reason 4 (protocol version not supported)" {
		t.Errorf("bind_nak: %v", err)
	}
	fault := epmHex(t, `05 00 03 23 10 00 00 00 20 00 00 00 01 00 00 00
20 00 00 00 00 00 00 00 02 00 01 1c 00 00 00 00`)
	if _, err := ParseBindReply(fault, 1); !errors.As(err, &re) || re.Status != 0x1c010002 ||
		err.Error() != "rpc fault 0x1c010002 (nca_s_op_rng_error: operation out of range)" {
		t.Errorf("fault: %v", err)
	}
	for i := range len(ack) {
		if _, err := ParseBindReply(ack[:i], 1); err == nil {
			t.Errorf("bind_ack truncated to %d accepted", i)
		}
	}
}

// Samba with max_ents 500: two fragments for the first batch (the stub is 6684
// bytes), then a final empty reply with ept_s_not_registered and a null handle.
func TestEPMSambaLookup500(t *testing.T) {
	_, calls := epmCalls(t, "epm-samba-lookup500.hex")
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	if n := len(calls[0].frags); n != 2 || calls[0].frags[0][3] != pfcFirstFrag || calls[0].frags[1][3] != pfcLastFrag {
		t.Errorf("first response: %d fragments", n)
	}
	if alloc := binary.LittleEndian.Uint32(calls[0].frags[0][16:]); int(alloc) != len(calls[0].stub) {
		t.Errorf("alloc_hint %d, stub %d bytes", alloc, len(calls[0].stub))
	}
	first, err := ParseEPMLookup(calls[0].stub)
	if err != nil {
		t.Fatal(err)
	}
	if first.Done() || first.Status != 0 || len(first.Entries) != 53 {
		t.Errorf("first batch: done %v status %#x, %d entries", first.Done(), first.Status, len(first.Entries))
	}
	last, err := ParseEPMLookup(calls[1].stub)
	if err != nil {
		t.Fatal(err)
	}
	if !last.Done() || last.Status != EPTNotRegistered || !last.Handle.IsZero() || len(last.Entries) != 0 {
		t.Errorf("final reply: %+v", last)
	}

	eps, bad := DecodeEntries(first.Entries)
	if bad != 0 {
		t.Errorf("%d towers did not decode", bad)
	}
	byPort := map[uint16][]string{}
	for _, e := range eps {
		if e.Interface == mgmtInterface {
			t.Errorf("mgmt listed")
		}
		if e.Protocol == "ncacn_ip_tcp" {
			byPort[e.Port] = append(byPort[e.Port], e.Name)
		}
	}
	for _, name := range []string{"Netlogon", "LSA", "SAMR", "DRSUAPI", "Endpoint mapper"} {
		found := false
		for _, names := range byPort {
			for _, n := range names {
				found = found || n == name
			}
		}
		if !found {
			t.Errorf("%s not on any ncacn_ip_tcp port: %v", name, byPort)
		}
	}
	protos := map[string]bool{}
	for _, e := range eps {
		protos[e.Protocol] = true
	}
	for _, p := range []string{"ncacn_ip_tcp", "ncacn_np", "ncalrpc", "ncacn_http"} {
		if !protos[p] {
			t.Errorf("no %s endpoint decoded (have %v)", p, protos)
		}
	}
}

// Samba with max_ents 2: many calls, each continuing from the returned handle,
// must give the same entries as one big call.
func TestEPMSambaLookup2(t *testing.T) {
	_, big := epmCalls(t, "epm-samba-lookup500.hex")
	all, _ := ParseEPMLookup(big[0].stub)
	_, calls := epmCalls(t, "epm-samba-lookup2.hex")
	var got []EPMEntry
	for i, c := range calls {
		r, err := ParseEPMLookup(c.stub)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		got = append(got, r.Entries...)
		if r.Done() != (i == len(calls)-1) {
			t.Errorf("call %d of %d: done %v (status %#x)", i+1, len(calls), r.Done(), r.Status)
		}
		if len(r.Entries) > 2 {
			t.Errorf("call %d: %d entries for max_ents 2", i, len(r.Entries))
		}
	}
	a, _ := DecodeEntries(all.Entries)
	b, _ := DecodeEntries(got)
	if len(got) != len(all.Entries) || len(a) != len(b) {
		t.Errorf("max_ents 2: %d entries/%d endpoints, max_ents 500: %d/%d", len(got), len(b), len(all.Entries), len(a))
	}
}

// Windows ends the iteration differently: status 0 and a cleared handle on the
// last batch of entries (impacket PR #1849). No Windows capture is available here,
// so the reply is built from the Samba capture by zeroing its handle.
func TestEPMWindowsClearedHandle(t *testing.T) {
	_, calls := epmCalls(t, "epm-samba-lookup500.hex")
	stub := bytes.Clone(calls[0].stub)
	clear(stub[:20])
	r, err := ParseEPMLookup(stub)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Done() || r.Status != 0 || len(r.Entries) != 53 {
		t.Errorf("cleared handle: done %v status %#x entries %d", r.Done(), r.Status, len(r.Entries))
	}
}

func TestParseTower(t *testing.T) {
	tower := epmHex(t, `05 00
13 00 0d 78 56 34 12 34 12 cd ab ef 00 01 23 45 67 cf fb 01 00 02 00 00 00
13 00 0d 04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 02 00 00 00
01 00 0b 02 00 00 00
01 00 07 02 00 c0 00
01 00 09 04 00 00 00 00 00`)
	tw, err := ParseTower(tower)
	if err != nil {
		t.Fatal(err)
	}
	if tw.Interface.String() != "12345678-1234-abcd-ef00-01234567cffb" || tw.VerMajor != 1 || tw.VerMinor != 0 ||
		tw.Syntax != ndrSyntax || tw.Protocol != "ncacn_ip_tcp" || tw.Port != 49152 || tw.Addr.String() != "0.0.0.0" {
		t.Errorf("tower: %+v", tw)
	}
	if InterfaceName(tw.Interface) != "Netlogon" {
		t.Errorf("name %q", InterfaceName(tw.Interface))
	}
	for i := range len(tower) {
		if _, err := ParseTower(tower[:i]); err == nil {
			t.Errorf("tower truncated to %d accepted", i)
		}
	}
	// ncadg_ip_udp: the same with 0x0a and a 0x08 UDP port floor.
	udp := bytes.Clone(tower)
	udp[len(udp)-21], udp[len(udp)-14] = 0x0a, 0x08
	if tw, err := ParseTower(udp); err != nil || tw.Protocol != "ncadg_ip_udp" || tw.Port != 49152 {
		t.Errorf("udp tower: %+v, %v", tw, err)
	}
}

func TestReassemblerBounds(t *testing.T) {
	resp := func(flags byte, callID uint32, stub []byte) []byte {
		b := rpcHeader(PTypeResponse, callID)
		b[3] = flags
		b = binary.LittleEndian.AppendUint32(b, uint32(len(stub)))
		b = append(b, 0, 0, 0, 0)
		return finish(append(b, stub...))
	}
	big := bytes.Repeat([]byte{0xaa}, MaxFrag-24)
	r := Reassembler{CallID: 5}
	for i := range MaxStub / len(big) {
		flags := byte(0)
		if i == 0 {
			flags = pfcFirstFrag
		}
		if done, err := r.Add(resp(flags, 5, big)); done || err != nil {
			t.Fatalf("fragment %d: %v %v", i, done, err)
		}
	}
	if _, err := r.Add(resp(0, 5, big)); !errors.Is(err, ErrMalformed) {
		t.Errorf("stub beyond MaxStub accepted: %v (%d bytes)", err, len(r.Stub()))
	}
	cases := map[string][]byte{
		"no FIRST_FRAG": resp(pfcLastFrag, 5, []byte{1}),
		"wrong call_id": resp(pfcFirstFrag|pfcLastFrag, 6, []byte{1}),
		"bind_ack type": func() []byte { b := resp(3, 5, nil); b[2] = PTypeBindAck; return b }(),
		"auth":          func() []byte { b := resp(3, 5, []byte{1}); b[10] = 1; return b }(),
	}
	for name, pdu := range cases {
		r := Reassembler{CallID: 5}
		if _, err := r.Add(pdu); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	hdr := resp(3, 5, nil)
	binary.LittleEndian.PutUint16(hdr[8:], MaxFrag+1)
	if _, err := PDUFragLen(hdr); !errors.Is(err, ErrMalformed) {
		t.Errorf("frag_length %d accepted", MaxFrag+1)
	}
	r = Reassembler{CallID: 5}
	if done, err := r.Add(resp(3, 5, []byte{1, 2})); !done || err != nil || !bytes.Equal(r.Stub(), []byte{1, 2}) {
		t.Errorf("single fragment: %v %v %x", done, err, r.Stub())
	}
	if _, err := r.Add(resp(3, 5, []byte{1})); err == nil {
		t.Errorf("fragment after LAST_FRAG accepted")
	}
}

func TestUUIDRoundTrip(t *testing.T) {
	for _, i := range Interfaces {
		u := i.UUID
		if UUIDFromWire(u.AppendWire(nil)) != u {
			t.Errorf("%s does not round-trip", u)
		}
		if v, err := ParseUUID(strings.ToUpper(u.String())); err != nil || v != u {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, bad := range []string{"", "e1af8308-5d1f-11c9-91a4-08002b14a0f", "e1af8308x5d1f-11c9-91a4-08002b14a0fa", "g1af8308-5d1f-11c9-91a4-08002b14a0fa"} {
		if _, err := ParseUUID(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// epmSeedStubs returns every captured response stub, for the fuzzers' seeds.
func epmSeedStubs(tb testing.TB) (stubs, towers [][]byte, streams [][]byte) {
	for _, name := range []string{"epm-samba-lookup500.hex", "epm-samba-lookup2.hex"} {
		streams = append(streams, capture(tb, name))
		_, calls := epmCalls(tb, name)
		for _, c := range calls {
			stubs = append(stubs, c.stub)
			r, err := ParseEPMLookup(c.stub)
			if err != nil {
				tb.Fatal(err)
			}
			for _, e := range r.Entries {
				towers = append(towers, e.Tower)
			}
		}
	}
	return stubs, towers, streams
}

func FuzzParseEPMLookup(f *testing.F) {
	stubs, _, _ := epmSeedStubs(f)
	for _, s := range stubs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stub []byte) {
		r, err := ParseEPMLookup(stub)
		if err != nil {
			return
		}
		if len(r.Entries)*28 > len(stub) {
			t.Fatalf("%d entries from %d bytes", len(r.Entries), len(stub))
		}
		eps, bad := DecodeEntries(r.Entries)
		if len(eps)+bad > len(r.Entries) {
			t.Fatalf("%d endpoints + %d bad from %d entries", len(eps), bad, len(r.Entries))
		}
	})
}

func FuzzParseTower(f *testing.F) {
	_, towers, _ := epmSeedStubs(f)
	for _, tw := range towers {
		f.Add(tw)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tw, err := ParseTower(b)
		if err != nil {
			return
		}
		if tw.Protocol == "" {
			t.Fatalf("tower without protocol: %+v", tw)
		}
	})
}

// FuzzEPMResponse feeds a whole server byte stream through what the client does:
// split by frag_length, bind reply, reassembly, stub decoding.
func FuzzEPMResponse(f *testing.F) {
	_, _, streams := epmSeedStubs(f)
	for _, s := range streams {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		n, err := PDUFragLen(stream)
		if err != nil || n > len(stream) {
			return
		}
		id := binary.LittleEndian.Uint32(stream[12:min(16, len(stream))])
		_, _ = ParseBindReply(stream[:n], id)
		stream = stream[n:]
		var ra *Reassembler
		for len(stream) >= HeaderLen {
			n, err := PDUFragLen(stream)
			if err != nil || n > len(stream) {
				return
			}
			if ra == nil {
				ra = &Reassembler{CallID: binary.LittleEndian.Uint32(stream[12:])}
			}
			done, err := ra.Add(stream[:n])
			if err != nil {
				return
			}
			if len(ra.Stub()) > MaxStub {
				t.Fatalf("stub of %d bytes", len(ra.Stub()))
			}
			if done {
				_, _ = ParseEPMLookup(ra.Stub())
				ra = nil
			}
			stream = stream[n:]
		}
	})
}

func TestPortKind(t *testing.T) {
	for port, want := range map[uint16]string{135: "fixed", 1025: "dynamic (pre-2008 range)", 5000: "dynamic (pre-2008 range)",
		5001: "fixed", 49151: "fixed", 49152: "dynamic", 65535: "dynamic"} {
		if got := PortKind(port); got != want {
			t.Errorf("PortKind(%d) = %q, want %q", port, got, want)
		}
	}
}

// Binds to a Samba AD DC (testdata/bind-samba-*.hex, captured by the scanner's
// TestRPCInterfacesSamba): its own LSA interface is accepted, an interface it
// does not serve (MSDTC) is rejected in the bind_ack, abstract syntax not
// supported.
func TestParseBindReplySamba(t *testing.T) {
	ack := capture(t, "bind-samba-ack.hex")
	id := binary.LittleEndian.Uint32(ack[12:])
	a, err := ParseBindReply(ack, id)
	if err != nil || a.MaxRecv != MaxFrag || a.SecAddr == "" {
		t.Errorf("Samba bind_ack: %+v, %v", a, err)
	}
	rej := capture(t, "bind-samba-reject.hex")
	var re *Error
	_, err = ParseBindReply(rej, binary.LittleEndian.Uint32(rej[12:]))
	if !errors.As(err, &re) || re.PType != PTypeBindAck || re.Status != 1 {
		t.Errorf("Samba rejection: %v", err)
	}
}

func TestBindBytes(t *testing.T) {
	dtc, ok := LookupInterface("msdtc")
	if !ok || dtc.Major != 1 {
		t.Fatalf("msdtc: %+v", dtc)
	}
	want := epmHex(t, `0000  05 00 0b 03 10 00 00 00 48 00 00 00 07 00 00 00
0010  b8 10 b8 10 00 00 00 00 01 00 00 00 00 00 01 00
0020  e0 0c 6b 90 0b c7 67 10 b3 17 00 dd 01 06 62 da   MSDTC UUID (first 3 groups LE)
0030  01 00 00 00 04 5d 88 8a eb 1c c9 11 9f e8 08 00   v1.0 | NDR UUID
0040  2b 10 48 60 02 00 00 00                           v2`)
	if got := Bind(7, dtc); !bytes.Equal(got, want) {
		t.Errorf("bind\n got %x\nwant %x", got, want)
	}
}

func TestLookupInterface(t *testing.T) {
	keys := map[string]bool{}
	for _, i := range Interfaces {
		if i.Name == "" || i.Source == "" || keys[i.Key] {
			t.Errorf("interface %+v: needs a unique key, a name and a source", i)
		}
		keys[i.Key] = true
		if got, ok := LookupInterface(i.Key); !ok || got.UUID != i.UUID {
			t.Errorf("LookupInterface(%q) = %+v", i.Key, got)
		}
	}
	for _, s := range []string{"MSDTC", "msdtc", "906B0CE0-C70B-1067-B317-00DD010662DA"} {
		if i, ok := LookupInterface(s); !ok || i.Key != "msdtc" {
			t.Errorf("LookupInterface(%q) = %+v", s, i)
		}
	}
	if i, ok := LookupInterface("01234567-89ab-cdef-0123-456789abcdef"); !ok || i.Name != "" {
		t.Errorf("unknown UUID: %+v %v", i, ok)
	}
	if _, ok := LookupInterface("nosuch"); ok {
		t.Errorf("unknown key accepted")
	}
}

// FuzzParseBindReply: seeded with Samba's bind_ack and rejection, and the
// endpoint mapper's bind_ack.
func FuzzParseBindReply(f *testing.F) {
	for _, name := range []string{"bind-samba-ack.hex", "bind-samba-reject.hex"} {
		f.Add(capture(f, name))
	}
	ack, _ := epmCalls(f, "epm-samba-lookup500.hex")
	f.Add(ack)
	f.Fuzz(func(t *testing.T, pdu []byte) {
		if len(pdu) < HeaderLen {
			return
		}
		a, err := ParseBindReply(pdu, binary.LittleEndian.Uint32(pdu[12:]))
		if (a == nil) == (err == nil) {
			t.Fatalf("ack %v with error %v", a, err)
		}
		var re *Error
		if err != nil && !errors.As(err, &re) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error neither a refusal nor malformed: %v", err)
		}
		if err != nil {
			_ = err.Error()
		}
	})
}
