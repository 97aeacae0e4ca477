package probes

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestSilentRequestBytes(t *testing.T) {
	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		// RFC 1002 §4.4.4 DATAGRAM QUERY REQUEST; the name "PORTREACH" padded with
		// spaces, suffix 0x00, in RFC 1001 §14.1 half-byte encoding.
		{"nbdd", silentNBDDQuery(0x1234, "PORTREACH"),
			"14 02 1234 00000000 008a 20" + hexOf("FAEPFCFEFCEFEBEDEI"+strings.Repeat("CA", 6)+"AA") + "00"},
		// SNMPv2c GetRequest sysUpTime.0, request-id 0x01020304, community "public".
		{"snmp", silentSNMPGet(0x01020304, "public"),
			"30 29 020101 0406 7075626c6963 a01c 020401020304 020100 020100 300e 300c 0608 2b06010201010300 0500"},
		// RFC 4795 §2.1.1 query for "a.b", type A, class IN.
		{"llmnr", silentLLMNRQuery(0xabcd, "a.b"),
			"abcd 0000 0001 0000 0000 0000 01 61 01 62 00 0001 0001"},
	} {
		if want := ikeMustHex(t, c.want); !bytes.Equal(c.got, want) {
			t.Errorf("%s\n got %x\nwant %x", c.name, c.got, want)
		}
	}

	d := silentDHCPInform(0xdeadbeef, [6]byte{2, 1, 2, 3, 4, 5})
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
		if want := ikeMustHex(t, f.want); !bytes.Equal(f.got, want) {
			t.Errorf("DHCPINFORM %s: got %x want %x", f.name, f.got, want)
		}
	}
}

func hexOf(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		b.WriteString(strings.ToLower(string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])))
	}
	return b.String()
}

func TestSilentProbesDescribeSilence(t *testing.T) {
	for _, p := range []*Probe{NetBIOSDgm, SNMPTrap, DHCP, LLMNR, WINS, MADCAP,
		TCPOnly, MSRPCUDP, MMS, MSMQUDP, MSTheater, SMSRemote, Cluster, BINL, RTP} {
		if p.Silence == "" || len(p.Ports) == 0 {
			t.Errorf("%s: needs ports and a silence explanation", p.Name)
		}
		q, err := p.New(&ikeCounter{}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		pk := q.Packets()
		if len(pk) != 1 {
			t.Fatalf("%s: %d packets", p.Name, len(pk))
		}
		if _, err := q.Match(pk[0]); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: own datagram reflected: %v", p.Name, err)
		}
		if _, err := q.Match(nil); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: empty datagram: %v", p.Name, err)
		}
		if len(pk[0]) > 0 {
			if _, err := p.New(bytes.NewReader(nil), Options{}); err == nil {
				t.Errorf("%s: no random source: no error", p.Name)
			}
		}
	}
}

