package probes

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strings"
	"time"
)

// NTP sends an NTPv4 client request (RFC 5905 §7.3, mode 3) whose only non-zero
// field besides the first byte is a random transmit timestamp. A server copies it
// into the origin timestamp of its reply (§8, "origin timestamp"), which is the
// check against stale or spoofed replies that RFC 5905 itself relies on. Windows
// w32time answers on domain controllers; members normally do not. Control (mode 6)
// and private (mode 7, monlist) requests are never sent: they are amplification
// vectors that IDSs flag.
var NTP = &Probe{
	Name:   "ntp",
	Ports:  []uint16{123},
	New:    newNTPQuery,
	Detail: (*NTPDetail)(nil),
	Drift: []DriftField{
		{Path: "stratum", Meaning: "stratum 16 means unsynchronised (RFC 5905 7.3): clients will not use the server"},
		{Path: "leap", Meaning: "leap 3 means the clock is not synchronised (RFC 5905 7.3)"},
	},
}

const (
	ntpPacketLen = 48 // header without extension fields or MAC, RFC 5905 §7.3
	// ntpClientV4 is LI 0, VN 4, Mode 3 (client).
	ntpClientV4 = 0<<6 | 4<<3 | 3
	// ntpEraSeconds is the length of one NTP era (2^32 s, RFC 5905 §6).
	ntpEraSeconds = 1 << 32
)

// ntpEpoch is the NTP prime epoch, 1900-01-01 00:00 UTC (RFC 5905 §6).
var ntpEpoch = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// NTPDetail is what an NTP server's reply says.
type NTPDetail struct {
	// Leap is the leap indicator: 0 none, 1 last minute has 61 s, 2 last minute
	// has 59 s, 3 the server clock is unsynchronised (RFC 5905 §7.3).
	Leap int `json:"leap"`
	// Version is the reply's version number (servers answer with the request's, 4).
	Version int `json:"version"`
	// Stratum is 1 for a server with a reference clock, 2–15 for one synchronised
	// to another server, 16 (or 0 without a kiss code) for an unsynchronised one.
	Stratum int `json:"stratum"`
	// RefID names the server's reference: four ASCII characters at stratum 0–1
	// ("GPS", "LOCL", a kiss code), an upstream IPv4 address at stratum 2 and above
	// (for an IPv6 upstream these are the first bytes of a hash of its address).
	RefID string `json:"refid"`
	// KissCode is set on a Kiss-o'-Death reply (stratum 0): "RATE" (we asked too
	// often), "DENY" / "RSTR" (access refused), … (RFC 5905 §7.4).
	KissCode string `json:"kiss_code,omitempty"`
	// ServerTime is the server's transmit timestamp.
	ServerTime time.Time `json:"server_time,omitzero"`
	// OffsetSeconds is ServerTime minus our clock when the reply was matched, an
	// upper bound on the offset that includes the one-way delay; positive means
	// the server is ahead. Not set on a Kiss-o'-Death reply, whose times are not
	// to be trusted.
	OffsetSeconds float64 `json:"offset_seconds,omitzero"`
}

// Summary reads `stratum 10, refid 127.127.1.1, offset +0.002s` or
// `Kiss-o'-Death RATE`.
func (d *NTPDetail) Summary() string {
	if d.KissCode != "" {
		return "Kiss-o'-Death " + d.KissCode
	}
	var b strings.Builder
	fmt.Fprintf(&b, "stratum %d", d.Stratum)
	if d.RefID != "" {
		fmt.Fprintf(&b, ", refid %s", d.RefID)
	}
	if d.Leap == 3 || d.Stratum == 0 || d.Stratum >= 16 {
		b.WriteString(", unsynchronised")
	}
	off := math.Round(d.OffsetSeconds*1000) / 1000
	if off == 0 {
		off = 0 // no "-0.000s"
	}
	fmt.Fprintf(&b, ", offset %+.3fs", off)
	return b.String()
}

type ntpQuery struct {
	req []byte
	xmt []byte           // our transmit timestamp, aliasing req[40:48]
	now func() time.Time // our clock for the offset; time.Now outside tests
}

func newNTPQuery(rnd io.Reader, _ Options) (Query, error) {
	req := make([]byte, ntpPacketLen)
	req[0] = ntpClientV4
	xmt := req[40:48]
	for ntpIsZero(xmt) {
		// A zero transmit timestamp would make the origin check vacuous (and
		// servers treat it as "unknown", RFC 5905 §8), so draw until it is not.
		if _, err := io.ReadFull(rnd, xmt); err != nil {
			return nil, fmt.Errorf("ntp: random transmit timestamp: %w", err)
		}
	}
	return &ntpQuery{req: req, xmt: xmt, now: time.Now}, nil
}

func ntpIsZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (q *ntpQuery) Packets() [][]byte { return [][]byte{q.req} }

// Match accepts a server (4) or broadcast (5) mode packet whose origin timestamp is
// our transmit timestamp. Extension fields and MACs after the 48-byte header are
// ignored.
func (q *ntpQuery) Match(reply []byte) (Detail, error) {
	if len(reply) < ntpPacketLen {
		return nil, ErrNotMine
	}
	mode := reply[0] & 7
	if mode != 4 && mode != 5 {
		return nil, ErrNotMine
	}
	if string(reply[24:32]) != string(q.xmt) {
		return nil, ErrNotMine
	}
	d := &NTPDetail{
		Leap:    int(reply[0] >> 6),
		Version: int(reply[0] >> 3 & 7),
		Stratum: int(reply[1]),
	}
	refid := reply[12:16]
	switch {
	case d.Stratum == 0:
		if code := ntpASCII(refid); code != "" {
			d.KissCode = code
			d.RefID = code
			return d, nil
		}
	case d.Stratum == 1:
		d.RefID = ntpASCII(refid)
	default:
		d.RefID = netip.AddrFrom4([4]byte(refid)).String()
	}
	d.ServerTime = ntpTime(reply[40:48], q.now())
	d.OffsetSeconds = d.ServerTime.Sub(q.now()).Seconds()
	return d, nil
}

// ntpASCII returns the refid as text if it is 1–4 printable ASCII characters
// padded with NULs (RFC 5905 §7.3, "Reference ID"), else "".
func ntpASCII(b []byte) string {
	s := strings.TrimRight(string(b), "\x00")
	if s == "" {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return ""
		}
	}
	return s
}

// ntpTime converts a 64-bit NTP timestamp to a time, choosing the era (RFC 5905
// §6) that puts it nearest to near, so servers keep working past 2036.
func ntpTime(b []byte, near time.Time) time.Time {
	sec := int64(binary.BigEndian.Uint32(b[0:4]))
	frac := int64(binary.BigEndian.Uint32(b[4:8]))
	nearSec := near.Unix() - ntpEpoch.Unix()
	era := int64(math.Round(float64(nearSec-sec) / ntpEraSeconds))
	unix := ntpEpoch.Unix() + era*ntpEraSeconds + sec
	return time.Unix(unix, frac*1e9>>32).UTC()
}
