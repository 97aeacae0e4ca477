//go:build linux

package testnet

import (
	"crypto/rand"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// SambaDNSUpdates is the smb.conf line that lets AddDNS change a test DC's
// internal DNS: unsigned dynamic updates (RFC 2136), which a production DC must
// never allow, but which need no Kerberos (samba-tool dns add takes seconds of
// Python start-up per record).
const SambaDNSUpdates = "allow dns updates = nonsecure"

// SRV is an SRV record (RFC 2782) for AddDNS: name (without the final dot)
// served by target on port, priority 0, weight 100.
func SRV(name string, port uint16, target string) dnsmessage.Resource {
	return dnsmessage.Resource{Header: rrHeader(name), Body: &dnsmessage.SRVResource{Weight: 100, Port: port, Target: dnsmessage.MustNewName(target + ".")}}
}

// A is an A record for AddDNS.
func A(name string, addr netip.Addr) dnsmessage.Resource {
	return dnsmessage.Resource{Header: rrHeader(name), Body: &dnsmessage.AResource{A: addr.As4()}}
}

func rrHeader(name string) dnsmessage.ResourceHeader {
	return dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name + "."), Class: dnsmessage.ClassINET, TTL: 900}
}

// AddDNS adds records to zone on the DC's internal DNS with one RFC 2136 UPDATE
// (the DC must run with SambaDNSUpdates). AD keeps a domain's locator records
// in two zones: the domain's (lab.example: _kerberos._tcp, _gc._tcp, hosts) and
// _msdcs.lab.example (_ldap._tcp.dc._msdcs, _ldap._tcp.pdc._msdcs).
func (dc *SambaDC) AddDNS(t testing.TB, zone string, rrs ...dnsmessage.Resource) {
	t.Helper()
	var id [2]byte
	_, _ = rand.Read(id[:])
	msg := dnsmessage.Message{
		Header: dnsmessage.Header{ID: binary.BigEndian.Uint16(id[:]), OpCode: 5}, // UPDATE
		// RFC 2136 §2.3: the zone section is one SOA "question"; the update
		// section goes where a query's authority section would.
		Questions:   []dnsmessage.Question{{Name: dnsmessage.MustNewName(zone + "."), Type: dnsmessage.TypeSOA, Class: dnsmessage.ClassINET}},
		Authorities: rrs,
	}
	b, err := msg.Pack()
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp4", netip.AddrPortFrom(dc.Addr, 53).String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 4096)
	for attempt := 0; ; attempt++ {
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			if attempt < 3 {
				continue
			}
			t.Fatalf("testnet: DNS update of %s on %s: %v", zone, dc.Addr, err)
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil || h.ID != msg.ID {
			continue
		}
		if h.RCode != dnsmessage.RCodeSuccess {
			var names []string
			for _, r := range rrs {
				names = append(names, r.Header.Name.String())
			}
			t.Fatalf("testnet: DNS update of %s on %s (%s): %s (is %q in smb.conf?)", zone, dc.Addr, strings.Join(names, ", "), h.RCode, SambaDNSUpdates)
		}
		return
	}
}

// ServeNTP answers NTP client requests (RFC 5905, mode 3) on 123/udp at h.Addr
// with a server reply whose clock is offset from this machine's, until the test
// ends: an NTP server that has drifted, beside a KDC that has not.
func ServeNTP(t testing.TB, h *Host, offset time.Duration) {
	t.Helper()
	ServeUDP(t, h, 123, func(req []byte) []byte { return NTPReply(req, offset) })
}

// NTPReply is an NTP server's reply (RFC 5905, mode 4) to a client request
// (mode 3) whose clock is offset from this machine's; nil for anything else.
func NTPReply(req []byte, offset time.Duration) []byte {
	if len(req) < 48 || req[0]&7 != 3 {
		return nil
	}
	b := make([]byte, 48)
	b[0], b[1], b[2], b[3] = 0<<6|4<<3|4, 3, 6, 0xec // LI 0, v4, server; stratum 3; poll 64s; precision
	copy(b[12:16], []byte{198, 18, 0, 1})            // refid: an upstream's IPv4 address
	copy(b[24:32], req[40:48])                       // origin: the client's transmit timestamp
	now := time.Now().Add(offset)
	ts := ntpTimestamp(now)
	binary.BigEndian.PutUint64(b[16:], ntpTimestamp(now.Add(-time.Minute))) // reference
	binary.BigEndian.PutUint64(b[32:], ts)                                  // receive
	binary.BigEndian.PutUint64(b[40:], ts)                                  // transmit
	return b
}

// ntpTimestamp is t in NTP's 64-bit format: seconds since 1900, then a binary
// fraction (RFC 5905 §6).
func ntpTimestamp(t time.Time) uint64 {
	sec := uint64(t.Unix() + 2208988800)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return sec<<32 | frac
}
