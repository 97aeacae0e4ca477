package exporter

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/portreach/portreach/internal/testnet"
)

// scraped is one HTTP answer, parsed with Prometheus's own text parser when it
// is a 200.
type scraped struct {
	status int
	body   string
	fams   map[string]*dto.MetricFamily
}

// get requests path on srv, with the scrape timeout header when timeout is set.
func get(t *testing.T, ctx context.Context, srv *httptest.Server, path, timeout string) scraped {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if timeout != "" {
		req.Header.Set(ScrapeTimeoutHeader, timeout)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	s := scraped{status: resp.StatusCode, body: string(b)}
	if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		p := expfmt.NewTextParser(model.LegacyValidation)
		if s.fams, err = p.TextToMetricFamilies(strings.NewReader(s.body)); err != nil {
			t.Fatalf("%s: not the Prometheus text format: %v\n%s", path, err, s.body)
		}
	}
	return s
}

// series returns the values of name's series whose labels include want.
func (s scraped) series(name string, want map[string]string) []float64 {
	var out []float64
	f := s.fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			out = append(out, m.GetGauge().GetValue())
		case m.Counter != nil:
			out = append(out, m.GetCounter().GetValue())
		case m.Untyped != nil:
			out = append(out, m.GetUntyped().GetValue())
		}
	}
	return out
}

// value is the one series of name with labels want; it fails the test unless
// exactly one matches.
func (s scraped) value(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	vs := s.series(name, want)
	if len(vs) != 1 {
		t.Fatalf("%s%v: %d series, want 1\n%s", name, want, len(vs), s.body)
	}
	return vs[0]
}

// listenTCP accepts and closes connections on 127.0.0.1 until the test ends.
func listenTCP(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// closedTCP returns a loopback port nothing listens on, held until the test ends.
func closedTCP(t *testing.T) uint16 { return testnet.ClosedTCPPort(t) }

// silentUDP reads datagrams on 127.0.0.1 and never answers: a port that a
// scanner can only call open|filtered after waiting out its timeout and retries.
func silentUDP(t *testing.T) uint16 {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return uint16(pc.LocalAddr().(*net.UDPAddr).Port)
}

// dnsServer answers A questions on loopback from a script: the n-th question
// for a name gets answers[min(n, len-1)], so a test can change a name's address
// between lookups the way a DNS rebinding attacker would.
type dnsServer struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr // name (FQDN) → answers by question number
	asked   map[string]int
	queries atomic.Int64
	addr    string
}

func startDNS(t *testing.T, answers map[string][][]netip.Addr) (*dnsServer, *net.Resolver) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	d := &dnsServer{answers: answers, asked: map[string]int{}, addr: pc.LocalAddr().String()}
	go d.serve(pc)
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "udp4", d.addr)
	}}
	return d, res
}

// lookups is how many A questions name has had.
func (d *dnsServer) lookups(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.asked[name]
}

func (d *dnsServer) serve(pc net.PacketConn) {
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
			continue // a server that never answers: lookups wait out their context
		}
		m.Header.Response, m.Header.Authoritative, m.Header.RCode = true, true, dnsmessage.RCodeSuccess
		d.mu.Lock()
		script, known := d.answers[name]
		if !known {
			m.Header.RCode = dnsmessage.RCodeNameError
		}
		if known && q.Type == dnsmessage.TypeA {
			i := min(d.asked[name], len(script)-1)
			d.asked[name]++
			for _, a := range script[i] {
				m.Answers = append(m.Answers, dnsmessage.Resource{
					Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 0},
					Body:   &dnsmessage.AResource{A: a.As4()},
				})
			}
		}
		d.mu.Unlock()
		if b, err := m.Pack(); err == nil {
			pc.WriteTo(b, from)
		}
	}
}
