package probes

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// RADIUS probes a RADIUS authentication server (1812/udp, and 1645/udp, the port
// older NPS/IAS and Cisco setups use) with an Access-Request (RFC 2865 §4.1) that
// carries only a User-Name. A server answers it only if the scanner's address is a
// configured client: RFC 2865 §2 makes it silently discard anything else, so
// open|filtered is the expected verdict for a listening server. From a configured
// client the answer is an Access-Reject, delayed by the server's reject delay
// (FreeRADIUS: 1 s by default), hence MinWait.
var RADIUS = &Probe{
	Name:  "radius",
	Mute:  true,
	Ports: []uint16{1812, 1645},
	Silence: "RFC 2865 §2: a RADIUS server silently discards requests from clients it " +
		"shares no secret with, and BlastRADIUS-hardened servers also drop requests " +
		"without Message-Authenticator; silence is expected from a listening server",
	MinWait: 2 * time.Second,
	New: func(rnd io.Reader, _ Options) (Query, error) {
		return newRADIUSQuery(rnd, func(id byte, auth [16]byte) []byte {
			return radiusAccessRequest(id, auth, radiusUserName)
		}, radiusAccessAccept, radiusAccessReject, radiusAccessChallenge)
	},
	Detail: (*RADIUSDetail)(nil),
}

// RADIUSAcct probes a RADIUS accounting server (1813/udp and the legacy 1646/udp)
// with a Status-Server (RFC 5997), the request designed for asking whether a
// server is alive: unlike an Accounting-Request it cannot open, close or reset
// sessions in the server's records even if it were accepted. RFC 5997 §3 requires
// it to carry a Message-Authenticator keyed with the shared secret, which the
// scanner does not know, so a server that checks it (all do) drops the probe; only
// ICMP port unreachable gives a firm answer, closed.
var RADIUSAcct = &Probe{
	Name:  "radius-acct",
	Mute:  true,
	Ports: []uint16{1813, 1646},
	Silence: "RFC 5997 §3 / RFC 2866 §4.1: accounting requests are authenticated with the " +
		"shared secret, which the scanner lacks, so the server silently discards them; " +
		"silence is expected from a listening server",
	New: func(rnd io.Reader, _ Options) (Query, error) {
		return newRADIUSQuery(rnd, func(id byte, auth [16]byte) []byte {
			return radiusStatusServer(id, auth, nil)
		}, radiusAccountingResponse)
	},
	Detail: (*RADIUSDetail)(nil),
}

// newRADIUSQuery draws the Identifier and Request Authenticator, builds the
// request with them and accepts replies with one of codes.
func newRADIUSQuery(rnd io.Reader, build func(id byte, auth [16]byte) []byte, codes ...byte) (Query, error) {
	var b [17]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return nil, fmt.Errorf("radius: random: %w", err)
	}
	auth := [16]byte(b[1:])
	return &radiusQuery{id: b[0], packet: build(b[0], auth), codes: codes}, nil
}

// radiusUserName identifies the scanner in the server's logs (NPS event 6273 and
// FreeRADIUS's auth log name the user).
const radiusUserName = "portreach"

// RADIUS codes (RFC 2865 §3, RFC 2866 §3, RFC 5997 §2).
const (
	radiusAccessRequestCode  = 1
	radiusAccessAccept       = 2
	radiusAccessReject       = 3
	radiusAccountingResponse = 5
	radiusAccessChallenge    = 11
	radiusStatusServerCode   = 12

	radiusAttrUserName     = 1
	radiusAttrReplyMessage = 18
	radiusAttrState        = 24
	radiusAttrEAPMessage   = 79
	radiusAttrMsgAuth      = 80
	radiusAttrErrorCause   = 101
)

type radiusQuery struct {
	id     byte
	packet []byte
	codes  []byte // reply codes that answer our request
}

// radiusAccessRequest builds Code 1, Identifier, Length, the random Request
// Authenticator (RFC 2865 §3: unpredictable, so also our match cookie), and one
// User-Name attribute. There is no password: the server cannot accept the request,
// which is the point; a configured client gets an Access-Reject.
func radiusAccessRequest(id byte, auth [16]byte, user string) []byte {
	b := []byte{radiusAccessRequestCode, id, 0, 0}
	b = append(b, auth[:]...)
	b = append(b, radiusAttrUserName, byte(2+len(user)))
	b = append(b, user...)
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	return b
}

// radiusStatusServer builds a Status-Server (RFC 5997 §3) whose only attribute is
// the Message-Authenticator, an HMAC-MD5 over the whole packet keyed with the
// shared secret (RFC 3579 §3.2). The probe has no secret and uses an empty key;
// tests use a real one to capture a server's answer.
func radiusStatusServer(id byte, auth [16]byte, secret []byte) []byte {
	b := []byte{radiusStatusServerCode, id, 0, 38}
	b = append(b, auth[:]...)
	b = append(b, radiusAttrMsgAuth, 18)
	b = append(b, make([]byte, 16)...)
	m := hmac.New(md5.New, secret)
	m.Write(b)
	copy(b[22:], m.Sum(nil))
	return b
}

