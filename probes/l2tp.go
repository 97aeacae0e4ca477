package probes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// L2TP probes an L2TPv2 LNS on 1701/udp with a Start-Control-Connection-Request
// (RFC 2661 §6.1) carrying a random Assigned Tunnel ID. The peer puts that ID in
// the header of everything it sends back (§3.1), which is how its SCCRP, or a
// StopCCN refusing us, is told from other traffic. RFC 2661 §8.1 lets the LNS
// answer from a port other than 1701, hence AnySource.
//
// The probe never completes the handshake: a server that answered with SCCRP
// retransmits it a few times and then drops the half-open tunnel.
var L2TP = &Probe{
	Name:  "l2tp",
	Ports: []uint16{1701},
	Silence: "Windows RRAS accepts L2TP only inside IPsec (ESP) by default, so " +
		"plain L2TP gets no answer from it; open|filtered is usual for Windows",
	AnySource: true,
	New: func(rnd io.Reader, _ Options) (Query, error) {
		var id [2]byte
		if _, err := io.ReadFull(rnd, id[:]); err != nil {
			return nil, fmt.Errorf("l2tp: random: %w", err)
		}
		tid := binary.BigEndian.Uint16(id[:])
		if tid == 0 {
			tid = 1 // RFC 2661 §4.4.3: the Assigned Tunnel ID is nonzero
		}
		return newL2TPQuery(tid, l2tpHostName), nil
	},
	Detail: (*L2TPDetail)(nil),
}

// l2tpHostName is what the SCCRQ calls us, so that a server's log names the scanner.
const l2tpHostName = "portreach"

// AVP attribute types of RFC 2661 §4.4.
const (
	l2tpAVPMessageType     = 0
	l2tpAVPResultCode      = 1
	l2tpAVPProtocolVersion = 2
	l2tpAVPFraming         = 3
	l2tpAVPFirmware        = 6
	l2tpAVPHostName        = 7
	l2tpAVPVendorName      = 8
	l2tpAVPAssignedTunnel  = 9
)

type l2tpQuery struct {
	tunnel uint16
	packet []byte
}

func newL2TPQuery(tunnel uint16, host string) *l2tpQuery {
	return &l2tpQuery{tunnel: tunnel, packet: l2tpSCCRQ(tunnel, host)}
}

// l2tpSCCRQ builds an SCCRQ with the AVPs RFC 2661 §6.1 makes mandatory: Message
// Type, Protocol Version 1.0, Host Name, Framing Capabilities (sync and async) and
// Assigned Tunnel ID. Every AVP has the M bit set and vendor ID 0.
func l2tpSCCRQ(tunnel uint16, host string) []byte {
	b := []byte{
		0xc8, 0x02, // T, L, S bits; version 2 (§3.1)
		0, 0, // length, set below
		0, 0, 0, 0, // tunnel ID and session ID 0: no tunnel yet
		0, 0, 0, 0, // Ns, Nr
	}
	avp := func(typ uint16, val []byte) {
		b = binary.BigEndian.AppendUint16(b, 0x8000|uint16(6+len(val)))
		b = append(b, 0, 0) // vendor ID: IETF
		b = binary.BigEndian.AppendUint16(b, typ)
		b = append(b, val...)
	}
	avp(l2tpAVPMessageType, []byte{0, 1}) // SCCRQ
	avp(l2tpAVPProtocolVersion, []byte{1, 0})
	avp(l2tpAVPHostName, []byte(host))
	avp(l2tpAVPFraming, []byte{0, 0, 0, 3})
	avp(l2tpAVPAssignedTunnel, binary.BigEndian.AppendUint16(nil, tunnel))
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	return b
}

// Packets returns the SCCRQ.
func (q *l2tpQuery) Packets() [][]byte { return [][]byte{q.packet} }