func TestSNMPTrapCommunity(t *testing.T) {
	q, err := SNMPTrap.New(&ikeCounter{}, Options{SNMPCommunity: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(q.Packets()[0], []byte("\x04\x06s3cret")) {
		t.Fatalf("community not used: %x", q.Packets()[0])
	}
}

// TestSNMPTrapMatchCapture decodes net-snmp snmpd's answer on the trap port.
func TestSNMPTrapMatchCapture(t *testing.T) {
	reply := capture(t, "snmptrap_snmpd_response.hex")
	const reqID = 0x7f3a7f78 // from the capture note
	det, err := silentMatchSNMP(reply, reqID)
	if err != nil {
		t.Fatal(err)
	}
	d := det.(*SNMPTrapDetail)
	if d.Version != 1 || d.ErrorStatus != 0 || d.Uptime == nil {
		js, _ := json.Marshal(d)
		t.Fatalf("details %s", js)
	}
	if !strings.HasPrefix(d.Summary(), "SNMP agent on the trap port, uptime ") {
		t.Errorf("summary %q", d.Summary())
	}
	if _, err := silentMatchSNMP(reply, reqID+1); !errors.Is(err, ErrNotMine) {
		t.Errorf("other request-id: %v", err)
	}
	// A GetRequest (our own, reflected) is not a Response.
	if _, err := silentMatchSNMP(silentSNMPGet(reqID, "public"), reqID); !errors.Is(err, ErrNotMine) {
		t.Errorf("GetRequest: %v", err)
	}
	for i := range reply {
		if d, err := silentMatchSNMP(reply[:i], reqID); err == nil {
			t.Fatalf("truncated to %d bytes: accepted %+v", i, d)
		}
	}
}

func TestDHCPMatch(t *testing.T) {
	r := capture(t, "dhcp_dnsmasq_ack.hex")
	const xid = 0xb998c92b // from the capture note
	det, err := silentMatchDHCP(r, xid)
	if err != nil {
		t.Fatal(err)
	}
	if got := det.Summary(); got != "DHCPACK from 198.19.213.2" {
		t.Errorf("summary %q", got)
	}
	if _, err := silentMatchDHCP(r, xid+1); !errors.Is(err, ErrNotMine) {
		t.Errorf("other xid: %v", err)
	}
	// Our own request reflected is a BOOTREQUEST.
	if _, err := silentMatchDHCP(silentDHCPInform(xid, [6]byte{2}), xid); !errors.Is(err, ErrNotMine) {
		t.Errorf("BOOTREQUEST: %v", err)
	}
	// Options after the magic cookie: 53 (3 bytes), 54 (6), 1 (6), then 28.
	bad := append([]byte(nil), r...)
	if bad[240+3+6] != 1 {
		t.Fatalf("capture layout changed: option %d", bad[240+3+6])
	}
	bad = bad[:240+3+6+6+2] // option 28 says 4 bytes, none follow
	if _, err := silentMatchDHCP(bad, xid); err == nil || errors.Is(err, ErrNotMine) {
		t.Errorf("overrunning option: %v, want a parse error", err)
	}
	for i := 0; i < 240; i++ {
		if _, err := silentMatchDHCP(r[:i], xid); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", i)
		}
	}
}

// silentLLMNRReply is a positive LLMNR answer laid out by hand from RFC 4795 §2.1.1
// (no LLMNR responder in Debian runs outside systemd): the question copied, one A
// record.
func silentLLMNRReply(id uint16, name string) []byte {
	b := silentLLMNRQuery(id, name)
	b[2] = 0x80
	b[7] = 1
	return append(b, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 198, 18, 0, 2)
}

func TestLLMNRMatch(t *testing.T) {
	r := silentLLMNRReply(9, "portreach-00")
	det, err := silentMatchLLMNR(r, 9, "portreach-00")
	if err != nil {
		t.Fatal(err)
	}
	if got := det.Summary(); got != "LLMNR response, rcode 0, 1 answer(s)" {
		t.Errorf("summary %q", got)
	}
	for _, c := range []struct {
		name string
		id   uint16
		q    string
	}{{"other id", 10, "portreach-00"}, {"other name", 9, "portreach-01"}} {
		if _, err := silentMatchLLMNR(r, c.id, c.q); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestNetBIOSDgmMatch(t *testing.T) {
	for _, c := range []struct {
		reply []byte
		want  string
	}{
		{[]byte{0x16, 0x02, 0x12, 0x34, 0, 0, 0, 0, 0, 138}, "negative query response"},
		{[]byte{0x15, 0x02, 0x12, 0x34, 0, 0, 0, 0, 0, 138}, "positive query response"},
		{[]byte{0x13, 0x02, 0x12, 0x34, 0, 0, 0, 0, 0, 138, 0x82}, "datagram error 0x82"},
	} {
		det, err := silentMatchNBDD(c.reply, 0x1234)
		if err != nil || det.Summary() != c.want {
			t.Errorf("%x: %v %v", c.reply, det, err)
		}
		if _, err := silentMatchNBDD(c.reply, 0x1235); !errors.Is(err, ErrNotMine) {
			t.Errorf("%x other DGM_ID: %v", c.reply, err)
		}
	}
}

func FuzzSilentMatch(f *testing.F) {
	f.Add(capture(f, "snmptrap_snmpd_response.hex"))
	f.Add(capture(f, "dhcp_dnsmasq_ack.hex"))
	f.Add(silentLLMNRReply(0, "portreach-00"))
	f.Add([]byte{0x13, 0x02, 0, 0, 0, 0, 0, 0, 0, 138, 0x82})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Take every ID from the input itself so that the parsers are reached.
		var id16 uint16
		var id32 uint32
		if len(b) >= 8 {
			id16 = binary.BigEndian.Uint16(b[0:2])
			id32 = binary.BigEndian.Uint32(b[4:8])
		}
		var nb uint16
		if len(b) >= 4 {
			nb = binary.BigEndian.Uint16(b[2:4])
		}
		var snmpID int64 = -1
		if d, err := silentMatchSNMPAnyID(b); err == nil {
			snmpID = d
		}
		for _, m := range []func([]byte) (Detail, error){
			func(b []byte) (Detail, error) { return silentMatchNBDD(b, nb) },
			func(b []byte) (Detail, error) { return silentMatchSNMP(b, snmpID) },
			func(b []byte) (Detail, error) { return silentMatchDHCP(b, id32) },
			func(b []byte) (Detail, error) { return silentMatchLLMNR(b, id16, "portreach-00") },
		} {
			d, err := m(b)
			if err != nil {
				if d != nil {
					t.Fatal("detail with error")
				}
				continue
			}
			_ = d.Summary()
			if _, err := json.Marshal(d); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// silentMatchSNMPAnyID digs out a Response's request-id for the fuzzer.
func silentMatchSNMPAnyID(b []byte) (int64, error) {
	top := newBERReader(b)
	msg, err := top.Expect(berTagSequence)
	if err != nil {
		return 0, err
	}
	r, err := msg.Children()
	if err != nil {
		return 0, err
	}
	if _, err := r.Next(); err != nil {
		return 0, err
	}
	if _, err := r.Next(); err != nil {
		return 0, err
	}
	pdu, err := r.Next()
	if err != nil {
		return 0, err
	}
	pr, err := pdu.Children()
	if err != nil {
		return 0, err
	}
	id, err := pr.Next()
	if err != nil {
		return 0, err
	}
	return id.Int()
}
