package probes

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func ikeMustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestIKEv2RequestBytes checks the IKE_SA_INIT against the dump in protocols.md §8.
func TestIKEv2RequestBytes(t *testing.T) {
	spi := [8]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}
	ke := bytes.Repeat([]byte{0x7f}, 256)
	nonce := bytes.Repeat([]byte{0xab}, 32)
	got := ikeV2SAInit(spi, ke, nonce)
	want := ikeMustHex(t, `
		11 22 33 44 55 66 77 88  00 00 00 00 00 00 00 00  21 20 22 08  00 00 00 00 00 00 01 78
		22 00 00 30  00 00 00 2c 01 01 00 04
		03 00 00 0c 01 00 00 0c 80 0e 00 80   03 00 00 08 02 00 00 02
		03 00 00 08 03 00 00 02               00 00 00 08 04 00 00 0e
		28 00 01 08 00 0e 00 00`)
	want = append(want, ke...)
	want = append(want, 0, 0, 0, 0x24)
	want = append(want, nonce...)
	if !bytes.Equal(got, want) {
		t.Fatalf("IKE_SA_INIT\n got %x\nwant %x", got, want)
	}
	if len(got) != 376 {
		t.Fatalf("length %d, protocols.md says 376", len(got))
	}
}

// TestIKEv1RequestBytes checks the Main Mode message field by field against
// RFC 2408 §3 / RFC 2409 Appendix A (protocols.md §8 gives its shape, not a dump).
func TestIKEv1RequestBytes(t *testing.T) {
	got := ikeV1MainMode([8]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77})
	tr := func(n, next, enc, hash string) string {
		return next + " 00 0024 " + n + " 01 0000" + // transform header, KEY_IKE
			" 8001 00" + enc + " 8002 00" + hash + " 8003 0001 8004 0002 800b 0001 000c 0004 00007080"
	}
	want := ikeMustHex(t, `
		00 11 22 33 44 55 66 77  00 00 00 00 00 00 00 00  01 10 02 00  00 00 00 00  00 00 00 c0
		00 00 00 a4  00 00 00 01  00 00 00 01
		00 00 00 98  01 01 00 04 `+
		tr("01", "03", "05", "02")+tr("02", "03", "05", "01")+
		tr("03", "03", "01", "02")+tr("04", "00", "01", "01"))
	if !bytes.Equal(got, want) {
		t.Fatalf("Main Mode\n got %x\nwant %x", got, want)
	}
	if len(got) != 192 {
		t.Fatalf("length %d, protocols.md says 192", len(got))
	}
}

// ikeCounter is a deterministic "random" source: 0, 1, 2, …
type ikeCounter struct{ n byte }

func (c *ikeCounter) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

