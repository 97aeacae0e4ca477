// Package listeners reads this machine's own socket table: the TCP ports it
// listens on and the UDP ports it has bound, each with the process that owns
// it. It answers, on the server itself, what a remote scan cannot: whether a
// service is listening at all ("service not started") or listening and kept
// out by a firewall.
//
// On Linux the tables come from /proc/net/{tcp,tcp6,udp,udp6} and the owners
// from the socket inodes in /proc/PID/fd; on Windows from the IP Helper API
// (GetExtendedTcpTable, GetExtendedUdpTable) and a Toolhelp process snapshot.
// The decoding of both is in pure functions (ParseProcNet, ParseTCPTable,
// ParseUDPTable), tested on any system.
package listeners

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/portreach/portreach/results"
)

// Socket is one listening TCP socket or one bound, unconnected UDP socket.
type Socket struct {
	Proto results.Proto  // results.TCP or results.UDP
	Addr  netip.AddrPort // local address and port; an unspecified address means every interface
	// PID is the owning process; 0 when it could not be told: see Hidden.
	PID int
	// Process is the owner's executable name ("sshd", "w3wp.exe"); "" when unknown.
	Process string
	// Hidden is set on a socket without a PID when some processes' sockets
	// could not be read (Linux: /proc/PID/fd refused: another user's, or,
	// even for root, a process of another user namespace or one a security
	// module guards): its owner may be one of them. A socket with neither
	// PID nor Hidden is held by no process this one can see: a socket of
	// the kernel's own (nfsd, lockd, a VXLAN or WireGuard device), or of a
	// process in another PID namespace.
	Hidden bool
	inode  uint64 // Linux: the socket's inode, to find its owner
}

// Read returns this machine's listening TCP sockets and bound UDP sockets,
// sorted by protocol, port and address. Sockets whose owner cannot be told are
// returned with PID 0; an error means a table could not be read at all.
func Read() ([]Socket, error) {
	ss, err := read()
	if err != nil {
		return nil, err
	}
	sortSockets(ss)
	return ss, nil
}

func sortSockets(ss []Socket) { slices.SortFunc(ss, compareSockets) }

func compareSockets(a, b Socket) int {
	if c := cmp.Compare(a.Proto, b.Proto); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Addr.Port(), b.Addr.Port()); c != 0 {
		return c
	}
	if c := a.Addr.Addr().Compare(b.Addr.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.PID, b.PID)
}
