//go:build linux

package scan

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/results"
)

// TestDefaultsUnderLoss: with 10% loss each way and the default settings, every
// verdict of 226 ports is right, run after run. The host's own answers show the
// loss (ports answered only by a retry), and silent ports then get attempts
// enough that a port that does answer is almost never called filtered (issue 11,
// "Verdicts under packet loss"; nmap adapts its retries the same way).
func TestDefaultsUnderLoss(t *testing.T) {
	h := testnet.NewHost(t)
	var open []uint16
	for p := uint16(20001); p <= 20020; p++ {
		open = append(open, p)
	}
	startListener(t, h, open, []uint16{53})
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 20201-20220 drop
	}
}`)
	addLoss(t, h)
	ports, _ := ParsePorts("T:20001-20220,U:53-58")
	for i := range ports {
		if ports[i].Proto == results.UDP {
			ports[i].Probe = "dns"
		}
	}
	wants := map[string]want{}
	for p := 20001; p <= 20220; p++ {
		w := want{results.Closed, results.ReasonConnRefused}
		switch {
		case p <= 20020:
			w = want{results.Open, results.ReasonSynAck}
		case p > 20200:
			w = want{results.Filtered, results.ReasonNoResponse}
		}
		wants["tcp/"+strconv.Itoa(p)] = w
	}
	wants["udp/53"] = want{results.Open, results.ReasonUDPResponse}
	for p := 54; p <= 58; p++ {
		wants["udp/"+strconv.Itoa(p)] = want{results.Closed, results.ReasonPortUnreach}
	}
	for run := 1; run <= 3; run++ {
		t.Run(fmt.Sprint("run", run), func(t *testing.T) {
			got := scanHostPorts(t, &Scanner{}, h, ports)
			check(t, got, wants)
			attempts := 0
			for _, r := range got {
				attempts += r.Attempts
			}
			t.Logf("%d ports, %d attempts", len(got), attempts)
		})
	}
}
