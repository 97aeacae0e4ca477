package exporter

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/portreach/portreach/internal/testdns"
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
func get(t testing.TB, ctx context.Context, srv *httptest.Server, path, timeout string) scraped {
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

// startDNS serves answers on loopback (testdns.Start).
func startDNS(t *testing.T, answers map[string][][]netip.Addr) (*testdns.Server, *net.Resolver) {
	t.Helper()
	return testdns.Start(t, answers)
}
