//go:build linux

package testnet

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/portreach/portreach/msrpc"
)

// StartRPCServer runs a DCE/RPC stand-in inside h: an endpoint mapper on 135/tcp
// whose ept_lookup lists iface on ncacn_ip_tcp port, and on port a server that
// accepts a bind to iface and rejects any other interface (provider rejection,
// abstract syntax not supported). It stands in for a Windows service Samba does
// not implement (MSDTC): written from C706 chapter 12 and [MS-RPCE] 2.2 like the
// client, it proves the scanner's path (lookup, ports, bind, verdicts), not the
// client's reading of the specification, which Samba's captures test.
func StartRPCServer(t testing.TB, h *Host, iface msrpc.Interface, port uint16) {
	t.Helper()
	tower := rpcTower(iface, port, h.Addr)
	serve := func(iface msrpc.Interface, port uint16, tower []byte) func(net.Conn) {
		return func(c net.Conn) {
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			serveRPC(c, iface, port, tower)
		}
	}
	h.serveTCPConns(t, msrpc.EPMPort, serve(msrpc.EPM, msrpc.EPMPort, tower))
	h.serveTCPConns(t, port, serve(iface, port, nil))
}

// serveRPC answers binds (accepting iface only) and, when tower is set,
// ept_lookup with the one entry, clearing the handle as Windows does on the last
// batch (protocols.md §10.6).
func serveRPC(c net.Conn, iface msrpc.Interface, port uint16, tower []byte) {
	buf := make([]byte, msrpc.MaxFrag)
	for {
		pdu, err := msrpc.ReadPDU(c, buf)
		if err != nil {
			return
		}
		call := binary.LittleEndian.Uint32(pdu[12:])
		var out []byte
		switch pdu[2] {
		case msrpc.PTypeBind:
			ok := len(pdu) >= 52 && msrpc.UUIDFromWire(pdu[32:48]) == iface.UUID &&
				binary.LittleEndian.Uint16(pdu[48:]) == iface.Major
			out = bindAck(call, port, ok)
		case msrpc.PTypeRequest:
			if tower == nil || len(pdu) < 24 || binary.LittleEndian.Uint16(pdu[22:]) != 2 {
				return
			}
			out = response(call, lookupStub(tower))
		default:
			return
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// pdu wraps a body in the 16-byte common header: version 5.0, first and last
// fragment, little-endian drep.
func pdu(ptype byte, call uint32, body []byte) []byte {
	b := []byte{5, 0, ptype, 3, 0x10, 0, 0, 0, 0, 0, 0, 0}
	b = binary.LittleEndian.AppendUint32(b, call)
	b = append(b, body...)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

// bindAck accepts the one presentation context with NDR, or rejects it (result 2,
// provider rejection; reason 1, abstract syntax not supported), C706 §12.6.4.4.
func bindAck(call uint32, port uint16, accept bool) []byte {
	sec := strconv.Itoa(int(port)) + "\x00" // the secondary address: the port
	var b []byte
	b = binary.LittleEndian.AppendUint16(b, msrpc.MaxFrag)
	b = binary.LittleEndian.AppendUint16(b, msrpc.MaxFrag)
	b = binary.LittleEndian.AppendUint32(b, 0x53f0)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(sec)))
	b = append(b, sec...)
	for (16+len(b))%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, 1, 0, 0, 0) // n_results
	if accept {
		b = append(b, 0, 0, 0, 0)
		b = ndr.AppendWire(b)
		b = binary.LittleEndian.AppendUint32(b, 2)
	} else {
		b = append(b, 2, 0, 1, 0)
		b = append(b, make([]byte, 20)...)
	}
	return pdu(msrpc.PTypeBindAck, call, b)
}

var ndr = msrpc.MustParseUUID("8a885d04-1ceb-11c9-9fe8-08002b104860")

// response carries stub as the answer to call on context 0.
func response(call uint32, stub []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(stub)))
	b = append(b, 0, 0, 0, 0) // p_cont_id, cancel_count, reserved
	return pdu(msrpc.PTypeResponse, call, append(b, stub...))
}

// lookupStub is an ept_lookup answer with one entry and a null handle (the last
// batch), NDR as C706 Appendix O and ParseEPMLookup read it.
func lookupStub(tower []byte) []byte {
	b := make([]byte, 20) // null context handle: the iteration is over
	for range 4 {         // num_ents, max_count, offset 0, actual_count
		b = binary.LittleEndian.AppendUint32(b, 0)
	}
	binary.LittleEndian.PutUint32(b[20:], 1)
	binary.LittleEndian.PutUint32(b[24:], 1)
	binary.LittleEndian.PutUint32(b[32:], 1)
	b = append(b, make([]byte, 16)...)               // object: nil UUID
	b = binary.LittleEndian.AppendUint32(b, 0x20000) // tower: a referent
	ann := []byte("stand-in\x00")
	b = binary.LittleEndian.AppendUint32(b, 0) // annotation offset
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ann)))
	b = append(b, ann...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(tower))) // twr_t conformance
	b = binary.LittleEndian.AppendUint32(b, uint32(len(tower))) // tower_length
	b = append(b, tower...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return binary.LittleEndian.AppendUint32(b, 0) // status
}

// rpcTower is the five-floor ncacn_ip_tcp tower of iface at addr:port (C706
// Appendix L): interface, NDR, connection-oriented RPC, TCP port, IP address.
func rpcTower(iface msrpc.Interface, port uint16, addr netip.Addr) []byte {
	floor := func(b, lhs, rhs []byte) []byte {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(lhs)))
		b = append(b, lhs...)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(rhs)))
		return append(b, rhs...)
	}
	uuidFloor := func(b []byte, u msrpc.UUID, major, minor uint16) []byte {
		lhs := u.AppendWire([]byte{0x0d})
		lhs = binary.LittleEndian.AppendUint16(lhs, major)
		return floor(b, lhs, binary.LittleEndian.AppendUint16(nil, minor))
	}
	b := binary.LittleEndian.AppendUint16(nil, 5)
	b = uuidFloor(b, iface.UUID, iface.Major, iface.Minor)
	b = uuidFloor(b, ndr, 2, 0)
	b = floor(b, []byte{0x0b}, []byte{0, 0})
	b = floor(b, []byte{0x07}, binary.BigEndian.AppendUint16(nil, port))
	a := addr.As4()
	return floor(b, []byte{0x09}, a[:])
}