// Packets returns the request.
func (q *radiusQuery) Packets() [][]byte { return [][]byte{q.packet} }

// Match accepts a reply with one of the expected codes and our Identifier
// (RFC 2865 §3). The Response Authenticator, MD5 over the reply and the shared
// secret, would prove the reply answers exactly our request, but the scanner has
// no secret, so it cannot be checked.
func (q *radiusQuery) Match(reply []byte) (Detail, error) {
	if len(reply) < 20 || reply[1] != q.id {
		return nil, ErrNotMine
	}
	ok := false
	for _, c := range q.codes {
		ok = ok || reply[0] == c
	}
	if !ok {
		return nil, ErrNotMine
	}
	d, err := radiusParse(reply)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// radiusParse decodes a RADIUS reply whose header is already known to be ours.
func radiusParse(b []byte) (*RADIUSDetail, error) {
	if len(b) < 20 {
		return nil, ErrNotMine
	}
	// RFC 2865 §3: octets past Length are padding; a Length beyond the datagram
	// or outside 20…4096 makes the packet invalid.
	length := int(binary.BigEndian.Uint16(b[2:4]))
	if length < 20 || length > 4096 || length > len(b) {
		return nil, fmt.Errorf("radius: length %d out of range (datagram %d bytes)", length, len(b))
	}
	d := &RADIUSDetail{Code: b[0], CodeName: radiusCodeName(b[0]), Identifier: b[1], Unverified: true}
	attrs := b[20:length]
	for len(attrs) > 0 {
		if len(attrs) < 2 || attrs[1] < 2 || int(attrs[1]) > len(attrs) {
			return nil, errors.New("radius: attribute overruns the packet")
		}
		typ, val := attrs[0], attrs[2:attrs[1]]
		attrs = attrs[attrs[1]:]
		d.Attributes++
		switch typ {
		case radiusAttrReplyMessage:
			d.ReplyMessages = append(d.ReplyMessages, peerText(val))
		case radiusAttrMsgAuth:
			d.MessageAuthenticator = true
		case radiusAttrState:
			d.State = true
		case radiusAttrEAPMessage:
			d.EAP = true
		case radiusAttrErrorCause:
			if len(val) == 4 {
				d.ErrorCause = binary.BigEndian.Uint32(val)
			}
		}
	}
	return d, nil
}

func radiusCodeName(c byte) string {
	switch c {
	case radiusAccessAccept:
		return "Access-Accept"
	case radiusAccessReject:
		return "Access-Reject"
	case radiusAccountingResponse:
		return "Accounting-Response"
	case radiusAccessChallenge:
		return "Access-Challenge"
	}
	return "code " + strconv.Itoa(int(c))
}

// RADIUSDetail is what a RADIUS reply says. Its Response Authenticator is not
// verified: that needs the shared secret.
type RADIUSDetail struct {
	// Code is the reply code (2 Access-Accept, 3 Access-Reject, 5
	// Accounting-Response, 11 Access-Challenge) and CodeName its name.
	Code       byte   `json:"code"`
	CodeName   string `json:"code_name"`
	Identifier byte   `json:"identifier"`
	// ReplyMessages are the Reply-Message attributes (RFC 2865 §5.18).
	ReplyMessages []string `json:"reply_messages,omitempty"`
	// ErrorCause is the Error-Cause attribute (RFC 5176 §3.5), 0 when absent.
	ErrorCause uint32 `json:"error_cause,omitempty"`
	// MessageAuthenticator is set when the reply carries one (RFC 3579 §3.2);
	// BlastRADIUS-hardened servers always add it.
	MessageAuthenticator bool `json:"message_authenticator,omitempty"`
	// State and EAP are set for an Access-Challenge carrying State or EAP-Message.
	State bool `json:"state,omitempty"`
	EAP   bool `json:"eap,omitempty"`
	// Attributes counts the reply's attributes.
	Attributes int `json:"attributes"`
	// Unverified is always true: without the shared secret the Response
	// Authenticator cannot be checked (RFC 2865 §3).
	Unverified bool `json:"authenticator_unverified"`
}

// Summary reads like `Access-Reject, "Denied"`.
func (d *RADIUSDetail) Summary() string {
	parts := []string{d.CodeName}
	for _, m := range d.ReplyMessages {
		parts = append(parts, strconv.Quote(m))
	}
	if d.ErrorCause != 0 {
		parts = append(parts, fmt.Sprintf("Error-Cause %d", d.ErrorCause))
	}
	if d.MessageAuthenticator {
		parts = append(parts, "Message-Authenticator")
	}
	return strings.Join(parts, ", ")
}
