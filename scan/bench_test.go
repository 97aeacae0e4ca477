package scan

import (
	"context"
	"slices"
	"testing"

	"github.com/portreach/portreach/results"
)

// BenchmarkTCPClosedPorts measures the connect-scan path on loopback: each op is
// 4096 closed ports (RST at once), so it shows the scanner's own CPU and memory
// cost per port.
func BenchmarkTCPClosedPorts(b *testing.B) {
	var ports []Port
	for range 4096 / 64 {
		// Ports bound and released: nothing listens on them.
		p := freeTCPPort(b)
		ports = append(ports, Port{Proto: results.TCP, Lo: p, Hi: p})
	}
	for len(ports) < 4096 {
		ports = append(ports, ports[len(ports)%64])
	}
	plan := Plan{Ports: ports}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		plan.Targets = slices.Values([]Target{{Name: "127.0.0.1", Addr: loopback}})
		n := 0
		_ = (&Scanner{}).Scan(context.Background(), plan, func(r results.Result) {
			if r.State != results.Closed {
				b.Fatalf("port %d: %s", r.Port, r.State)
			}
			n++
		})
		if n != len(ports) {
			b.Fatalf("%d results", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(ports)), "µs/port")
}
