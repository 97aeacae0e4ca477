package probes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// NetBIOSDgm probes the NetBIOS datagram service (138/udp, RFC 1002 §4.4). Datagram
// service is one-way: a datagram is delivered to a name and never answered.
// The one request/response pair in RFC 1002, DATAGRAM QUERY REQUEST (§4.4.4),
// is meant for a NetBIOS Datagram Distributor, which neither Windows nor Samba
// implements; it is what the probe sends, and a positive or negative query
// response (or a DATAGRAM ERROR) carrying our DGM_ID proves the port open.
var NetBIOSDgm = &Probe{
	Name:  "netbios-dgm",
	Mute:  true,
	Ports: []uint16{138},
	Silence: "NetBIOS datagram service (RFC 1002 §4.4) never answers a datagram; " +
		"Windows and Samba ignore the NBDD query, so only ICMP can show the port closed",
	New: func(rnd io.Reader, _ Options) (Query, error) {
		var id [2]byte
		if _, err := io.ReadFull(rnd, id[:]); err != nil {
			return nil, fmt.Errorf("netbios-dgm: random: %w", err)
		}
		dgm := binary.BigEndian.Uint16(id[:])
		return &datagramQuery{
			packet: nbddQuery(dgm, nbddName),
			match:  func(b []byte) (Detail, error) { return nbddMatch(b, dgm) },
		}, nil
	},
	Detail: (*NetBIOSDgmDetail)(nil),
}

// nbddName is the name the NBDD query asks about: ours, so that nothing
// on the target is named.
const nbddName = "PORTREACH"

// nbddQuery builds a DATAGRAM QUERY REQUEST (RFC 1002 §4.4.4): MSG_TYPE 0x14,
// FLAGS (first fragment, B node), DGM_ID, SOURCE_IP and SOURCE_PORT, and the
// destination name. The probe does not know its own address, which the scanner
// picks, so SOURCE_IP is 0.0.0.0; SOURCE_PORT is the service port.
func nbddQuery(dgm uint16, name string) []byte {
	b := []byte{0x14, 0x02}
	b = binary.BigEndian.AppendUint16(b, dgm)
	b = append(b, 0, 0, 0, 0, 0, 138)
	var raw [16]byte // padded to 15 bytes with spaces, suffix 0x00 (RFC 1001 §14.1)
	copy(raw[:15], "               ")
	copy(raw[:15], strings.ToUpper(name))
	return netbiosName(b, raw)
}

// NetBIOSDgmDetail is an answer from a NetBIOS datagram service.
type NetBIOSDgmDetail struct {
	// Message is "positive query response", "negative query response" or
	// "datagram error".
	Message string `json:"message"`
	// ErrorCode is a DATAGRAM ERROR's code (RFC 1002 §4.4.3: 0x82 destination
	// name not present, 0x83 invalid source name, 0x84 invalid destination name).
	ErrorCode byte `json:"error_code,omitempty"`
}

// Summary names the message.
func (d *NetBIOSDgmDetail) Summary() string {
	if d.ErrorCode != 0 {
		return fmt.Sprintf("%s 0x%02x", d.Message, d.ErrorCode)
	}
	return d.Message
}

func nbddMatch(b []byte, dgm uint16) (Detail, error) {
	if len(b) < 10 || binary.BigEndian.Uint16(b[2:4]) != dgm {
		return nil, ErrNotMine
	}
	switch b[0] {
	case 0x15:
		return &NetBIOSDgmDetail{Message: "positive query response"}, nil
	case 0x16:
		return &NetBIOSDgmDetail{Message: "negative query response"}, nil
	case 0x13:
		// §4.4.3: the header, then one ERROR_CODE byte.
		if len(b) < 11 {
			return nil, errors.New("netbios-dgm: datagram error without its code")
		}
		return &NetBIOSDgmDetail{Message: "datagram error", ErrorCode: b[10]}, nil
	}
	return nil, ErrNotMine
}
