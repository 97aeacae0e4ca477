//go:build !linux

package scan

import (
	"net"
	"net/netip"
)

func newPoller(d net.Dialer, _ netip.Addr) poller { return newDialPoller(d) }
