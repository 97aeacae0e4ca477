package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestSimpleRequestBytes(t *testing.T) {
	got := simpleRequest([8]byte{1, 2, 3, 4, 5, 6, 7, 0xff})
	if want := []byte("portreach 01020304050607ff\r\n"); !bytes.Equal(got, want) {
		t.Fatalf("got %q want %q", got, want)
	}
	for _, p := range []*Probe{Echo, Discard, Daytime, QOTD, Chargen} {
		q, err := p.New(bytes.NewReader([]byte{1, 2, 3, 4, 5, 6, 7, 0xff}), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(q.Packets()[0], got) {
			t.Errorf("%s sends %q", p.Name, q.Packets()[0])
		}
		if _, err := p.New(bytes.NewReader(nil), Options{}); err == nil {
			t.Errorf("%s: no random source: no error", p.Name)
		}
	}
}

func TestSimpleMatchCaptures(t *testing.T) {
	echo := capture(t, "echo_inetd.hex")
	// The echo reply is our request; rebuild the query that sent it.
	q := &simpleQuery{service: "echo", packet: echo}
	det, err := q.Match(echo)
	if err != nil || det.Summary() != "echoed 28 bytes" {
		t.Fatalf("echo: %v %v", det, err)
	}
	other := &simpleQuery{service: "echo", packet: simpleRequest([8]byte{})}
	if _, err := other.Match(echo); !errors.Is(err, ErrNotMine) {
		t.Errorf("echo of another token: %v", err)
	}

	for _, c := range []struct {
		service, file, summary string
	}{
		{"daytime", "daytime_inetd.hex", `"Mon Nov 23 17:56:55 2026"`},
		{"chargen", "chargen_inetd.hex", "74 characters"},
	} {
		reply := capture(t, c.file)
		q := &simpleQuery{service: c.service, packet: simpleRequest([8]byte{})}
		det, err := q.Match(reply)
		if err != nil {
			t.Fatalf("%s: %v", c.service, err)
		}
		if det.Summary() != c.summary {
			t.Errorf("%s: summary %q, want %q", c.service, det.Summary(), c.summary)
		}
		// An echo service on this port would send our datagram back: not the
		// service we probe for.
		if _, err := q.Match(q.packet); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: reflected request: %v", c.service, err)
		}
		if _, err := q.Match(nil); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: empty datagram: %v", c.service, err)
		}
		if _, err := q.Match(append([]byte{0}, reply...)); err == nil || errors.Is(err, ErrNotMine) {
			t.Errorf("%s: binary reply: %v, want an error", c.service, err)
		}
		// Discard never answers; anything on its port is not its answer.
		if _, err := (&simpleQuery{service: "discard", packet: q.packet}).Match(reply); !errors.Is(err, ErrNotMine) {
			t.Errorf("discard matched %q", reply)
		}
	}

	// A quote: first non-empty line, no capture (no Debian daemon serves qotd).
	q = &simpleQuery{service: "qotd", packet: simpleRequest([8]byte{})}
	det, err = q.Match([]byte("\r\n\"Those who can, do.\"\r\n  -- anon\r\n"))
	if err != nil || det.Summary() != `"\"Those who can, do.\""` {
		t.Errorf("qotd: %v %v", det, err)
	}
}

func FuzzSimpleMatch(f *testing.F) {
	for _, name := range []string{"echo_inetd.hex", "daytime_inetd.hex", "chargen_inetd.hex"} {
		f.Add(capture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range []string{"echo", "discard", "daytime", "qotd", "chargen"} {
			q := &simpleQuery{service: s, packet: simpleRequest([8]byte{})}
			d, err := q.Match(b)
			if err != nil {
				if d != nil {
					t.Fatal("detail with error")
				}
				continue
			}
			if sd := d.(*SimpleDetail); len(sd.Text) > simpleMaxText || sd.Bytes != len(b) {
				t.Fatalf("%s: %+v", s, sd)
			}
			if _, err := json.Marshal(d); err != nil {
				t.Fatal(err)
			}
		}
	})
}
