//go:build !linux

package scan

import (
	"net"
	"net/netip"
)

// Elsewhere there is no portable way to read ICMP codes. A connected socket still
// learns port unreachable (as ECONNREFUSED, or WSAECONNRESET on Windows) but drops
// replies from other ports, so probes whose services answer from elsewhere use an
// unconnected socket and give up closed-port detection.
type plainUDP struct {
	conn      *net.UDPConn
	target    netip.AddrPort
	connected bool
}

func dialUDP(target netip.AddrPort, src netip.Addr, anySource bool) (udpSocket, error) {
	var c *net.UDPConn
	var err error
	if anySource {
		c, err = net.ListenUDP(udpNetwork(target), udpLocal(src))
	} else {
		c, err = net.DialUDP(udpNetwork(target), udpLocal(src), net.UDPAddrFromAddrPort(target))
	}
	if err != nil {
		return nil, err
	}
	udpControl(c)
	return &plainUDP{conn: c, target: target, connected: !anySource}, nil
}

func (u *plainUDP) send(b []byte) (*verdict, error) {
	if u.connected {
		_, err := u.conn.Write(b)
		return nil, err
	}
	_, err := u.conn.WriteToUDPAddrPort(b, u.target)
	return nil, err
}

func (u *plainUDP) close() error { return u.conn.Close() }

func (u *plainUDP) recv(buf []byte) (int, netip.AddrPort, *verdict, error) {
	n, from, err := u.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		return 0, netip.AddrPort{}, nil, err
	}
	return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), nil, nil
}
