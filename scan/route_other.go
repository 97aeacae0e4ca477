//go:build !linux

package scan

import "net/netip"

// routeSource returns the local address the system would send to addr from
// (src, when valid), or why it would not send there.
func routeSource(addr, src netip.Addr) (netip.Addr, error) { return routeSourceDial(addr, src) }
