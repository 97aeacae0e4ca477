//go:build linux

package scan

import (
	"strings"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// TestMSMQPingIntegration: the MSMQ ping probe against the [MS-MQQB] stand-in on
// 3527/udp reports the queue manager's GUID; a host without it is closed.
func TestMSMQPingIntegration(t *testing.T) {
	h := testnet.NewHost(t)
	qm := [16]byte{0xba, 0x28, 0x4e, 0x1b, 0xa1, 0x2f, 0xd2, 0x11, 0x88, 0x3f, 0x00, 0x16, 0xd3, 0xcc, 0xa4, 0x27}
	testnet.StartMSMQPing(t, h, qm)
	got := scanDaemon(t, nil, h.Addr, udpPort(3527, ""))
	r := expectResult(t, got, results.UDP, 3527, "msmq", "", results.Open)
	d, ok := r.Details.(*probes.MSMQDetail)
	if !ok || d.Refuse || !strings.Contains(r.Detail, "1b4e28ba-2fa1-11d2-883f-0016d3cca427") {
		t.Errorf("detail %q (%#v), want the stand-in's queue manager GUID", r.Detail, r.Details)
	}

	bare := testnet.NewHost(t)
	got = scanDaemon(t, nil, bare.Addr, udpPort(3527, ""))
	expectResult(t, got, results.UDP, 3527, "msmq", "", results.Closed)
}
