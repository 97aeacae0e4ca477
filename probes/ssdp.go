package probes

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SSDP sends a UPnP search (UPnP Device Architecture 1.1 §1.3.2, M-SEARCH with
// ST ssdp:all) to the target's port 1900 and reports the first device that
// answers: its SERVER string, description LOCATION, USN and search target.
//
// SSDP has no transaction ID, so a reply is recognised by its shape alone: an
// HTTP/1.x 200 status line with an ST or USN header (UDA 1.1 §1.3.3 requires
// both). Any device at the target address that answers a search passes, even one
// answering someone else's; that is the protocol's weakness, not the probe's.
//
// MX is 1: devices wait a random 0…MX seconds before answering (UDA §1.3.3) and
// drop a multicast-form search without MX, so the scanner waits longer than a
// second (MinWait). nmap's payload uses MX 5, which would make every scan slow.
// Replies may come from another source port, hence AnySource.
var SSDP = &Probe{
	Name:      "ssdp",
	Ports:     []uint16{1900},
	AnySource: true,
	MinWait:   1500 * time.Millisecond,
	Silence:   "Windows answers SSDP searches only while it hosts a UPnP device (SSDPSRV)",
	New:       newSSDPQuery,
	Detail:    (*SSDPDetail)(nil),
}

// ssdpSearch is the M-SEARCH of protocols.md §9. HOST names the multicast group
// even when sent unicast, which every responder accepts.
const ssdpSearch = "M-SEARCH * HTTP/1.1\r\n" +
	"HOST: 239.255.255.250:1900\r\n" +
	"MAN: \"ssdp:discover\"\r\n" +
	"MX: 1\r\n" +
	"ST: ssdp:all\r\n" +
	"\r\n"

// Bounds on what one SSDP detail keeps from untrusted replies.
const (
	ssdpMaxValue    = 256 // bytes per header value
	ssdpMaxServices = 32  // distinct ST values
)

// SSDPDetail is what the UPnP device(s) at the target said.
type SSDPDetail struct {
	// Server is the SERVER header of the first reply: "OS/version UPnP/1.1 product/version".
	Server string `json:"server,omitempty"`
	// Location is the URL of the first reply's device description; its port is
	// the device's HTTP port (often 2869 on Windows, 49152 on Linux stacks).
	Location string `json:"location,omitempty"`
	// USN is the first reply's unique service name ("uuid:…::urn:…").
	USN string `json:"usn,omitempty"`
	// ST is the first reply's search target.
	ST string `json:"st,omitempty"`
	// Services lists the distinct search targets of all replies (a device answers
	// ssdp:all once per device and service type), at most 32.
	Services []string `json:"services,omitempty"`
	// Replies counts the matching datagrams, retransmissions included.
	Replies int `json:"replies"`
}

// Summary is `"Linux/6.1 UPnP/1.1 MiniUPnPd/2.3.1" at http://…/rootDesc.xml`.
func (d *SSDPDetail) Summary() string {
	var parts []string
	if d.Server != "" {
		parts = append(parts, strconv.Quote(d.Server))
	}
	if d.Location != "" {
		parts = append(parts, "at "+d.Location)
	}
	if len(parts) == 0 {
		parts = append(parts, "UPnP "+d.ST)
	}
	s := strings.Join(parts, " ")
	if n := len(d.Services); n > 1 {
		s += fmt.Sprintf(", %d service types", n)
	}
	return s
}

// ssdpQuery is one search. It holds no ID: see SSDP.
type ssdpQuery struct {
	got SSDPDetail
}

func newSSDPQuery(io.Reader, Options) (Query, error) { return &ssdpQuery{}, nil }

func (q *ssdpQuery) Packets() [][]byte { return [][]byte{[]byte(ssdpSearch)} }

// Match accepts a search response (UDA 1.1 §1.3.3): status 200 and an ST or USN
// header. Each match returns the merged detail of every reply so far.
func (q *ssdpQuery) Match(reply []byte) (Detail, error) {
	status, rest, ok := ssdpLine(reply)
	if !ok || !bytes.HasPrefix(status, []byte("HTTP/1.")) {
		return nil, ErrNotMine // also drops NOTIFY and M-SEARCH from other hosts
	}
	if f := bytes.Fields(status); len(f) < 2 || string(f[1]) != "200" {
		return nil, ErrNotMine
	}
	var server, location, usn, st string
	var seen bool
	for {
		var line []byte
		line, rest, ok = ssdpLine(rest)
		if !ok {
			return nil, fmt.Errorf("ssdp: headers not ended by an empty line")
		}
		if len(line) == 0 {
			break
		}
		name, value, found := bytes.Cut(line, []byte(":"))
		if !found {
			return nil, fmt.Errorf("ssdp: header line without a colon")
		}
		v := sanitizeReplyText(bytes.TrimSpace(value), ssdpMaxValue)
		switch strings.ToUpper(string(bytes.TrimSpace(name))) {
		case "SERVER":
			server = v
		case "LOCATION":
			location = v
		case "USN":
			usn, seen = v, true
		case "ST":
			st, seen = v, true
		}
	}
	if !seen {
		return nil, ErrNotMine // a 200 from some HTTP-over-UDP service, not a search response
	}
	if q.got.Replies == 0 {
		q.got.Server, q.got.Location, q.got.USN, q.got.ST = server, location, usn, st
	}
	q.got.Replies++
	if st != "" && len(q.got.Services) < ssdpMaxServices && !slices.Contains(q.got.Services, st) {
		q.got.Services = append(q.got.Services, st)
	}
	d := q.got
	d.Services = append([]string(nil), q.got.Services...)
	return &d, nil
}

// ssdpLine splits off one header line, ended by CRLF or, leniently, LF.
func ssdpLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, nil, false
	}
	return bytes.TrimSuffix(b[:i], []byte("\r")), b[i+1:], true
}

// Complete is always false (see Completer): a search has no end marker, and every
// device and service type at the target answers on its own after a random delay
// of up to MX seconds, so the scanner collects until the attempt's wait ends.
func (q *ssdpQuery) Complete() bool { return false }
