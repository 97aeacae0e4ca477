package probes

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// msmqVectorRnd draws the protocols.md §9 example: cookie 0x12345678, QMGuid 16 x 11.
var msmqVectorRnd = append([]byte{0x78, 0x56, 0x34, 0x12}, bytes.Repeat([]byte{0x11}, 16)...)

func TestMSMQRequestBytes(t *testing.T) {
	q, err := MSMQ.New(bytes.NewReader(msmqVectorRnd), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "000048557856341211111111111111111111111111111111"
	if p := q.Packets(); len(p) != 1 || hex.EncodeToString(p[0]) != want {
		t.Fatalf("request %x, want %s", p, want)
	}
	if _, err := MSMQ.New(bytes.NewReader(msmqVectorRnd[:10]), Options{}); err == nil {
		t.Error("short random source: no error")
	}
	if MSMQ.Silence == "" {
		t.Error("MSMQ must explain why 3527 is usually silent")
	}
}

func TestMSMQSpecReply(t *testing.T) {
	q, _ := MSMQ.New(bytes.NewReader(msmqVectorRnd), Options{})
	reply := capture(t, "msmq_spec_reply.hex")
	d, err := q.Match(reply)
	if err != nil {
		t.Fatal(err)
	}
	md := d.(*MSMQDetail)
	if md.QMGuid.String() != "1b4e28ba-2fa1-11d2-883f-0016d3cca427" || md.Refuse || md.Flags != 0 {
		t.Errorf("detail %+v", md)
	}
	if s := d.Summary(); s != "QM {1b4e28ba-2fa1-11d2-883f-0016d3cca427}" {
		t.Errorf("summary %q", s)
	}
	refuse := append([]byte{}, reply...)
	refuse[0] = 0x02
	d, err = q.Match(refuse)
	if err != nil || !d.(*MSMQDetail).Refuse || d.Summary() != "QM {1b4e28ba-2fa1-11d2-883f-0016d3cca427}, refusing sessions" {
		t.Errorf("RF set: %v %v", d, err)
	}
}

func TestMSMQMatchRejects(t *testing.T) {
	q, _ := MSMQ.New(bytes.NewReader(msmqVectorRnd), Options{})
	reply := capture(t, "msmq_spec_reply.hex")
	wrongCookie := append([]byte{}, reply...)
	wrongCookie[7] ^= 0x80
	wrongSig := append([]byte{}, reply...)
	wrongSig[3] = 0x56
	for name, r := range map[string][]byte{
		"wrong cookie":          wrongCookie,
		"wrong signature":       wrongSig,
		"our request reflected": q.Packets()[0],
		"empty":                 nil,
	} {
		if _, err := q.Match(r); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: err %v, want ErrNotMine", name, err)
		}
	}
	for n := range reply {
		if d, err := q.Match(reply[:n]); err == nil {
			t.Fatalf("cut to %d bytes: accepted as %v", n, d)
		}
	}
}

func FuzzMSMQMatch(f *testing.F) {
	f.Add(capture(f, "msmq_spec_reply.hex"))
	f.Fuzz(func(t *testing.T, reply []byte) {
		q, _ := MSMQ.New(bytes.NewReader(msmqVectorRnd), Options{})
		d, err := q.Match(reply)
		if err != nil {
			return
		}
		if !bytes.Equal(reply[4:8], msmqVectorRnd[:4]) || d.Summary() == "" {
			t.Fatalf("accepted %x", reply)
		}
	})
}
