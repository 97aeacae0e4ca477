package probes

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// The probes in this file are for UDP services that no request from a scanner can
// make answer: the protocol has no reply at all, or sends it somewhere the scanner
// cannot listen, or answers only questions the scanner cannot know how to ask.
// Each still sends a minimal well-formed datagram, so that a host without the
// service answers with ICMP port unreachable and the port is proven closed, and
// so that an implementation that does answer is recognised. Their Silence says
// why open|filtered is the expected verdict for a listening service.

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
		return &silentQuery{
			packet: silentNBDDQuery(dgm, silentNetBIOSName),
			match:  func(b []byte) (Detail, error) { return silentMatchNBDD(b, dgm) },
		}, nil
	},
}

// silentNetBIOSName is the name the NBDD query asks about: ours, so that nothing
// on the target is named.
const silentNetBIOSName = "PORTREACH"

// SNMPTrap probes the SNMP notification receiver port (162/udp). A trap receiver
// answers only an InformRequest (RFC 3416 §4.2.7), and an Inform is a real
// notification that monitoring systems log, alert on and forward, so the probe
// does not send one. It sends an SNMPv2c GetRequest for sysUpTime.0 instead: a
// notification receiver silently drops every PDU it does not handle
// (RFC 3413 §3.4: snmpUnknownPDUHandlers), and an SNMP agent that happens to
// listen on 162 answers it.
var SNMPTrap = &Probe{
	Name:  "snmptrap",
	Mute:  true,
	Ports: []uint16{162},
	Silence: "a trap receiver never answers traps and drops other PDUs (RFC 3413 §3.4); " +
		"only an InformRequest gets a reply, and the probe does not send one because " +
		"a monitoring system would record it as a real notification",
	New: func(rnd io.Reader, opt Options) (Query, error) {
		var id [4]byte
		if _, err := io.ReadFull(rnd, id[:]); err != nil {
			return nil, fmt.Errorf("snmptrap: random: %w", err)
		}
		reqID := int64(binary.BigEndian.Uint32(id[:]) & 0x7fffffff)
		community := opt.SNMPCommunity
		if community == "" {
			community = "public"
		}
		return &silentQuery{
			packet: silentSNMPGet(reqID, community),
			match:  func(b []byte) (Detail, error) { return silentMatchSNMP(b, reqID) },
		}, nil
	},
}

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
		return &silentQuery{
			packet: silentDHCPInform(xid, mac),
			match:  func(b []byte) (Detail, error) { return silentMatchDHCP(b, xid) },
		}, nil
	},
}

// LLMNR probes Link-Local Multicast Name Resolution (5355/udp, RFC 4795), which
// Windows answers on. A responder answers only for names it is authoritative for
// (§2.1: it MUST NOT respond otherwise, not even with an error) and the probe does
// not know the target's name, so it asks for a random one; a responder that
// answers anyway is recognised by the query ID and question.
var LLMNR = &Probe{
	Name:  "llmnr",
	Mute:  true,
	Ports: []uint16{5355},
	Silence: "an LLMNR responder answers only for its own names (RFC 4795 §2.1) and " +
		"Windows only on the local link; the probe cannot know the target's name",
	New: func(rnd io.Reader, _ Options) (Query, error) {
		var r [6]byte
		if _, err := io.ReadFull(rnd, r[:]); err != nil {
			return nil, fmt.Errorf("llmnr: random: %w", err)
		}
		id := binary.BigEndian.Uint16(r[:2])
		name := "portreach-" + hex.EncodeToString(r[2:])
		return &silentQuery{
			packet: silentLLMNRQuery(id, name),
			match:  func(b []byte) (Detail, error) { return silentMatchLLMNR(b, id, name) },
		}, nil
	},
}

// WINS covers 42/udp, which Windows firewall documents for WINS. WINS replication
// runs over TCP 42 only and the WINS name service is NetBIOS on 137/udp, so
// nothing in Windows answers on 42/udp (the old IEN 116 host name server that
// owned the port is not implemented). The probe sends an empty datagram only to
// draw ICMP port unreachable from a host where the port is closed.
var WINS = &Probe{
	Name:  "wins",
	Mute:  true,
	Ports: []uint16{42},
	Silence: "WINS replication uses TCP 42 and the WINS name service is 137/udp; " +
		"nothing answers on 42/udp, so only ICMP can show the port closed",
	New: func(io.Reader, Options) (Query, error) {
		return &silentQuery{packet: []byte{}, match: silentNever}, nil
	},
}

// MADCAP covers 2535/udp, the Windows DHCP Server's Multicast Address Dynamic
// Client Allocation Protocol (RFC 2730). A MADCAP server answers only requests
// that identify a lease and scope, and Windows only when multicast scopes are
// configured; this probe does not speak MADCAP and sends an empty datagram, only
// to draw ICMP port unreachable from a host where the port is closed.
var MADCAP = &Probe{
	Name:  "madcap",
	Mute:  true,
	Ports: []uint16{2535},
	Silence: "MADCAP (RFC 2730) servers answer only lease requests for configured " +
		"multicast scopes; the probe sends none, so only ICMP can show the port closed",
	New: func(io.Reader, Options) (Query, error) {
		return &silentQuery{packet: []byte{}, match: silentNever}, nil
	},
}