func TestIKENew(t *testing.T) {
	for _, p := range []*Probe{IKE, IKENATT} {
		q, err := p.New(&ikeCounter{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		pk := q.Packets()
		if len(pk) != 2 {
			t.Fatalf("%s: %d packets, want IKEv2 then IKEv1", p.Name, len(pk))
		}
		off := 0
		if p == IKENATT {
			off = 4
			for _, b := range pk {
				if !bytes.Equal(b[:4], []byte{0, 0, 0, 0}) {
					t.Fatalf("ike-natt packet without non-ESP marker: %x", b[:8])
				}
			}
		}
		v2, v1 := pk[0][off:], pk[1][off:]
		// SPIs are the first 16 bytes drawn, the low bit forced to 1.
		if want := []byte{0, 1, 2, 3, 4, 5, 6, 7}; !bytes.Equal(v2[:8], want) {
			t.Errorf("%s: IKEv2 SPI %x, want %x", p.Name, v2[:8], want)
		}
		if want := []byte{8, 9, 10, 11, 12, 13, 14, 15}; !bytes.Equal(v1[:8], want) {
			t.Errorf("%s: IKEv1 cookie %x, want %x", p.Name, v1[:8], want)
		}
		if v2[17] != 0x20 || v1[17] != 0x10 || len(v2) != 376 || len(v1) != 192 {
			t.Errorf("%s: versions %#x %#x lengths %d %d", p.Name, v2[17], v1[17], len(v2), len(v1))
		}
		// KE follows the 28-byte header and 48-byte SA; its top bit is cleared.
		if v2[84]&0x80 != 0 {
			t.Errorf("%s: KE value %#x… may exceed the group prime", p.Name, v2[84])
		}
	}
	if _, err := IKE.New(bytes.NewReader(make([]byte, 10)), Options{}); err == nil {
		t.Fatal("short random source: no error")
	}
}

// ikeQueryFor makes a query whose SPIs are those of a captured reply.
func ikeQueryFor(reply []byte, natt bool) *ikeQuery {
	msg := reply
	if natt {
		msg = reply[4:]
	}
	q := &ikeQuery{natt: natt}
	copy(q.spi2[:], msg[:8])
	copy(q.spi1[:], msg[:8])
	q.spi1[0] ^= 0xff
	if msg[17]>>4 == 1 {
		q.spi1, q.spi2 = q.spi2, q.spi1
	}
	q.packets = [][]byte{
		ikeWrap(natt, ikeV2SAInit(q.spi2, make([]byte, ikeKELen), make([]byte, ikeNonceLen))),
		ikeWrap(natt, ikeV1MainMode(q.spi1)),
	}
	return q
}

var ikeCaptures = []struct {
	file    string
	natt    bool
	summary string
	check   func(*IKEDetail) bool
}{
	{"ike_strongswan_v2_sainit.hex", false,
		"IKEv2 IKE_SA_INIT, CHILDLESS_IKEV2_SUPPORTED, MULTIPLE_AUTH_SUPPORTED, AES_CBC-128/AUTH_HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048, vendor strongSwan",
		func(d *IKEDetail) bool {
			return d.Probe == "IKEv2" && d.DHGroup == 14 && d.ResponderSPI != "0000000000000000"
		}},
	{"ike_strongswan_v1_mainmode.hex", false,
		"IKEv1 Main Mode, 3DES/SHA1/MODP_1024/PSK, vendor strongSwan, XAUTH, DPD",
		func(d *IKEDetail) bool { return d.Probe == "IKEv1" && len(d.VendorIDs) == 3 }},
	{"ike_strongswan_v2_noproposal.hex", false, "IKEv2 IKE_SA_INIT, NO_PROPOSAL_CHOSEN",
		func(d *IKEDetail) bool { return len(d.Notify) == 1 && d.Notify[0].Type == 14 }},
	{"ike_strongswan_v1_noproposal.hex", false, "IKEv1 Informational, NO_PROPOSAL_CHOSEN",
		func(d *IKEDetail) bool { return d.ExchangeType == 5 && d.Notify[0].Type == 14 }},
	{"ike-natt_strongswan_v2_cookie.hex", true, "IKEv2 IKE_SA_INIT, COOKIE",
		func(d *IKEDetail) bool {
			return d.NATT && d.ResponderSPI == "0000000000000000" && d.Notify[0].Type == 16390
		}},
	{"ike-natt_strongswan_v1_mainmode.hex", true, "IKEv1 Main Mode, 3DES/SHA1/MODP_1024/PSK, vendor strongSwan, XAUTH, DPD",
		func(d *IKEDetail) bool { return d.NATT }},
	{"ike-natt_strongswan_v2_sainit.hex", true,
		"IKEv2 IKE_SA_INIT, CHILDLESS_IKEV2_SUPPORTED, MULTIPLE_AUTH_SUPPORTED, AES_CBC-128/AUTH_HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048, vendor strongSwan",
		func(d *IKEDetail) bool { return d.NATT && d.DHGroup == 14 }},
}

func TestIKEMatchCaptures(t *testing.T) {
	for _, c := range ikeCaptures {
		t.Run(c.file, func(t *testing.T) {
			reply := capture(t, c.file)
			q := ikeQueryFor(reply, c.natt)
			det, err := q.Match(reply)
			if err != nil {
				t.Fatal(err)
			}
			d := det.(*IKEDetail)
			if got := d.Summary(); got != c.summary {
				t.Errorf("summary\n got %q\nwant %q", got, c.summary)
			}
			if !c.check(d) {
				js, _ := json.Marshal(d)
				t.Errorf("details: %s", js)
			}

			// Another query's SPIs: not ours.
			other := ikeQueryFor(reply, c.natt)
			other.spi1[3] ^= 1
			other.spi2[3] ^= 1
			if _, err := other.Match(reply); !errors.Is(err, ErrNotMine) {
				t.Errorf("wrong SPI: %v, want ErrNotMine", err)
			}
			// The other port's framing: not ours either.
			if _, err := ikeQueryFor(reply, c.natt).natt2(!c.natt).Match(reply); !errors.Is(err, ErrNotMine) {
				t.Errorf("wrong framing: %v, want ErrNotMine", err)
			}
			// Every truncation fails cleanly.
			for i := range reply {
				if d, err := q.Match(reply[:i]); err == nil {
					t.Fatalf("truncated to %d bytes: accepted %+v", i, d)
				}
			}
		})
	}
}

// natt2 returns a copy of the query with the other framing, SPIs kept.
func (q *ikeQuery) natt2(natt bool) *ikeQuery {
	c := *q
	c.natt = natt
	return &c
}

func TestIKERejectsOwnAndInitiatorMessages(t *testing.T) {
	q, err := IKE.New(&ikeCounter{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range q.Packets() {
		if _, err := q.Match(p); !errors.Is(err, ErrNotMine) {
			t.Errorf("packet %d reflected: %v, want ErrNotMine", i, err)
		}
	}
	// An IKEv2 message with our SPI but without the Response flag is another
	// initiator's, not an answer.
	v2 := append([]byte(nil), q.Packets()[0]...)
	v2[8] = 1 // nonzero responder SPI so that it is not a plain reflection
	if _, err := q.Match(v2); !errors.Is(err, ErrNotMine) {
		t.Errorf("initiator message: %v, want ErrNotMine", err)
	}
	v2[19] = ikeV2FlagResponse
	v2[17] = 0x30 // unknown major version
	if _, err := q.Match(v2); !errors.Is(err, ErrNotMine) {
		t.Errorf("version 3: %v, want ErrNotMine", err)
	}
}

// TestIKEVendorIDs recomputes the vendor IDs that are MD5 digests of a string.
func TestIKEVendorIDs(t *testing.T) {
	for s, want := range map[string]string{
		"strongSwan":                           "strongSwan",
		"RFC 3947":                             "RFC 3947 NAT-T",
		"draft-ietf-ipsec-nat-t-ike-02\n":      "NAT-T draft-02",
		"draft-ietf-ipsec-nat-t-ike-02":        "NAT-T draft-02",
		"draft-ietf-ipsec-nat-t-ike-03":        "NAT-T draft-03",
		"FRAGMENTATION":                        "IKE fragmentation",
		"MS NT5 ISAKMPOAKLEY":                  "MS NT5 ISAKMPOAKLEY (Windows)",
		"CISCO-UNITY":                          "Cisco Unity",
		"draft-ietf-ipsra-isakmp-xauth-06.txt": "XAUTH",
	} {
		sum := md5.Sum([]byte(s))
		if got := ikeVendorName(sum[:]); got != want {
			t.Errorf("md5(%q) = %x: %q, want %q", s, sum, got, want)
		}
	}
	for _, v := range ikeVendors {
		if len(v.prefix) < 8 {
			t.Errorf("%s: bad prefix %x", v.name, v.prefix)
		}
	}
	id := md5.Sum([]byte("MS NT5 ISAKMPOAKLEY"))
	if got := ikeVendorName(append(id[:], 0, 0, 0, 9)); got != "MS NT5 ISAKMPOAKLEY v9 (Windows)" {
		t.Errorf("Windows vendor ID with version: %q", got)
	}
	// RFC 3706 §7 spells out the DPD vendor ID.
	if got := ikeVendorName(ikeMustHex(t, "AFCAD713 68A1F1C9 6B8696FC 77570100")); got != "DPD" {
		t.Errorf("DPD: %q", got)
	}
}

func FuzzIKEMatch(f *testing.F) {
	for _, c := range ikeCaptures {
		f.Add(capture(f, c.file), c.natt)
	}
	f.Fuzz(func(t *testing.T, b []byte, natt bool) {
		// Let the fuzzer reach the payload parser: the query's SPIs are taken from
		// the input itself.
		q := &ikeQuery{natt: natt}
		msg := b
		if natt && len(msg) >= 4 {
			msg = msg[4:]
		}
		if len(msg) >= 8 {
			copy(q.spi2[:], msg[:8])
			copy(q.spi1[:], msg[:8])
		}
		fuzzDetail(t, q.Match, b)
	})
}
