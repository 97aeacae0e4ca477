package probes

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// RFC 1002 §4.4.4 DATAGRAM QUERY REQUEST; the name "PORTREACH" padded with
// spaces, suffix 0x00, in RFC 1001 §14.1 half-byte encoding.
func TestNBDDQueryBytes(t *testing.T) {
	want := ikeMustHex(t, "14 02 1234 00000000 008a 20"+
		hex.EncodeToString([]byte("FAEPFCFEFCEFEBEDEI"+strings.Repeat("CA", 6)+"AA"))+"00")
	if got := nbddQuery(0x1234, "PORTREACH"); !bytes.Equal(got, want) {
		t.Errorf("\n got %x\nwant %x", got, want)
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
		det, err := nbddMatch(c.reply, 0x1234)
		if err != nil || det.Summary() != c.want {
			t.Errorf("%x: %v %v", c.reply, det, err)
		}
		if _, err := nbddMatch(c.reply, 0x1235); !errors.Is(err, ErrNotMine) {
			t.Errorf("%x other DGM_ID: %v", c.reply, err)
		}
	}
}

func FuzzNBDDMatch(f *testing.F) {
	f.Add([]byte{0x13, 0x02, 0, 0, 0, 0, 0, 0, 0, 138, 0x82})
	f.Add([]byte{0x16, 0x02, 0x12, 0x34, 0, 0, 0, 0, 0, 138})
	f.Fuzz(func(t *testing.T, b []byte) {
		var id uint16
		if len(b) >= 4 {
			id = binary.BigEndian.Uint16(b[2:4]) // reach the parser
		}
		fuzzDetail(t, func(b []byte) (Detail, error) { return nbddMatch(b, id) }, b)
	})
}
