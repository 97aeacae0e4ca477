package probes

import (
	"encoding/binary"
	"fmt"
	"io"
)

// RDP confirms a Remote Desktop server on 3389 with an X.224 Connection
// Request carrying an RDP Negotiation Request ([MS-RDPBCGR] 2.2.1.1) for TLS,
// CredSSP and CredSSP with early user authorization. The Connection Confirm says
// which security protocol the server chose ([MS-RDPBCGR] 2.2.1.2.1) or why it
// refused (2.2.1.2.2); for TLS and CredSSP the TLS handshake follows on the
// same connection, so the server's certificate is read too.
var RDP = &Service{
	Name: "rdp", Ports: []uint16{3389},
	Drift: append(tlsDrift(), DriftField{Path: "rdp.protocol", Meaning: "the security protocol the server picks changed (NLA turned off, or another server answers)"}),
	New: func(io.Reader, string) (Dialog, error) {
		return &rdpDialog{d: ServiceDetail{Service: "rdp"}}, nil
	},
}

// RDPDetail is an RDP server's answer to the connection request.
type RDPDetail struct {
	// Protocol is the security protocol the server chose: "TLS", "CredSSP"
	// (NLA), "CredSSP with early user authorization", "RDSTLS", or "standard
	// RDP security" when the confirm carries no negotiation response.
	Protocol string `json:"protocol,omitempty"`
	// Failure is the negotiation failure code's name, when the server refused
	// every protocol offered ([MS-RDPBCGR] 2.2.1.2.2).
	Failure string `json:"failure,omitempty"`
}

func (r *RDPDetail) summary() string {
	if r.Failure != "" {
		return "RDP negotiation failed: " + r.Failure
	}
	return "RDP " + r.Protocol
}

// Requested protocols ([MS-RDPBCGR] 2.2.1.1.1).
const (
	rdpProtocolRDP      = 0x0
	rdpProtocolSSL      = 0x1
	rdpProtocolHybrid   = 0x2
	rdpProtocolRDSTLS   = 0x4
	rdpProtocolHybridEx = 0x8
)

// rdpConnectionRequest is the TPKT header (RFC 1006 §6: version 3, length 19),
// the X.224 CR TPDU (X.224 §13.3: LI 14, CR 0xe0, DST-REF and SRC-REF 0, class
// 0) and the RDP_NEG_REQ (type 1, flags 0, length 8, requestedProtocols SSL |
// HYBRID | HYBRID_EX). No routing token or cookie: the probe names no user.
var rdpConnectionRequest = []byte{
	0x03, 0x00, 0x00, 0x13,
	0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x08, 0x00, rdpProtocolSSL | rdpProtocolHybrid | rdpProtocolHybridEx, 0x00, 0x00, 0x00,
}

type rdpDialog struct {
	d     ServiceDetail
	state int
}

func (r *rdpDialog) Detail() *ServiceDetail { return &r.d }

func (r *rdpDialog) Next(in []byte) (Step, error) {
	switch r.state {
	case 0:
		r.state = 1
		return Step{Send: rdpConnectionRequest}, nil
	case 1:
		if len(in) >= 2 && (in[0] != 0x03 || in[1] != 0x00) {
			return Step{}, wrongService("an RDP connection confirm (TPKT)", in)
		}
		if len(in) < 4 {
			return Step{}, nil
		}
		n := int(binary.BigEndian.Uint16(in[2:]))
		if n < 11 {
			return Step{}, wrongService("an RDP connection confirm (TPKT)", in)
		}
		if len(in) < n {
			return Step{}, nil
		}
		d, tls, err := rdpParseConfirm(in[:n])
		if err != nil {
			return Step{}, wrongService("an RDP connection confirm", in)
		}
		r.d.RDP = d
		if tls {
			r.state = 2
			return Step{StartTLS: true}, nil
		}
		return Step{Done: true}, nil
	}
	return Step{Done: true}, nil
}

// rdpParseConfirm reads an X.224 Connection Confirm (X.224 §13.4: CC 0xd0) and
// its RDP_NEG_RSP or RDP_NEG_FAILURE; tls says a TLS handshake follows.
func rdpParseConfirm(b []byte) (*RDPDetail, bool, error) {
	li := int(b[4])
	if b[5]&0xf0 != 0xd0 || li < 6 || 5+li > len(b) {
		return nil, false, errNotReply
	}
	neg := b[11:min(len(b), 5+li)]
	if len(neg) < 8 {
		return &RDPDetail{Protocol: "standard RDP security"}, false, nil
	}
	v := binary.LittleEndian.Uint32(neg[4:])
	switch neg[0] {
	case 0x02: // RDP_NEG_RSP
		switch v {
		case rdpProtocolRDP:
			return &RDPDetail{Protocol: "standard RDP security"}, false, nil
		case rdpProtocolSSL:
			return &RDPDetail{Protocol: "TLS"}, true, nil
		case rdpProtocolHybrid:
			return &RDPDetail{Protocol: "CredSSP"}, true, nil
		case rdpProtocolRDSTLS:
			return &RDPDetail{Protocol: "RDSTLS"}, true, nil
		case rdpProtocolHybridEx:
			return &RDPDetail{Protocol: "CredSSP with early user authorization"}, true, nil
		}
		return &RDPDetail{Protocol: fmt.Sprintf("protocol 0x%x", v)}, false, nil
	case 0x03: // RDP_NEG_FAILURE
		names := map[uint32]string{1: "SSL_REQUIRED_BY_SERVER", 2: "SSL_NOT_ALLOWED_BY_SERVER", 3: "SSL_CERT_NOT_ON_SERVER",
			4: "INCONSISTENT_FLAGS", 5: "HYBRID_REQUIRED_BY_SERVER", 6: "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER"}
		n := names[v]
		if n == "" {
			n = fmt.Sprintf("code %d", v)
		}
		return &RDPDetail{Failure: n}, false, nil
	}
	return nil, false, errNotReply
}
