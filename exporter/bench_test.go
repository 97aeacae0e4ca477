package exporter

import (
	"io"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portreach/portreach/results"
)

// BenchmarkRender1000Ports measures what renderCost reserves per port: building
// the series of a 1000-port probe and encoding them in the text format.
func BenchmarkRender1000Ports(b *testing.B) {
	addr := netip.MustParseAddr("198.18.0.2")
	check := &results.Check{Profiles: []string{"domain-controller"}, Expect: results.ExpectOpen}
	rs := make([]results.Result, 1000)
	for i := range rs {
		rs[i] = results.Result{Target: "dc01", Addr: addr, Proto: results.TCP, Port: uint16(40000 + i),
			State: results.Filtered, Check: check, RTT: time.Millisecond}
	}
	req := httptest.NewRequest("GET", "/probe", nil)
	for b.Loop() {
		reg, err := probeRegistry(rs, probeSummary{})
		if err != nil {
			b.Fatal(err)
		}
		w := httptest.NewRecorder()
		w.Body = nil
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(writerOnly{w, io.Discard}, req)
	}
}

type writerOnly struct {
	*httptest.ResponseRecorder
	w io.Writer
}

func (o writerOnly) Write(b []byte) (int, error) { return o.w.Write(b) }
