//go:build linux

package testnet

import (
	"encoding/binary"
	"testing"
)

// StartMSMQPing answers Message Queuing pings on 3527/udp inside h the way
// [MS-MQQB] §3.1.7.7 describes an acceptor: the request's Signature and Cookie
// echoed, its own queue manager GUID (qm, in wire order) in QMGuid. No MSMQ
// implementation exists outside Windows, so this stand-in, written from the
// specification like the probe itself, proves the scanner's path (socket,
// matching, details), not the probe's reading of the specification.
func StartMSMQPing(t testing.TB, h *Host, qm [16]byte) {
	t.Helper()
	ServeUDP(t, h, 3527, func(req []byte) []byte {
		if len(req) != 24 || binary.LittleEndian.Uint16(req[2:]) != 0x5548 {
			return nil
		}
		resp := append([]byte(nil), req...)
		binary.LittleEndian.PutUint16(resp, 0) // flags: no RF, not refusing
		copy(resp[8:], qm[:])
		return resp
	})
}
