package scan

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/portreach/portreach/probes"
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

// BenchmarkConfirmEndlessReply measures one confirmation against a server whose
// SMTP greeting never ends ("220-" lines as fast as loopback takes them): what
// a hostile or broken service costs the scanner per connection (memory, CPU)
// before the reply's bound stops it. Each op is one confirmation, its connect
// included, on a run as Scan makes it.
func BenchmarkConfirmEndlessReply(b *testing.B) {
	port := fakeService(b, listen(b), func(c net.Conn) { endless(c, "", "220-endless\r\n") })
	eng := &Engine{Concurrency: 1}
	eng.init()
	r := &run{Scanner: &Scanner{Confirm: Confirm{Checked: true}}, timeout: 5 * time.Second, share: eng.slots.join(0)}
	r.bufs.New = func() any { b := make([]byte, 64*1024); return &b }
	h := &host{name: "127.0.0.1", addr: loopback}
	check := &results.Check{Service: "SMTP", Expect: results.ExpectOpen}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res := results.Result{Proto: results.TCP, Port: port, State: results.Open, Check: check}
		r.confirm(context.Background(), h, &res, probes.SMTP)
		if res.Probe != "smtp" {
			b.Fatalf("%+v", res)
		}
	}
}