// silentQuery is one datagram and a matcher for the rare answer.
type silentQuery struct {
	packet []byte
	match  func([]byte) (Detail, error)
}

// Packets returns the one datagram.
func (q *silentQuery) Packets() [][]byte { return [][]byte{q.packet} }

// Match hands the datagram to the protocol's matcher.
func (q *silentQuery) Match(b []byte) (Detail, error) {
	if bytes.Equal(b, q.packet) {
		return nil, ErrNotMine // our own datagram reflected
	}
	return q.match(b)
}

func silentNever([]byte) (Detail, error) { return nil, ErrNotMine }

// --- NetBIOS datagram service ---

// silentNBName appends a NetBIOS name in RFC 1001 §14.1 first-level encoding:
// padded to 15 bytes with spaces, a suffix byte, each half-byte as 'A'+nibble,
// as one 32-byte label, no scope.
func silentNBName(dst []byte, name string, suffix byte) []byte {
	var raw [16]byte
	copy(raw[:15], "               ")
	copy(raw[:15], strings.ToUpper(name))
	raw[15] = suffix
	dst = append(dst, 32)
	for _, c := range raw {
		dst = append(dst, 'A'+c>>4, 'A'+c&0x0f)
	}
	return append(dst, 0)
}

// silentNBDDQuery builds a DATAGRAM QUERY REQUEST (RFC 1002 §4.4.4): MSG_TYPE 0x14,
// FLAGS (first fragment, B node), DGM_ID, SOURCE_IP and SOURCE_PORT, and the
// destination name. The probe does not know its own address, which the scanner
// picks, so SOURCE_IP is 0.0.0.0; SOURCE_PORT is the service port.
func silentNBDDQuery(dgm uint16, name string) []byte {
	b := []byte{0x14, 0x02}
	b = binary.BigEndian.AppendUint16(b, dgm)
	b = append(b, 0, 0, 0, 0, 0, 138)
	return silentNBName(b, name, 0x00)
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

func silentMatchNBDD(b []byte, dgm uint16) (Detail, error) {
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

// --- SNMP on the trap port ---

// silentSNMPGet builds an SNMPv2c GetRequest (RFC 3416 §3, RFC 1901) for
// sysUpTime.0 (1.3.6.1.2.1.1.3.0).
func silentSNMPGet(reqID int64, community string) []byte {
	return berEncode(berTagSequence,
		berInt(1), // version: v2c
		berOctets(berTagOctetString, []byte(community)),
		berEncode(berClassContext|berConstructed|0, // GetRequest-PDU
			berInt(reqID),
			berInt(0), // error-status
			berInt(0), // error-index
			berEncode(berTagSequence,
				berEncode(berTagSequence, berOID(1, 3, 6, 1, 2, 1, 1, 3, 0), berNull()),
			),
		),
	)
}

// SNMPTrapDetail is an SNMP agent's answer on the trap port.
type SNMPTrapDetail struct {
	// Version is the message version: 0 v1, 1 v2c.
	Version int64 `json:"version"`
	// ErrorStatus is the Response PDU's error-status (RFC 3416 §3), 0 noError.
	ErrorStatus int64 `json:"error_status"`
	// Uptime is sysUpTime.0 in hundredths of a second, when the agent sent it.
	Uptime *uint64 `json:"uptime,omitempty"`
}

// Summary reads like "SNMP agent on the trap port, uptime 3h2m1s".
func (d *SNMPTrapDetail) Summary() string {
	s := "SNMP agent on the trap port"
	if d.ErrorStatus != 0 {
		s += fmt.Sprintf(", error-status %d", d.ErrorStatus)
	}
	if d.Uptime != nil {
		s += fmt.Sprintf(", uptime %d.%02ds", *d.Uptime/100, *d.Uptime%100)
	}
	return s
}

// silentMatchSNMP accepts a Response-PDU (RFC 3416 §3, tag [2]) with our request-id.
func silentMatchSNMP(b []byte, reqID int64) (Detail, error) {
	top := newBERReader(b)
	msg, err := top.Expect(berTagSequence)
	if err != nil {
		return nil, ErrNotMine
	}
	r, err := msg.Children()
	if err != nil {
		return nil, ErrNotMine
	}
	ver, err := r.Expect(berTagInteger)
	if err != nil {
		return nil, ErrNotMine
	}
	if _, err := r.Expect(berTagOctetString); err != nil {
		return nil, ErrNotMine
	}
	pdu, err := r.Expect(berClassContext | berConstructed | 2)
	if err != nil {
		return nil, ErrNotMine
	}
	pr, err := pdu.Children()
	if err != nil {
		return nil, ErrNotMine
	}
	id, err := pr.Expect(berTagInteger)
	if err != nil {
		return nil, ErrNotMine
	}
	if v, err := id.Int(); err != nil || v != reqID {
		return nil, ErrNotMine
	}
	d := &SNMPTrapDetail{}
	if d.Version, err = ver.Int(); err != nil {
		return nil, fmt.Errorf("snmptrap: version: %w", err)
	}
	st, err := pr.Expect(berTagInteger)
	if err != nil {
		return nil, fmt.Errorf("snmptrap: error-status: %w", err)
	}
	if d.ErrorStatus, err = st.Int(); err != nil {
		return nil, fmt.Errorf("snmptrap: error-status: %w", err)
	}
	if _, err := pr.Expect(berTagInteger); err != nil {
		return nil, fmt.Errorf("snmptrap: error-index: %w", err)
	}
	// The varbind list is optional reading: sysUpTime.0 as TimeTicks (0x43).
	if vbs, err := pr.Expect(berTagSequence); err == nil {
		if vr, err := vbs.Children(); err == nil {
			if vb, err := vr.Expect(berTagSequence); err == nil {
				if r, err := vb.Children(); err == nil {
					if _, err := r.Expect(berTagOID); err == nil {
						if v, err := r.Expect(berClassApplication | 3); err == nil {
							if u, err := v.Uint(); err == nil {
								d.Uptime = &u
							}
						}
					}
				}
			}
		}
	}
	return d, nil
}

// --- DHCP ---

// silentDHCPMagic is the options magic cookie (RFC 2131 §3, RFC 2132 §2).
var silentDHCPMagic = []byte{99, 130, 83, 99}

// silentDHCPInform builds a DHCPINFORM (RFC 2131 §4.4.3): BOOTREQUEST, Ethernet
// hardware type, our xid, ciaddr left 0.0.0.0 (see DHCP), option 53 = 8 and a
// parameter request list, padded with zeros to the 300-byte BOOTP minimum that
// RFC 1542 §3.1.1 asks relays and servers to be ready for.
func silentDHCPInform(xid uint32, mac [6]byte) []byte {
	b := make([]byte, 236, 300)
	b[0], b[1], b[2] = 1, 1, 6 // op BOOTREQUEST, htype Ethernet, hlen 6
	binary.BigEndian.PutUint32(b[4:8], xid)
	copy(b[28:34], mac[:])
	b = append(b, silentDHCPMagic...)
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

func silentMatchDHCP(b []byte, xid uint32) (Detail, error) {
	if len(b) < 240 || b[0] != 2 || binary.BigEndian.Uint32(b[4:8]) != xid {
		return nil, ErrNotMine
	}
	if !bytes.Equal(b[236:240], silentDHCPMagic) {
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
			d.MessageType = silentDHCPTypes[val[0]]
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

// silentDHCPTypes are the DHCP message types of RFC 2132 §9.6.
var silentDHCPTypes = map[byte]string{
	1: "DHCPDISCOVER", 2: "DHCPOFFER", 3: "DHCPREQUEST", 4: "DHCPDECLINE",
	5: "DHCPACK", 6: "DHCPNAK", 7: "DHCPRELEASE", 8: "DHCPINFORM",
}

// --- LLMNR ---

// silentLLMNRQuery builds an LLMNR query (RFC 4795 §2.1.1: the DNS message format
// of RFC 1035 §4.1 with the C and T flags, all zero here) for name, type A, class IN.
func silentLLMNRQuery(id uint16, name string) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0) // flags, QDCOUNT 1, AN/NS/AR 0
	for _, label := range strings.Split(name, ".") {
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0, 0, 1, 0, 1) // root, QTYPE A, QCLASS IN
}

// LLMNRDetail is an LLMNR responder's answer.
type LLMNRDetail struct {
	// RCode is the response code (RFC 1035 §4.1.1), 0 NOERROR.
	RCode int `json:"rcode"`
	// Answers is ANCOUNT.
	Answers int `json:"answers"`
	// Conflict is the C bit (RFC 4795 §2.1.1): the name is not unique.
	Conflict bool `json:"conflict,omitempty"`
}

// Summary reads like "LLMNR response, rcode 0, 1 answer(s)".
func (d *LLMNRDetail) Summary() string {
	return fmt.Sprintf("LLMNR response, rcode %d, %d answer(s)", d.RCode, d.Answers)
}

// silentMatchLLMNR accepts a response (QR set, opcode 0) with our ID whose
// question section repeats ours (RFC 4795 §2.1.1: the responder copies it).
func silentMatchLLMNR(b []byte, id uint16, name string) (Detail, error) {
	if len(b) < 12 || binary.BigEndian.Uint16(b[0:2]) != id || b[2]&0x80 == 0 || b[2]&0x78 != 0 {
		return nil, ErrNotMine
	}
	if binary.BigEndian.Uint16(b[4:6]) != 1 {
		return nil, ErrNotMine
	}
	q := silentLLMNRQuery(id, name)[12:]
	if len(b) < 12+len(q) || !bytes.EqualFold(b[12:12+len(q)], q) {
		return nil, ErrNotMine
	}
	return &LLMNRDetail{
		RCode:    int(b[3] & 0x0f),
		Answers:  int(binary.BigEndian.Uint16(b[6:8])),
		Conflict: b[2]&0x04 != 0,
	}, nil
}
