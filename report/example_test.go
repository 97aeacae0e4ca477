package report_test

import (
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// A scan's results rendered for people, and the verdict the CLI's exit code
// follows.
func ExampleWriteTable() {
	dc := netip.MustParseAddr("198.18.1.10")
	kdc := &results.Check{
		Profiles: []string{"ad-dc"}, Service: "Kerberos KDC", Purpose: "authentication", Expect: results.ExpectOpen,
		Sources: []results.Source{{Document: "ad-ports.md", Section: "Table 1"}},
	}
	var rs []results.Result
	for p := uint16(50000); p < 50010; p++ {
		rs = append(rs, results.Result{Target: "dc01", Addr: dc, Proto: results.TCP, Port: p, State: results.Filtered, Reason: "no-response"})
	}
	rs = append(rs,
		results.Result{Target: "dc01", Addr: dc, Proto: results.UDP, Port: 53, State: results.Open, Reason: "udp-response",
			RTT: 800 * time.Microsecond, Probe: "dns", Detail: `NOERROR, version "9.18.49"`},
		results.Result{Target: "dc01", Addr: dc, Proto: results.TCP, Port: 88, State: results.Filtered, Reason: "no-response", Check: kdc},
	)
	report.WriteTable(os.Stdout, &results.Report{Results: rs}, report.TableOptions{})
	fmt.Println("failed:", len(results.Failed(rs)))
	// Output:
	// 198.18.1.10 (dc01)  FAIL  1 of 1 checks failed
	//   PORT             STATE     REASON            RTT     CHECK               DETAIL
	//   88/tcp           filtered  no-response       -       FAIL: must be open  Kerberos KDC [ad-dc]
	//                                                                            purpose: authentication
	//                                                                            source: ad-ports.md § Table 1
	//   50000-50009/tcp  filtered  no-response (10)  -
	//   53/udp           open      udp-response      0.80ms                      dns  NOERROR, version "9.18.49"
	//   12 ports: 1 open, 11 filtered
	//
	// FAIL: 1 of 1 checks failed on 1 of 1 host.
	// failed: 1
}
