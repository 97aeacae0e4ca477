package probes

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestBERParseForms(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		ident   byte
		num     uint32
		value   string
		rest    string
		wantErr string
	}{
		{name: "short", in: "020105ff", ident: 0x02, num: 2, value: "05", rest: "ff"},
		{name: "long 81", in: "0481030a0b0c", ident: 0x04, num: 4, value: "0a0b0c"},
		{name: "long 82", in: "04820002abcd", ident: 0x04, num: 4, value: "abcd"},
		{name: "empty contents", in: "0500", ident: 0x05, num: 5, value: ""},
		{name: "high tag", in: "9f810001aa", ident: 0x9f, num: 128, value: "aa"},
		{name: "application 30", in: "7e00", ident: 0x7e, num: 30, value: ""},
		{name: "indefinite", in: "30800000", wantErr: "indefinite"},
		{name: "reserved ff", in: "04ff00", wantErr: "reserved"},
		{name: "five length octets", in: "04850000000001aa", wantErr: "5 length octets"},
		{name: "length beyond input", in: "0405aabb", wantErr: "exceeds"},
		{name: "huge long length", in: "0484ffffffff", wantErr: "exceeds"},
		{name: "truncated length", in: "0482ff", wantErr: "truncated length"},
		{name: "one byte", in: "30", wantErr: "need identifier"},
		{name: "truncated tag number", in: "1f81", wantErr: "truncated"},
		{name: "tag number overflow", in: "1fffffffffff7f00", wantErr: "beyond 32 bits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, _ := hex.DecodeString(tc.in)
			got, rest, err := berParse(in)
			if tc.wantErr != "" {
				if err == nil || !errors.Is(err, errBER) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("berParse(%s) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("berParse(%s): %v", tc.in, err)
			}
			if got.Ident != tc.ident || got.Num != tc.num || hex.EncodeToString(got.Value) != tc.value || hex.EncodeToString(rest) != tc.rest {
				t.Errorf("berParse(%s) = ident %#x num %d value %x rest %x", tc.in, got.Ident, got.Num, got.Value, rest)
			}
			if !bytes.Equal(append(append([]byte(nil), got.Raw...), rest...), in) {
				t.Errorf("Raw %x + rest %x != input %x", got.Raw, rest, in)
			}
		})
	}
}

func TestBERIntRoundTrip(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 127, 128, -128, -129, 255, 256, 0x37f0, 65507, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64} {
		enc := berInt(v)
		tlv, rest, err := berParse(enc)
		if err != nil || len(rest) != 0 {
			t.Fatalf("berParse(berInt(%d) = %x): %v, rest %x", v, enc, err, rest)
		}
		got, err := tlv.Int()
		if err != nil || got != v {
			t.Errorf("Int(berInt(%d) = %x) = %d, %v", v, enc, got, err)
		}
	}
	// Known minimal encodings (X.690 §8.3.2).
	for v, want := range map[int64]string{0: "020100", 127: "02017f", 128: "02020080", -128: "020180", -129: "0202ff7f", 65507: "020300ffe3"} {
		if got := hex.EncodeToString(berInt(v)); got != want {
			t.Errorf("berInt(%d) = %s, want %s", v, got, want)
		}
	}
}

