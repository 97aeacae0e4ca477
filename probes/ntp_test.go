package probes

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// ntpVectorXmt is the transmit timestamp of the protocols.md §7 dump, which the
// chrony captures were taken with (the ratelimit one with ...f5).
var ntpVectorXmt = []byte{0xc5, 0x4f, 0x23, 0x4b, 0x71, 0xb1, 0x52, 0xf3}

func newNTPTestQuery(t testing.TB, xmt []byte, now time.Time) *ntpQuery {
	t.Helper()
	q, err := NTP.New(bytes.NewReader(xmt), Options{})
	if err != nil {
		t.Fatal(err)
	}
	nq := q.(*ntpQuery)
	nq.now = func() time.Time { return now }
	return nq
}

func TestNTPRequestBytes(t *testing.T) {
	want := "23" + strings.Repeat("00", 39) + "c54f234b71b152f3"
	q := newNTPTestQuery(t, ntpVectorXmt, time.Time{})
	p := q.Packets()
	if len(p) != 1 || hex.EncodeToString(p[0]) != want {
		t.Fatalf("request %x, want %s", p, want)
	}
}

func TestNTPZeroTransmitRedrawn(t *testing.T) {
	rnd := append(make([]byte, 8), 1, 2, 3, 4, 5, 6, 7, 8)
	q := newNTPTestQuery(t, rnd, time.Time{})
	if got := hex.EncodeToString(q.Packets()[0][40:]); got != "0102030405060708" {
		t.Fatalf("transmit timestamp %s", got)
	}
	if _, err := NTP.New(bytes.NewReader(make([]byte, 8)), Options{}); err == nil {
		t.Fatal("random source of zeros only: no error")
	}
}

func TestNTPCaptured(t *testing.T) {
	for _, tc := range []struct {
		file       string
		xmt        string
		serverTime string
	}{
		{"ntp_chrony_local_stratum10.hex", "c54f234b71b152f3", "2026-11-23T17:44:29.038472Z"},
		{"ntp_chrony_ratelimit.hex", "c54f234b71b152f5", "2026-11-23T17:44:57.467468Z"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			reply := capture(t, tc.file)
			st, err := time.Parse(time.RFC3339Nano, tc.serverTime)
			if err != nil {
				t.Fatal(err)
			}
			q := newNTPTestQuery(t, unhex(t, tc.xmt), st.Add(-1500*time.Millisecond))
			d, err := q.Match(reply)
			if err != nil {
				t.Fatal(err)
			}
			got := d.(*NTPDetail)
			if got.Leap != 0 || got.Version != 4 || got.Stratum != 10 || got.RefID != "127.127.1.1" || got.KissCode != "" {
				t.Errorf("detail %+v", got)
			}
			if got.ServerTime.Sub(st).Abs() > time.Microsecond {
				t.Errorf("server time %v, want %v", got.ServerTime, st)
			}
			if got.OffsetSeconds < 1.4999 || got.OffsetSeconds > 1.5001 {
				t.Errorf("offset %v, want 1.5", got.OffsetSeconds)
			}
			if s := d.Summary(); s != "stratum 10, refid 127.127.1.1, offset +1.500s" {
				t.Errorf("summary %q", s)
			}
		})
	}
}

