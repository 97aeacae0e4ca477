// Package testdns is a DNS server on loopback for tests, answering A and AAAA
// questions from a script (and SRV questions, SetSRV), and a resolver that asks only it: tests resolve
// names (several addresses, addresses that change between lookups as in DNS
// rebinding, names that never answer) without touching the system's resolver
// or any other server.
package testdns

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// Server answers questions for the names of its script. It is safe for
// concurrent use.
type Server struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr // name (FQDN) → answers by question number
	srv     map[string][]srvTarget    // name (FQDN) → SRV records (SetSRV)
	asked   map[dnsmessage.Type]map[string]int
	addr    string
}

// Start serves answers until the test ends and returns a resolver that asks
// only this server. The n-th A question for a name gets the IPv4 addresses of
// answers[name][min(n, len-1)], the n-th AAAA question its IPv6 addresses, so
// that a test can change a name's addresses between lookups; a name outside
// the script is NXDOMAIN, and a name that begins with "silent." gets no answer
// at all (lookups wait out their context).
func Start(t testing.TB, answers map[string][][]netip.Addr) (*Server, *net.Resolver) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	d := &Server{answers: answers, asked: map[dnsmessage.Type]map[string]int{dnsmessage.TypeA: {}, dnsmessage.TypeAAAA: {}}, addr: pc.LocalAddr().String()}
	go d.serve(pc)
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "udp4", d.addr)
	}}
	return d, res
}

// srvTarget is one SRV record's port and target.
type srvTarget struct {
	port   uint16
	target string
}

// Addr is the server's address ("127.0.0.1:PORT"), for code that asks a DNS
// server of its own choosing.
func (d *Server) Addr() string { return d.addr }

// SetSRV makes name (an FQDN: "_ldap._tcp.dc._msdcs.lab.test.") answer SRV
// questions with one record per target (FQDNs), each on port, priority 0 and
// weight 100.
func (d *Server) SetSRV(name string, port uint16, targets ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.srv == nil {
		d.srv = map[string][]srvTarget{}
	}
	for _, t := range targets {
		d.srv[name] = append(d.srv[name], srvTarget{port, t})
	}
}

// Lookups is how many A questions name (an FQDN: "dc01.test.") has had.
func (d *Server) Lookups(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.asked[dnsmessage.TypeA][name]
}

func (d *Server) serve(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var m dnsmessage.Message
		if m.Unpack(buf[:n]) != nil || len(m.Questions) != 1 {
			continue
		}
		q := m.Questions[0]
		name := q.Name.String()
		if strings.HasPrefix(name, "silent.") {
			continue
		}
		m.Header.Response, m.Header.Authoritative, m.Header.RCode = true, true, dnsmessage.RCodeSuccess
		d.mu.Lock()
		script, known := d.answers[name]
		records, isSRV := d.srv[name]
		if !known && !isSRV {
			m.Header.RCode = dnsmessage.RCodeNameError
		}
		if q.Type == dnsmessage.TypeSRV {
			for _, r := range records {
				m.Answers = append(m.Answers, dnsmessage.Resource{
					Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeSRV, Class: dnsmessage.ClassINET, TTL: 0},
					Body:   &dnsmessage.SRVResource{Weight: 100, Port: r.port, Target: dnsmessage.MustNewName(r.target)},
				})
			}
		}
		if asked, ok := d.asked[q.Type]; known && ok {
			i := min(asked[name], len(script)-1)
			asked[name]++
			for _, a := range script[i] {
				h := dnsmessage.ResourceHeader{Name: q.Name, Type: q.Type, Class: dnsmessage.ClassINET, TTL: 0}
				switch {
				case q.Type == dnsmessage.TypeA && a.Is4():
					m.Answers = append(m.Answers, dnsmessage.Resource{Header: h, Body: &dnsmessage.AResource{A: a.As4()}})
				case q.Type == dnsmessage.TypeAAAA && a.Is6() && !a.Is4In6():
					m.Answers = append(m.Answers, dnsmessage.Resource{Header: h, Body: &dnsmessage.AAAAResource{AAAA: a.As16()}})
				}
			}
		}
		d.mu.Unlock()
		if b, err := m.Pack(); err == nil {
			pc.WriteTo(b, from)
		}
	}
}
