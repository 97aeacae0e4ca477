package probes

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// RFC 4795 §2.1.1 query for "a.b", type A, class IN.
func TestLLMNRQueryBytes(t *testing.T) {
	got, err := llmnrQuery(0xabcd, "a.b")
	if err != nil {
		t.Fatal(err)
	}
	if want := ikeMustHex(t, "abcd 0000 0001 0000 0000 0000 01 61 01 62 00 0001 0001"); !bytes.Equal(got, want) {
		t.Errorf("\n got %x\nwant %x", got, want)
	}
}

// llmnrReply is a positive LLMNR answer laid out by hand from RFC 4795 §2.1.1
// (no LLMNR responder in Debian runs outside systemd): the question copied, one A
// record.
func llmnrReply(tb testing.TB, id uint16, name string) []byte {
	b, err := llmnrQuery(id, name)
	if err != nil {
		tb.Fatal(err)
	}
	b[2] = 0x80
	b[7] = 1
	return append(b, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 198, 18, 0, 2)
}

func TestLLMNRMatch(t *testing.T) {
	r := llmnrReply(t, 9, "portreach-00")
	det, err := llmnrMatch(r, 9, "portreach-00")
	if err != nil {
		t.Fatal(err)
	}
	if got := det.Summary(); got != "LLMNR response, rcode 0, 1 answer(s)" {
		t.Errorf("summary %q", got)
	}
	// Responders may change the question's case (RFC 4795 §2.1.1 copies it,
	// DNS names compare case-insensitively).
	if _, err := llmnrMatch(llmnrReply(t, 9, "PORTREACH-00"), 9, "portreach-00"); err != nil {
		t.Errorf("upper case: %v", err)
	}
	for _, c := range []struct {
		name string
		id   uint16
		q    string
	}{{"other id", 10, "portreach-00"}, {"other name", 9, "portreach-01"}} {
		if _, err := llmnrMatch(r, c.id, c.q); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func FuzzLLMNRMatch(f *testing.F) {
	f.Add(llmnrReply(f, 0, "portreach-00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var id uint16
		if len(b) >= 2 {
			id = binary.BigEndian.Uint16(b) // reach the parser
		}
		fuzzDetail(t, func(b []byte) (Detail, error) { return llmnrMatch(b, id, "portreach-00") }, b)
	})
}
