package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestSSDPRequestBytes(t *testing.T) {
	q, err := SSDP.New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// protocols.md §9, SSDP.
	want := "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n"
	if p := q.Packets(); len(p) != 1 || string(p[0]) != want {
		t.Errorf("got %q\nwant %q", p, want)
	}
	if !SSDP.AnySource || SSDP.MinWait.Seconds() <= 1 {
		t.Errorf("SSDP needs AnySource and a MinWait above MX (1 s): %v %v", SSDP.AnySource, SSDP.MinWait)
	}
}

func TestSSDPCaptured(t *testing.T) {
	q := &ssdpQuery{}
	var d Detail
	var err error
	for _, r := range readHexReplies(t, "ssdp-minissdpd.hex") {
		if d, err = q.Match(r); err != nil {
			t.Fatalf("Match(%q): %v", r, err)
		}
	}
	want := &SSDPDetail{
		Server:   "Debian/12 UPnP/1.1 portreach-capture/1.0",
		Location: "http://127.0.0.1:49152/rootDesc.xml",
		USN:      "uuid:5c1e6f2a-1b1d-4c5e-9d8e-00163e5f2a01::upnp:rootdevice",
		ST:       "upnp:rootdevice",
		Services: []string{"upnp:rootdevice", "urn:schemas-upnp-org:device:InternetGatewayDevice:1"},
		Replies:  2,
	}
	got, _ := json.Marshal(d)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(got, wantJSON) {
		t.Errorf("detail\n got %s\nwant %s", got, wantJSON)
	}
	if s, want := d.Summary(), `"Debian/12 UPnP/1.1 portreach-capture/1.0" at http://127.0.0.1:49152/rootDesc.xml, 2 service types`; s != want {
		t.Errorf("Summary() = %q, want %q", s, want)
	}
}

func TestSSDPMatchEdges(t *testing.T) {
	captured := readHexReplies(t, "ssdp-minissdpd.hex")[0]
	for name, b := range map[string]string{
		"our M-SEARCH":   ssdpSearch,
		"NOTIFY":         "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nUSN: uuid:x\r\n\r\n",
		"not 200":        "HTTP/1.1 404 Not Found\r\nST: upnp:rootdevice\r\n\r\n",
		"200 without ST": "HTTP/1.1 200 OK\r\nSERVER: x\r\n\r\n",
		"empty":          "",
		"no line end":    "HTTP/1.1 200 OK",
		"DNS":            string(readHexReplies(t, "dns-bind9.hex")[0]),
	} {
		if d, err := (&ssdpQuery{}).Match([]byte(b)); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: Match = %v, %v; want ErrNotMine", name, d, err)
		}
	}
	// A real reply cut before the empty line that ends the headers: malformed.
	for _, n := range []int{20, len(captured) - 2} {
		if d, err := (&ssdpQuery{}).Match(captured[:n]); err == nil || errors.Is(err, ErrNotMine) {
			t.Errorf("truncated to %d: Match = %v, %v; want a parse error", n, d, err)
		}
	}
	// Bare LF line ends, lower-case names, a hostile SERVER value.
	long := strings.Repeat("A", 1000)
	d, err := (&ssdpQuery{}).Match([]byte("HTTP/1.1 200 OK\nst: ssdp:all\nserver: a\x1b[2Jb " + long + "\nlocation: http://x/\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	sd := d.(*SSDPDetail)
	if sd.ST != "ssdp:all" || sd.Location != "http://x/" || !strings.HasPrefix(sd.Server, "a?[2Jb AAA") || len(sd.Server) != ssdpMaxValue {
		t.Errorf("got %+v", sd)
	}
	// A header line without a colon is malformed.
	if _, err := (&ssdpQuery{}).Match([]byte("HTTP/1.1 200 OK\r\nST: x\r\ngarbage\r\n\r\n")); err == nil || errors.Is(err, ErrNotMine) {
		t.Errorf("header without colon: err %v", err)
	}
}

func TestSSDPServicesBounded(t *testing.T) {
	q := &ssdpQuery{}
	for i := range 100 {
		if _, err := q.Match([]byte("HTTP/1.1 200 OK\r\nST: urn:x:" + strings.Repeat("y", i) + "\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	d, _ := q.Match([]byte("HTTP/1.1 200 OK\r\nST: last\r\n\r\n"))
	if sd := d.(*SSDPDetail); len(sd.Services) != ssdpMaxServices || sd.Replies != 101 || sd.ST != "urn:x:" {
		t.Errorf("services %d replies %d st %q", len(sd.Services), sd.Replies, sd.ST)
	}
}

func FuzzSSDPMatch(f *testing.F) {
	for _, r := range readHexReplies(f, "ssdp-minissdpd.hex") {
		f.Add(r)
	}
	f.Add([]byte("HTTP/1.1 200 OK\nst: x\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := (&ssdpQuery{}).Match(b)
		if err != nil {
			if d != nil {
				t.Fatalf("Match returned a detail with error %v", err)
			}
			return
		}
		if !bytes.HasPrefix(b, []byte("HTTP/1.")) {
			t.Fatalf("Match accepted %q", b)
		}
		sd := d.(*SSDPDetail)
		for _, v := range []string{sd.Server, sd.Location, sd.USN, sd.ST} {
			if len(v) > ssdpMaxValue || strings.ContainsAny(v, "\r\n\x1b") {
				t.Fatalf("unsafe value %q", v)
			}
		}
		_ = d.Summary()
		if _, err := json.Marshal(d); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSSDPNeverComplete(t *testing.T) {
	q := &ssdpQuery{}
	var c Completer = q
	for _, r := range readHexReplies(t, "ssdp-minissdpd.hex") {
		if _, err := q.Match(r); err != nil || c.Complete() {
			t.Fatalf("err %v, complete %v: a search has no last reply", err, c.Complete())
		}
	}
}