// Variants built from the chrony capture by editing header fields: chrony 4.3 sends
// no Kiss-o'-Death for rate limiting and the lab has no stratum-1 clock.
func TestNTPHeaderVariants(t *testing.T) {
	base := capture(t, "ntp_chrony_local_stratum10.hex")
	edit := func(f func(b []byte)) []byte {
		b := append([]byte{}, base...)
		f(b)
		return b
	}
	now := time.Date(2026, 11, 23, 17, 44, 29, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		reply   []byte
		summary string
		check   func(d *NTPDetail) bool
	}{
		{"kiss RATE", edit(func(b []byte) { b[1] = 0; copy(b[12:], "RATE") }), "Kiss-o'-Death RATE",
			func(d *NTPDetail) bool { return d.KissCode == "RATE" && d.ServerTime.IsZero() }},
		{"stratum 1 GPS", edit(func(b []byte) { b[1] = 1; copy(b[12:], "GPS\x00") }), "stratum 1, refid GPS, offset +0.038s",
			func(d *NTPDetail) bool { return d.RefID == "GPS" }},
		{"unsynchronised", edit(func(b []byte) { b[0] = 0xe4; b[1] = 0; copy(b[12:], "\x00\x00\x00\x00") }), "stratum 0, unsynchronised, offset +0.038s",
			func(d *NTPDetail) bool { return d.Leap == 3 && d.KissCode == "" }},
		{"offset rounds to zero", edit(func(b []byte) { copy(b[40:], []byte{0xee, 0xae, 0xf9, 0xfc, 0xff, 0xff, 0, 0}) }), "stratum 10, refid 127.127.1.1, offset +0.000s",
			func(d *NTPDetail) bool { return d.OffsetSeconds < 0 && d.OffsetSeconds > -0.001 }},
		{"v3 reply", edit(func(b []byte) { b[0] = 0x1c }), "stratum 10, refid 127.127.1.1, offset +0.038s",
			func(d *NTPDetail) bool { return d.Version == 3 }},
	} {
		q := newNTPTestQuery(t, ntpVectorXmt, now)
		d, err := q.Match(tc.reply)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d.Summary() != tc.summary || !tc.check(d.(*NTPDetail)) {
			t.Errorf("%s: %q %+v", tc.name, d.Summary(), d)
		}
	}
}

func TestNTPMatchRejects(t *testing.T) {
	base := capture(t, "ntp_chrony_local_stratum10.hex")
	q := newNTPTestQuery(t, ntpVectorXmt, time.Now())
	wrongOrigin := append([]byte{}, base...)
	wrongOrigin[31] ^= 1
	clientMode := append([]byte{}, base...)
	clientMode[0] = 0x23
	for name, reply := range map[string][]byte{
		"wrong origin":          wrongOrigin,
		"our request reflected": q.Packets()[0],
		"client mode":           clientMode,
		"empty":                 nil,
	} {
		if _, err := q.Match(reply); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: err %v, want ErrNotMine", name, err)
		}
	}
	for n := 0; n < len(base); n++ {
		if _, err := q.Match(base[:n]); err == nil {
			t.Fatalf("cut to %d bytes: accepted", n)
		}
	}
	// Extension fields after the header do not matter.
	if _, err := q.Match(append(append([]byte{}, base...), make([]byte, 20)...)); err != nil {
		t.Errorf("with trailing extension: %v", err)
	}
}

func TestNTPTimeEras(t *testing.T) {
	ts := []byte{0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x00} // era 1 starts 2036-02-07T06:28:16Z
	got := ntpTime(ts, time.Date(2036, 3, 1, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2036, 2, 7, 6, 28, 32, 500000000, time.UTC); !got.Equal(want) {
		t.Errorf("era 1: %v, want %v", got, want)
	}
	ts = []byte{0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0}
	got = ntpTime(ts, time.Date(2036, 3, 1, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2036, 2, 7, 6, 28, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("end of era 0: %v, want %v", got, want)
	}
}

func FuzzNTPMatch(f *testing.F) {
	f.Add(capture(f, "ntp_chrony_local_stratum10.hex"))
	f.Add(capture(f, "ntp_chrony_ratelimit.hex"))
	now := time.Date(2026, 11, 23, 17, 44, 29, 0, time.UTC)
	f.Fuzz(func(t *testing.T, reply []byte) {
		q := newNTPTestQuery(t, ntpVectorXmt, now)
		d, err := q.Match(reply)
		if err != nil {
			return
		}
		nd := d.(*NTPDetail)
		if !bytes.Equal(reply[24:32], ntpVectorXmt) || nd.Summary() == "" {
			t.Fatalf("accepted %x as %+v", reply, nd)
		}
	})
}