// Match accepts an L2TPv2 control message whose header tunnel ID is the one we
// assigned (RFC 2661 §3.1: the ID is "the identifier for the control connection"
// chosen by the recipient), then decodes its AVPs. A ZLB acknowledgement (a control
// message without AVPs) to our tunnel ID also proves a listener.
func (q *l2tpQuery) Match(reply []byte) (Detail, error) {
	d, tunnel, err := l2tpParse(reply)
	if errors.Is(err, ErrNotMine) {
		return nil, err
	}
	if tunnel != q.tunnel {
		return nil, ErrNotMine
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// l2tpParse decodes an L2TP control message. It returns ErrNotMine for anything
// that is not an L2TPv2 control message, and the header tunnel ID with any other
// error so that Match can tell a broken answer to us from someone else's.
func l2tpParse(b []byte) (*L2TPDetail, uint16, error) {
	// Control messages have T, L and S set (§3.1) and version 2.
	if len(b) < 12 || b[0]&0xc8 != 0xc8 || b[1]&0x0f != 2 {
		return nil, 0, ErrNotMine
	}
	length := int(binary.BigEndian.Uint16(b[2:4]))
	tunnel := binary.BigEndian.Uint16(b[4:6])
	hdr := 12
	if b[0]&0x02 != 0 { // O bit: offset size and padding (§3.1 says control messages must not, but tolerate it)
		if len(b) < 14 {
			return nil, tunnel, errors.New("l2tp: truncated offset field")
		}
		hdr = 14 + int(binary.BigEndian.Uint16(b[12:14]))
	}
	if length < hdr || length > len(b) {
		return nil, tunnel, fmt.Errorf("l2tp: length %d out of range (datagram %d bytes)", length, len(b))
	}
	d := &L2TPDetail{Ns: binary.BigEndian.Uint16(b[8:10]), Nr: binary.BigEndian.Uint16(b[10:12])}
	avps := b[hdr:length]
	if len(avps) == 0 {
		d.Message = "ZLB"
		return d, tunnel, nil
	}
	first := true
	for len(avps) > 0 {
		if len(avps) < 6 {
			return nil, tunnel, errors.New("l2tp: truncated AVP header")
		}
		alen := int(binary.BigEndian.Uint16(avps[0:2]) & 0x3ff)
		if alen < 6 || alen > len(avps) {
			return nil, tunnel, fmt.Errorf("l2tp: AVP length %d out of range", alen)
		}
		hidden := avps[0]&0x40 != 0
		vendor := binary.BigEndian.Uint16(avps[2:4])
		typ := binary.BigEndian.Uint16(avps[4:6])
		val := avps[6:alen]
		avps = avps[alen:]
		if first {
			// §4.1: Message Type must be the first AVP, never hidden.
			if vendor != 0 || typ != l2tpAVPMessageType || hidden || len(val) != 2 {
				return nil, tunnel, errors.New("l2tp: first AVP is not Message Type")
			}
			d.MessageType = binary.BigEndian.Uint16(val)
			d.Message = l2tpMessageName(d.MessageType)
			first = false
			continue
		}
		if vendor != 0 {
			continue
		}
		if hidden {
			// Hidden AVPs (§4.3) are encrypted with the tunnel secret.
			d.Hidden = append(d.Hidden, typ)
			continue
		}
		d.avp(typ, val)
	}
	return d, tunnel, nil
}

func (d *L2TPDetail) avp(typ uint16, val []byte) {
	switch typ {
	case l2tpAVPResultCode:
		// §4.4.2: result code, optional error code, optional message.
		if len(val) >= 2 {
			rc := binary.BigEndian.Uint16(val[0:2])
			d.ResultCode = &rc
			d.Result = l2tpResultName(d.MessageType, rc)
		}
		if len(val) >= 4 {
			ec := binary.BigEndian.Uint16(val[2:4])
			d.ErrorCode = &ec
			d.Error = l2tpErrorNames[ec]
		}
		if len(val) > 4 {
			d.ResultMessage = peerText(val[4:])
		}
	case l2tpAVPProtocolVersion:
		if len(val) == 2 {
			d.ProtocolVersion = fmt.Sprintf("%d.%d", val[0], val[1])
		}
	case l2tpAVPFirmware:
		if len(val) == 2 {
			d.Firmware = fmt.Sprintf("0x%04x", binary.BigEndian.Uint16(val))
		}
	case l2tpAVPHostName:
		d.HostName = peerText(val)
	case l2tpAVPVendorName:
		d.VendorName = peerText(val)
	case l2tpAVPAssignedTunnel:
		if len(val) == 2 {
			d.AssignedTunnelID = binary.BigEndian.Uint16(val)
		}
	}
}

// L2TPDetail is what an L2TP control message from the LNS says.
type L2TPDetail struct {
	// Message names the message type: "SCCRP", "StopCCN", "ZLB" (an acknowledgement).
	Message     string `json:"message"`
	MessageType uint16 `json:"message_type,omitempty"`
	// HostName, VendorName and Firmware identify the peer (AVPs 7, 8, 6).
	HostName   string `json:"host_name,omitempty"`
	VendorName string `json:"vendor_name,omitempty"`
	Firmware   string `json:"firmware,omitempty"`
	// ProtocolVersion is "1.0" for RFC 2661.
	ProtocolVersion string `json:"protocol_version,omitempty"`
	// AssignedTunnelID is the peer's own ID for the tunnel.
	AssignedTunnelID uint16 `json:"assigned_tunnel_id,omitempty"`
	// ResultCode, ErrorCode and ResultMessage come from a StopCCN's Result Code AVP.
	ResultCode    *uint16 `json:"result_code,omitempty"`
	Result        string  `json:"result,omitempty"`
	ErrorCode     *uint16 `json:"error_code,omitempty"`
	Error         string  `json:"error,omitempty"`
	ResultMessage string  `json:"result_message,omitempty"`
	// Hidden lists AVP types sent hidden (encrypted with the tunnel secret).
	Hidden []uint16 `json:"hidden_avps,omitempty"`
	// Ns and Nr are the header sequence numbers.
	Ns uint16 `json:"ns"`
	Nr uint16 `json:"nr"`
}

// Summary reads like `SCCRP, host "vm", vendor "xelerance.com", firmware 0x0680`.
func (d *L2TPDetail) Summary() string {
	parts := []string{d.Message}
	if d.HostName != "" {
		parts = append(parts, "host "+strconv.Quote(d.HostName))
	}
	if d.VendorName != "" {
		parts = append(parts, "vendor "+strconv.Quote(d.VendorName))
	}
	if d.Firmware != "" {
		parts = append(parts, "firmware "+d.Firmware)
	}
	if d.ResultCode != nil {
		s := fmt.Sprintf("result %d", *d.ResultCode)
		if d.Result != "" {
			s += " (" + d.Result + ")"
		}
		parts = append(parts, s)
	}
	if d.ResultMessage != "" {
		parts = append(parts, strconv.Quote(d.ResultMessage))
	}
	return strings.Join(parts, ", ")
}

// l2tpMessageNames are the control message types of RFC 2661 §3.2.
var l2tpMessageNames = map[uint16]string{
	1: "SCCRQ", 2: "SCCRP", 3: "SCCCN", 4: "StopCCN", 6: "HELLO",
	7: "OCRQ", 8: "OCRP", 9: "OCCN", 10: "ICRQ", 11: "ICRP", 12: "ICCN",
	14: "CDN", 15: "WEN", 16: "SLI",
}

func l2tpMessageName(t uint16) string {
	if n, ok := l2tpMessageNames[t]; ok {
		return n
	}
	return fmt.Sprintf("message type %d", t)
}

// l2tpResultName names StopCCN result codes (RFC 2661 §4.4.2); other messages'
// result codes are left as numbers.
func l2tpResultName(msg, rc uint16) string {
	if msg != 4 {
		return ""
	}
	return map[uint16]string{
		1: "general request to clear control connection",
		2: "general error",
		3: "control channel already exists",
		4: "requester is not authorized",
		5: "protocol version not supported",
		6: "requester is being shut down",
		7: "finite state machine error",
	}[rc]
}

// l2tpErrorNames are the general error codes of RFC 2661 §4.4.2.
var l2tpErrorNames = map[uint16]string{
	0: "no general error",
	1: "no control connection exists yet",
	2: "length is wrong",
	3: "field value out of range",
	4: "insufficient resources",
	5: "invalid session ID",
	6: "vendor-specific error",
	7: "try another",
	8: "unknown mandatory AVP",
}
