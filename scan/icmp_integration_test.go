//go:build linux

package scan

import (
	"net/netip"
	"testing"

	"github.com/portreach/portreach/results"
)

// An ICMP reject of a TCP connect reads as what it is, with who sent it, in
// IPv4 and IPv6: admin-prohibited from r2 (a router on the way), and from the
// host's own firewall. connect(2) alone says EHOSTUNREACH for the first
// (host-unreachable) and, for ICMPv6, EACCES (which reads as this machine's
// own firewall) or nothing at all; the epoll poller reads the error queue
// (IP_RECVERR). The portable poller, a net.Dialer, cannot.
func TestICMPRejectNamed(t *testing.T) {
	if usePortable {
		t.Skip("the portable poller's dialer keeps no error queue")
	}
	c := traceChain(t)
	c.Dest.NFT(t, `table inet g {
	chain input {
		type filter hook input priority 0;
		tcp dport 84 reject with icmpx admin-prohibited
	}
}`)
	for _, dst := range []netip.Addr{c.Dest.Addr, c.Dest.Addr6} {
		got := traceScanWith(t, &Scanner{}, dst, tcpEntry(82, 0), tcpEntry(84, 0))
		r2 := routerAddr(c.Routers[1], dst)
		for port, want := range map[string]string{
			"82/tcp": "ICMP from " + r2.String() + ", a router on the way, not the host",
			"84/tcp": "ICMP from the host itself",
		} {
			r := got[port]
			if r.State != results.Filtered || r.Reason != results.ReasonAdminProhibited || r.Detail != want || r.Attempts != 1 {
				t.Errorf("%s %s: %s %s %q (%d attempts), want filtered admin-prohibited %q at the first attempt",
					dst, port, r.State, r.Reason, r.Detail, r.Attempts, want)
			}
		}
	}
}
