//go:build linux

package testnet

import (
	"net"
	"net/netip"
	"testing"
)

// StartSQLBrowser answers [MC-SQLR] requests on UDP 1434 at h.Addr until the
// test ends. It runs in this process, on a socket created inside h's namespace.
func StartSQLBrowser(t testing.TB, h *Host, instances []SQLInstance) {
	t.Helper()
	var c *net.UDPConn
	err := h.inNetns(func() error {
		var err error
		c, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(h.Addr, 1434)))
		return err
	})
	if err != nil {
		t.Fatalf("testnet %s: SQL Browser stand-in: %v", h.Name, err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { c.Close(); <-done })
	go serveSQLBrowser(c, instances, done)
}
