package probes

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
)

// DHCP probes a DHCP server (67/udp) with a DHCPINFORM (RFC 2131 §4.4.3), the one
// client message that neither reserves nor releases an address. An INFORM must
// name the client's address in ciaddr, and the probe cannot: the scanner, not the
// probe, picks the source address. With ciaddr 0.0.0.0 servers drop it (dnsmasq
// 2.90 did, see testdata/dhcp_dnsmasq_silence.txt), and filling in any other
// address would make an RFC 2131 §4.3.5 server send its DHCPACK to that address's
// port 68, a bystander. A server that answers anyway is recognised by our xid
// (dnsmasq answers an INFORM with ciaddr set at the sender's port, so the probe
// could become a real one if the scanner told it its source address).
var DHCP = &Probe{
	Name:  "dhcp",
	Mute:  true,
	Ports: []uint16{67},
	Silence: "a DHCP server ignores a DHCPINFORM without the client's address (ciaddr), " +
		"which the probe cannot know, and answers others at the client's port 68 " +
		"(RFC 2131 §4.3.5); silence is expected from a listening server",
	AnySource: true,
	New: func(rnd io.Reader, _ Options) (Query, error) {
		var r [10]byte // xid, then the low bytes of the client hardware address
		if _, err := io.ReadFull(rnd, r[:]); err != nil {
			return nil, fmt.Errorf("dhcp: random: %w", err)
		}
		xid := binary.BigEndian.Uint32(r[:4])
		// A locally administered unicast MAC (IEEE 802 U/L bit set, I/G clear),
		// so that it cannot be any real interface's.
		mac := [6]byte{0x02, r[4], r[5], r[6], r[7], r[8]}
		return &datagramQuery{
			packet: dhcpInform(xid, mac),
			match:  func(b []byte) (Detail, error) { return dhcpMatch(b, xid) },
		}, nil
	},
	Detail: (*DHCPDetail)(nil),
}

// dhcpMagic is the options magic cookie (RFC 2131 §3, RFC 2132 §2).
var dhcpMagic = []byte{99, 130, 83, 99}

// dhcpInform builds a DHCPINFORM (RFC 2131 §4.4.3): BOOTREQUEST, Ethernet
// hardware type, our xid, ciaddr left 0.0.0.0 (see DHCP), option 53 = 8 and a
// parameter request list, padded with zeros to the 300-byte BOOTP minimum that
// RFC 1542 §3.1.1 asks relays and servers to be ready for.
func dhcpInform(xid uint32, mac [6]byte) []byte {
	b := make([]byte, 236, 300)
	b[0], b[1], b[2] = 1, 1, 6 // op BOOTREQUEST, htype Ethernet, hlen 6
	binary.BigEndian.PutUint32(b[4:8], xid)
	copy(b[28:34], mac[:])
	b = append(b, dhcpMagic...)
	b = append(b, 53, 1, 8)    // DHCP Message Type: DHCPINFORM
	b = append(b, 55, 2, 1, 6) // Parameter Request List: subnet mask, DNS servers
	b = append(b, 255)         // End
	for len(b) < 300 {
		b = append(b, 0)
	}
	return b
}

// DHCPDetail is a DHCP server's answer.
type DHCPDetail struct {
	// MessageType is option 53 (RFC 2132 §9.6) by name: DHCPACK, DHCPNAK…
	MessageType string `json:"message_type"`
	// ServerID is option 54, the server's address.
	ServerID string `json:"server_id,omitempty"`
}

// Summary reads like "DHCPACK from 198.18.0.2".
func (d *DHCPDetail) Summary() string {
	if d.ServerID != "" {
		return d.MessageType + " from " + d.ServerID
	}
	return d.MessageType
}

func dhcpMatch(b []byte, xid uint32) (Detail, error) {
	if len(b) < 240 || b[0] != 2 || binary.BigEndian.Uint32(b[4:8]) != xid {
		return nil, ErrNotMine
	}
	if !bytes.Equal(b[236:240], dhcpMagic) {
		return nil, errors.New("dhcp: BOOTREPLY without the DHCP magic cookie")
	}
	d := &DHCPDetail{}
	opts := b[240:]
	for len(opts) > 0 {
		code := opts[0]
		if code == 0 { // Pad
			opts = opts[1:]
			continue
		}
		if code == 255 { // End
			break
		}
		if len(opts) < 2 || int(opts[1]) > len(opts)-2 {
			return nil, fmt.Errorf("dhcp: option %d overruns the packet", code)
		}
		val := opts[2 : 2+int(opts[1])]
		opts = opts[2+int(opts[1]):]
		switch {
		case code == 53 && len(val) == 1:
			d.MessageType = dhcpTypes[val[0]]
			if d.MessageType == "" {
				d.MessageType = "DHCP type " + strconv.Itoa(int(val[0]))
			}
		case code == 54 && len(val) == 4:
			d.ServerID = netip.AddrFrom4([4]byte(val)).String()
		}
	}
	if d.MessageType == "" {
		d.MessageType = "BOOTREPLY" // plain BOOTP
	}
	return d, nil
}

// dhcpTypes are the DHCP message types of RFC 2132 §9.6.
var dhcpTypes = map[byte]string{
	1: "DHCPDISCOVER", 2: "DHCPOFFER", 3: "DHCPREQUEST", 4: "DHCPDECLINE",
	5: "DHCPACK", 6: "DHCPNAK", 7: "DHCPRELEASE", 8: "DHCPINFORM",
}