func TestBERUint(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		err  bool
	}{
		{in: "4105 00ffffffff", want: 0xffffffff},
		{in: "4101 00", want: 0},
		{in: "4102 0009", want: 9}, // non-minimal, allowed in BER
		{in: "4101 80", err: true},
		{in: "4100", err: true},
		{in: "4609 00ffffffffffffffff", want: math.MaxUint64},
		{in: "460a 0001ffffffffffffffff", err: true},
	} {
		in, _ := hex.DecodeString(strings.ReplaceAll(tc.in, " ", ""))
		tlv, _, err := berParse(in)
		if err != nil {
			t.Fatalf("berParse(%s): %v", tc.in, err)
		}
		got, err := tlv.Uint()
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("Uint(%s) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestBEROID(t *testing.T) {
	enc := berOID(1, 3, 6, 1, 2, 1, 1, 1, 0)
	if got, want := hex.EncodeToString(enc), "06082b06010201010100"; got != want {
		t.Fatalf("berOID(sysDescr.0) = %s, want %s", got, want)
	}
	for _, s := range []struct{ hex, want string }{
		{"06082b06010201010100", "1.3.6.1.2.1.1.1.0"},
		{"060a2b060106030f01010400", "1.3.6.1.6.3.15.1.1.4.0"},
		{"0603883703", "2.999.3"},
		{"06027f8f", ""}, // ends mid-arc
		{"0600", ""},
	} {
		in, _ := hex.DecodeString(s.hex)
		tlv, _, err := berParse(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tlv.OIDString()
		if s.want == "" {
			if err == nil {
				t.Errorf("OIDString(%s) = %q, want error", s.hex, got)
			}
			continue
		}
		if err != nil || got != s.want {
			t.Errorf("OIDString(%s) = %q, %v; want %q", s.hex, got, err, s.want)
		}
	}
}

func TestBERLongLengthEncoding(t *testing.T) {
	for _, n := range []int{0, 127, 128, 255, 256, 65535, 65536} {
		enc := berOctets(berTagOctetString, make([]byte, n))
		tlv, rest, err := berParse(enc)
		if err != nil || len(rest) != 0 || len(tlv.Value) != n {
			t.Errorf("length %d: encoded %x…, parsed %d bytes, err %v", n, enc[:min(len(enc), 6)], len(tlv.Value), err)
		}
	}
}

func TestBERDepthLimit(t *testing.T) {
	// 40 nested SEQUENCEs: walking them must stop at berMaxDepth with an error.
	b := []byte{}
	for range 40 {
		b = berEncode(berTagSequence, b)
	}
	r := newBERReader(b)
	depth := 0
	var err error
	for {
		var tlv berTLV
		if tlv, err = r.Next(); err != nil {
			break
		}
		if r, err = tlv.Children(); err != nil {
			break
		}
		depth++
		if r.Empty() {
			break
		}
	}
	if err == nil || !errors.Is(err, errBER) || depth != berMaxDepth {
		t.Fatalf("walked %d levels, err %v; want stop at %d with errBER", depth, err, berMaxDepth)
	}
}

func TestBERReaderExpect(t *testing.T) {
	b := berEncode(berTagSequence, berInt(3), berOctets(berTagOctetString, []byte("x")))
	r := newBERReader(b)
	seq, err := r.Expect(berTagSequence)
	if err != nil {
		t.Fatal(err)
	}
	c, err := seq.Children()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Expect(berTagOctetString); err == nil {
		t.Fatal("Expect(OCTET STRING) on an INTEGER succeeded")
	}
	if v, err := c.Expect(berTagInteger); err != nil || v.Value[0] != 3 {
		t.Fatalf("Expect(INTEGER) = %v, %v", v, err)
	}
	if s, err := c.Expect(berTagOctetString); err != nil || string(s.Value) != "x" {
		t.Fatalf("Expect(OCTET STRING) = %v, %v", s, err)
	}
	if !c.Empty() {
		t.Fatal("reader not empty at the end")
	}
	if _, err := c.Expect(berTagInteger); err == nil {
		t.Fatal("Expect at end of contents succeeded")
	}
	if _, err := (berTLV{Ident: 0x04}).Children(); err == nil {
		t.Fatal("Children of a primitive succeeded")
	}
}

// FuzzBER walks arbitrary input as nested TLVs and decodes every primitive every
// way; nothing may panic, and every value must lie inside its parent.
func FuzzBER(f *testing.F) {
	f.Add(berEncode(berTagSequence, berInt(0), berOctets(berTagOctetString, []byte("public")),
		berEncode(0xa0, berInt(0x12345678), berInt(0), berInt(0),
			berEncode(berTagSequence, berEncode(berTagSequence, berOID(1, 3, 6, 1, 2, 1, 1, 1, 0), berNull())))))
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	f.Add([]byte{0x1f, 0xff, 0xff, 0x7f, 0x00})
	f.Add([]byte{0x30, 0x84, 0x00, 0x00, 0x00, 0x02, 0x05, 0x00})
	// Real BER from net-snmp (testdata/snmp-*.hex), including long-form lengths.
	for _, file := range []string{"snmp-net-snmp.hex", "snmp-net-snmp-textengine.hex", "snmp-net-snmp-noview.hex"} {
		for _, r := range readHexReplies(f, file) {
			f.Add(r)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var walk func(r berReader)
		walk = func(r berReader) {
			for !r.Empty() {
				tlv, err := r.Next()
				if err != nil {
					return
				}
				if len(tlv.Raw) > len(b) || len(tlv.Value) > len(tlv.Raw) {
					t.Fatalf("TLV larger than input: raw %d value %d input %d", len(tlv.Raw), len(tlv.Value), len(b))
				}
				if tlv.Constructed() {
					if c, err := tlv.Children(); err == nil {
						walk(c)
					}
					continue
				}
				tlv.Int()
				tlv.Uint()
				tlv.OIDString()
			}
		}
		walk(newBERReader(b))
	})
}
