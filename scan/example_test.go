package scan_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

// A Scanner's zero value is ready: scan one open and one closed TCP port on loopback.
func ExampleScanner_Scan() {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	open := uint16(l.Addr().(*net.TCPAddr).Port)
	c, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := uint16(c.Addr().(*net.TCPAddr).Port)
	c.Close() // nothing listens there now

	lo := netip.MustParseAddr("127.0.0.1")
	plan := scan.Plan{
		Targets: slices.Values([]scan.Target{{Name: "localhost", Addr: lo}}),
		Ports:   []scan.Port{{Proto: results.TCP, Lo: open}, {Proto: results.TCP, Lo: closed}},
	}
	var got []results.Result
	var s scan.Scanner
	if err := s.Scan(context.Background(), plan, func(r results.Result) { got = append(got, r) }); err != nil {
		fmt.Println(err)
	}
	results.Sort(got)
	for _, r := range got {
		fmt.Println(r.Port == open, r.State, r.Reason)
	}
	// Unordered output:
	// true open syn-ack
	// false closed conn-refused
}
