package probes

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func radiusSeqAuth() (a [16]byte) {
	for i := range a {
		a[i] = byte(i)
	}
	return a
}

// TestRADIUSRequestBytes checks the Access-Request against the dump in protocols.md §9.
func TestRADIUSRequestBytes(t *testing.T) {
	got := radiusAccessRequest(0x2a, radiusSeqAuth(), "probe")
	want := ikeMustHex(t, "01 2a 00 1b 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 01 07 70 72 6f 62 65")
	if !bytes.Equal(got, want) {
		t.Fatalf("Access-Request\n got %x\nwant %x", got, want)
	}
}

// TestRADIUSStatusServerBytes checks the Status-Server layout of RFC 5997 §3 and
// its Message-Authenticator against the one FreeRADIUS accepted (see
// testdata/radius-acct_freeradius_response.hex).
func TestRADIUSStatusServerBytes(t *testing.T) {
	var auth [16]byte
	copy(auth[:], ikeMustHex(t, "2df8b68efa9346eb78fd2f4f2f766494"))
	got := radiusStatusServer(0x4d, auth, []byte("testing123"))
	want := ikeMustHex(t, "0c4d00262df8b68efa9346eb78fd2f4f2f7664945012873620603a697c2d0a0e2b8998749994")
	if !bytes.Equal(got, want) {
		t.Fatalf("Status-Server\n got %x\nwant %x", got, want)
	}
	// The probe's own, keyed with nothing: same layout, HMAC-MD5 with an empty key.
	got = radiusStatusServer(0x4d, auth, nil)
	zero := append(append([]byte(nil), got[:22]...), make([]byte, 16)...)
	m := hmac.New(md5.New, nil)
	m.Write(zero)
	if !bytes.Equal(got[22:], m.Sum(nil)) {
		t.Fatalf("Message-Authenticator %x", got[22:])
	}
}

func TestRADIUSNew(t *testing.T) {
	seq := append([]byte{0x42}, bytes.Repeat([]byte{7}, 16)...)
	q, err := RADIUS.New(bytes.NewReader(seq), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var auth [16]byte
	copy(auth[:], seq[1:])
	if want := radiusAccessRequest(0x42, auth, radiusUserName); !bytes.Equal(q.Packets()[0], want) {
		t.Fatalf("got %x\nwant %x", q.Packets()[0], want)
	}
	q, err = RADIUSAcct.New(bytes.NewReader(seq), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := radiusStatusServer(0x42, auth, nil); !bytes.Equal(q.Packets()[0], want) {
		t.Fatalf("got %x\nwant %x", q.Packets()[0], want)
	}
	for _, p := range []*Probe{RADIUS, RADIUSAcct} {
		if _, err := p.New(bytes.NewReader(seq[:5]), Options{}); err == nil {
			t.Errorf("%s: short random source: no error", p.Name)
		}
		if p.Silence == "" {
			t.Errorf("%s: silence is the expected outcome and needs its explanation", p.Name)
		}
	}
	// FreeRADIUS delays Access-Reject by reject_delay = 1 s (the capture below
	// arrived that late); the scanner must wait longer than that.
	if RADIUS.MinWait <= time.Second {
		t.Errorf("MinWait %v does not outlast a 1 s reject delay", RADIUS.MinWait)
	}
}

func TestRADIUSMatchCaptures(t *testing.T) {
	for _, c := range []struct {
		probe   *Probe
		file    string
		summary string
		code    byte
	}{
		{RADIUS, "radius_freeradius_reject.hex", "Access-Reject", 3},
		{RADIUSAcct, "radius-acct_freeradius_response.hex", "Accounting-Response", 5},
	} {
		t.Run(c.file, func(t *testing.T) {
			reply := capture(t, c.file)
			seq := append([]byte{reply[1]}, make([]byte, 16)...)
			q, err := c.probe.New(bytes.NewReader(seq), Options{})
			if err != nil {
				t.Fatal(err)
			}
			det, err := q.Match(reply)
			if err != nil {
				t.Fatal(err)
			}
			d := det.(*RADIUSDetail)
			if d.Summary() != c.summary || d.Code != c.code || d.Identifier != reply[1] || !d.Unverified {
				js, _ := json.Marshal(d)
				t.Errorf("summary %q, details %s", d.Summary(), js)
			}
			seq[0]++
			other, _ := c.probe.New(bytes.NewReader(seq), Options{})
			if _, err := other.Match(reply); !errors.Is(err, ErrNotMine) {
				t.Errorf("other Identifier: %v, want ErrNotMine", err)
			}
			for i := range reply {
				if d, err := q.Match(reply[:i]); err == nil {
					t.Fatalf("truncated to %d bytes: accepted %+v", i, d)
				}
			}
		})
	}
}

func TestRADIUSRejects(t *testing.T) {
	q, err := RADIUS.New(bytes.NewReader(make([]byte, 17)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Our own request reflected: code 1 is a request, not an answer.
	if _, err := q.Match(q.Packets()[0]); !errors.Is(err, ErrNotMine) {
		t.Errorf("reflected request: %v", err)
	}
	reject := capture(t, "radius_freeradius_reject.hex")
	reject[1] = 0
	// An Accounting-Response does not answer an Access-Request.
	acct := append([]byte(nil), reject...)
	acct[0] = radiusAccountingResponse
	if _, err := q.Match(acct); !errors.Is(err, ErrNotMine) {
		t.Errorf("Accounting-Response to Access-Request: %v", err)
	}
	// Attributes: a Reply-Message and a Message-Authenticator, then padding
	// past Length, which RFC 2865 §3 says to ignore.
	msg := append(append([]byte(nil), reject...), radiusAttrReplyMessage, 8, 'D', 'e', 'n', 'i', 'e', 'd')
	msg = append(msg, radiusAttrMsgAuth, 18)
	msg = append(msg, make([]byte, 16)...)
	msg[3] = byte(len(msg))
	msg = append(msg, 0xff, 0xff, 0xff)
	det, err := q.Match(msg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := det.Summary(), `Access-Reject, "Denied", Message-Authenticator`; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	// An attribute that overruns Length is an error.
	bad := append([]byte(nil), msg...)
	bad[21] = 40
	if _, err := q.Match(bad); err == nil || errors.Is(err, ErrNotMine) {
		t.Errorf("overrunning attribute: %v, want a parse error", err)
	}
}

func FuzzRADIUSMatch(f *testing.F) {
	f.Add(capture(f, "radius_freeradius_reject.hex"))
	f.Add(capture(f, "radius-acct_freeradius_response.hex"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 2 {
			return
		}
		for _, codes := range [][]byte{{2, 3, 11}, {5}} {
			q := &radiusQuery{id: b[1], codes: codes}
			d, err := q.Match(b)
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
