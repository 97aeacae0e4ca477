//go:build !linux && !windows

package scan

import (
	"errors"
	"net/netip"

	"github.com/portreach/portreach/probes"
)

func (r *run) newHopProber(netip.Addr, netip.AddrPort, bool, *probes.Probe) (hopProber, error) {
	return nil, errors.New("tracing is not supported on this system")
}

func traceSupport() error {
	return errors.New("tracing without privileges needs Linux: here the ICMP errors a trace reads need raw sockets (Administrator, root)")
}
