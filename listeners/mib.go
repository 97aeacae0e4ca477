package listeners

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/portreach/portreach/results"
)

// The IP Helper tables, decoded from the bytes GetExtendedTcpTable and
// GetExtendedUdpTable write, laid out as Microsoft documents them (tcpmib.h,
// udpmib.h): a DWORD dwNumEntries, then the rows. Every member is a DWORD or a
// UCHAR array, so rows follow one another without padding. DWORDs are in the
// machine's byte order (little-endian on every Windows architecture) except
// where the documentation says "network byte order": addresses, and ports,
// which take the low two bytes of their DWORD, most significant first.
const (
	tcpRowSize  = 24 // MIB_TCPROW_OWNER_PID: dwState, dwLocalAddr, dwLocalPort, dwRemoteAddr, dwRemotePort, dwOwningPid
	tcp6RowSize = 56 // MIB_TCP6ROW_OWNER_PID: ucLocalAddr[16], dwLocalScopeId, dwLocalPort, ucRemoteAddr[16], dwRemoteScopeId, dwRemotePort, dwState, dwOwningPid
	udpRowSize  = 12 // MIB_UDPROW_OWNER_PID: dwLocalAddr, dwLocalPort, dwOwningPid
	udp6RowSize = 28 // MIB_UDP6ROW_OWNER_PID: ucLocalAddr[16], dwLocalScopeId, dwLocalPort, dwOwningPid

	mibTCPStateListen = 2 // MIB_TCP_STATE_LISTEN
)

// ParseTCPTable decodes a MIB_TCPTABLE_OWNER_PID (v6 false) or
// MIB_TCP6TABLE_OWNER_PID (v6 true) and returns its rows in LISTEN state
// (TCP_TABLE_OWNER_PID_LISTENER asks for only those; the state is checked anyway).
func ParseTCPTable(b []byte, v6 bool) ([]Socket, error) {
	size := tcpRowSize
	if v6 {
		size = tcp6RowSize
	}
	rows, err := mibRows(b, size)
	if err != nil {
		return nil, err
	}
	var out []Socket
	for _, r := range rows {
		var s Socket
		var state uint32
		if v6 {
			state = binary.LittleEndian.Uint32(r[48:])
			s = Socket{Addr: netip.AddrPortFrom(mibAddr6(r[0:16], r[16:20]), mibPort(r[20:24])), PID: int(binary.LittleEndian.Uint32(r[52:]))}
		} else {
			state = binary.LittleEndian.Uint32(r[0:])
			s = Socket{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte(r[4:8])), mibPort(r[8:12])), PID: int(binary.LittleEndian.Uint32(r[20:]))}
		}
		if state != mibTCPStateListen {
			continue
		}
		s.Proto = results.TCP
		out = append(out, s)
	}
	return out, nil
}

// ParseUDPTable decodes a MIB_UDPTABLE_OWNER_PID (v6 false) or
// MIB_UDP6TABLE_OWNER_PID (v6 true): every bound UDP socket.
func ParseUDPTable(b []byte, v6 bool) ([]Socket, error) {
	size := udpRowSize
	if v6 {
		size = udp6RowSize
	}
	rows, err := mibRows(b, size)
	if err != nil {
		return nil, err
	}
	out := make([]Socket, 0, len(rows))
	for _, r := range rows {
		s := Socket{Proto: results.UDP}
		if v6 {
			s.Addr = netip.AddrPortFrom(mibAddr6(r[0:16], r[16:20]), mibPort(r[20:24]))
			s.PID = int(binary.LittleEndian.Uint32(r[24:]))
		} else {
			s.Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte(r[0:4])), mibPort(r[4:8]))
			s.PID = int(binary.LittleEndian.Uint32(r[8:]))
		}
		out = append(out, s)
	}
	return out, nil
}

// mibRows splits a table into its rows, refusing a count the buffer cannot hold.
func mibRows(b []byte, size int) ([][]byte, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("listeners: table of %d bytes has no entry count", len(b))
	}
	n := binary.LittleEndian.Uint32(b)
	if uint64(n)*uint64(size) > uint64(len(b)-4) {
		return nil, fmt.Errorf("listeners: table says %d entries of %d bytes, but holds %d bytes", n, size, len(b)-4)
	}
	rows := make([][]byte, n)
	for i := range rows {
		rows[i] = b[4+i*size : 4+(i+1)*size]
	}
	return rows, nil
}

// mibPort reads a port: the low two bytes of the DWORD, in network byte order.
func mibPort(dw []byte) uint16 { return binary.BigEndian.Uint16(dw[0:2]) }

// mibAddr6 reads an IPv6 address and its scope ID (network byte order); a
// scope is kept only for link-local addresses, where it names the interface.
// IPv4-mapped addresses are unmapped.
func mibAddr6(addr, scope []byte) netip.Addr {
	a := netip.AddrFrom16([16]byte(addr))
	if z := binary.BigEndian.Uint32(scope); z != 0 && a.IsLinkLocalUnicast() {
		a = a.WithZone(fmt.Sprint(z))
	}
	return a.Unmap()
}
