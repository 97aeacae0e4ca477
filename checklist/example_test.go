package checklist_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/portreach/portreach/checklist"
	"github.com/portreach/portreach/results"
)

// A request as "portreach scan -p T:80,443,U:53 --expect open --exclude
// 198.18.0.1 198.18.0.0/30" makes it: one item, its ports checked on every
// target left after the exclusion.
func ExampleBuild() {
	ports, err := results.ParsePortList("T:80,443,U:53")
	if err != nil {
		panic(err)
	}
	pl, err := checklist.Build(context.Background(), checklist.Request{
		MaxHosts: 65536,
		Items: []checklist.Item{{
			Ports: ports, Expect: results.ExpectOpen, ExpectFrom: "--expect open",
			Targets: []string{"198.18.0.0/30"}, Exclude: []string{"198.18.0.1"},
		}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(pl.Hosts, "hosts,", pl.Ports, "ports")
	var addrs []string
	for t := range pl.Scan.Targets {
		addrs = append(addrs, t.Addr.String())
	}
	fmt.Println(strings.Join(addrs, " "))
	for _, p := range pl.Scan.Ports {
		fmt.Println(p.Proto, p.Lo, p.Check.Expect, p.Check.Purpose)
	}
	// Output:
	// 3 hosts, 9 ports
	// 198.18.0.0 198.18.0.2 198.18.0.3
	// tcp 80 open --expect open
	// tcp 443 open --expect open
	// udp 53 open --expect open
}
