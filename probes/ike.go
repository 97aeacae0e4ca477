package probes

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// IKE probes an IPsec responder on 500/udp. It sends an IKEv2 IKE_SA_INIT (RFC 7296
// §1.2) and then an IKEv1 Main Mode first message (RFC 2409 §5), each under its own
// random initiator SPI, because a gateway may speak only one of the two versions. A
// responder answers an initiator it has never heard of with either a full SA_INIT /
// Main Mode reply or a notification such as NO_PROPOSAL_CHOSEN; both prove it open.
var IKE = &Probe{
	Name:  "ike",
	Ports: []uint16{500},
	Silence: "an IKE responder answers any well-formed IKE_SA_INIT or Main Mode message, " +
		"even with NO_PROPOSAL_CHOSEN; silence means a filter, a gateway that only " +
		"accepts source port 500, or rate limiting after repeated probes",
	New:    func(rnd io.Reader, _ Options) (Query, error) { return newIKEQuery(rnd, false) },
	Detail: (*IKEDetail)(nil),
}

// IKENATT probes IKE on the NAT-Traversal port 4500/udp. RFC 3948 §2.2 puts a 4-byte
// zero non-ESP marker in front of every IKE message there, to tell it from an ESP
// packet whose first four bytes are a nonzero SPI; strongSwan silently drops IKE on
// 4500 without the marker, and its replies carry the marker too.
var IKENATT = &Probe{
	Name:  "ike-natt",
	Ports: []uint16{4500},
	Silence: "an IKE responder answers any well-formed IKE message behind the non-ESP " +
		"marker; silence means a filter or a gateway without NAT-T",
	New:    func(rnd io.Reader, _ Options) (Query, error) { return newIKEQuery(rnd, true) },
	Detail: (*IKEDetail)(nil),
}

// Field values from RFC 7296 §3 (IKEv2) and RFC 2408 §3 / RFC 2409 Appendix A (IKEv1).
const (
	ikeHeaderLen = 28

	ikeV1 = 0x10 // major version 1, minor 0
	ikeV2 = 0x20 // major version 2, minor 0

	ikeV2FlagInitiator = 0x08
	ikeV2FlagResponse  = 0x20
	ikeV1FlagEncrypted = 0x01

	// IKEv2 payload types (RFC 7296 §3.2).
	ikeV2PayloadSA     = 33
	ikeV2PayloadKE     = 34
	ikeV2PayloadNonce  = 40
	ikeV2PayloadNotify = 41
	ikeV2PayloadVendor = 43

	// IKEv1 payload types (RFC 2408 §3.1).
	ikeV1PayloadSA     = 1
	ikeV1PayloadNotify = 11
	ikeV1PayloadVendor = 13

	ikeV2ExchangeSAInit = 34
	ikeV1ExchangeMain   = 2

	// ikeDHGroup is MODP-2048 (RFC 3526 §3), IANA Diffie-Hellman group 14.
	ikeDHGroup = 14
	// ikeKELen is the length of a group-14 public value.
	ikeKELen = 256
	// ikeNonceLen is the IKEv2 nonce length; RFC 7296 §2.10 asks for at least 16
	// bytes and at least half the PRF key size.
	ikeNonceLen = 32
)

// ikeQuery is one IKE exchange in flight: an IKEv2 and an IKEv1 message, told
// apart in replies by their initiator SPIs.
type ikeQuery struct {
	natt    bool
	spi2    [8]byte // initiator SPI of the IKEv2 message
	spi1    [8]byte // initiator cookie of the IKEv1 message
	packets [][]byte
}

func newIKEQuery(rnd io.Reader, natt bool) (*ikeQuery, error) {
	q := &ikeQuery{natt: natt}
	var nonce [ikeNonceLen]byte
	ke := make([]byte, ikeKELen)
	for _, b := range [][]byte{q.spi2[:], q.spi1[:], nonce[:], ke} {
		if _, err := io.ReadFull(rnd, b); err != nil {
			return nil, fmt.Errorf("ike: random: %w", err)
		}
	}
	// RFC 7296 §3.1: an initiator SPI of zero is invalid; RFC 2408 §3.1 likewise
	// requires a nonzero cookie. Force one bit rather than drawing again so that the
	// number of random bytes consumed is fixed.
	q.spi2[7] |= 1
	q.spi1[7] |= 1
	if q.spi1 == q.spi2 {
		q.spi1[0] ^= 0xff
	}
	// The public value only has to be below the group prime (RFC 3526's MODP-2048
	// prime begins with 0xff…); a cleared top bit guarantees it.
	ke[0] &= 0x7f
	q.packets = [][]byte{
		ikeWrap(natt, ikeV2SAInit(q.spi2, ke, nonce[:])),
		ikeWrap(natt, ikeV1MainMode(q.spi1)),
	}
	return q, nil
}

// ikeWrap prefixes the RFC 3948 §2.2 non-ESP marker on the NAT-T port.
func ikeWrap(natt bool, msg []byte) []byte {
	if !natt {
		return msg
	}
	return append([]byte{0, 0, 0, 0}, msg...)
}

// ikeV2SAInit builds the IKEv2 IKE_SA_INIT request of RFC 7296 §1.2: HDR, SAi1, KEi,
// Ni. The one proposal (AES-CBC-128, PRF-HMAC-SHA1, HMAC-SHA1-96, MODP-2048) is the
// one protocols.md §8 was checked with; a responder that wants something else still
// answers, with NO_PROPOSAL_CHOSEN or INVALID_KE_PAYLOAD.
func ikeV2SAInit(spi [8]byte, ke, nonce []byte) []byte {
	sa := []byte{
		ikeV2PayloadKE, 0, 0, 48, // SA payload header: next KE, length 48
		0, 0, 0, 44, 1, 1, 0, 4, // last proposal, length 44, #1, protocol IKE, no SPI, 4 transforms
		3, 0, 0, 12, 1, 0, 0, 12, 0x80, 14, 0, 128, // ENCR AES-CBC, Key Length 128
		3, 0, 0, 8, 2, 0, 0, 2, // PRF HMAC-SHA1
		3, 0, 0, 8, 3, 0, 0, 2, // INTEG HMAC-SHA1-96
		0, 0, 0, 8, 4, 0, 0, ikeDHGroup, // last transform: D-H group 14
	}
	total := ikeHeaderLen + len(sa) + 8 + len(ke) + 4 + len(nonce)
	b := make([]byte, 0, total)
	b = append(b, spi[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // responder SPI: unknown yet
	b = append(b, ikeV2PayloadSA, ikeV2, ikeV2ExchangeSAInit, ikeV2FlagInitiator)
	b = append(b, 0, 0, 0, 0) // message ID 0
	b = binary.BigEndian.AppendUint32(b, uint32(total))
	b = append(b, sa...)
	b = append(b, ikeV2PayloadNonce, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(ke)))
	b = append(b, 0, ikeDHGroup, 0, 0) // D-H group, reserved
	b = append(b, ke...)
	b = append(b, 0, 0) // last payload
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(nonce)))
	b = append(b, nonce...)
	return b
}

// ikeV1MainMode builds the first Main Mode message (RFC 2409 §5): HDR, SA. The SA
// has one ISAKMP proposal with four transforms, 3DES and DES each with SHA-1 and
// MD5, all with pre-shared keys and MODP-1024 (group 2), like ike-scan's and nmap's
// probes, so that old gateways (Windows Server's IKEv1 policy agent among them)
// find something familiar. The lifetime is 28800 s, the RFC 2409 Appendix A
// customary value.
func ikeV1MainMode(cookie [8]byte) []byte {
	type tr struct{ enc, hash byte }
	trs := []tr{{5, 2}, {5, 1}, {1, 2}, {1, 1}} // 3DES-SHA, 3DES-MD5, DES-SHA, DES-MD5
	const trLen = 36
	propLen := 8 + trLen*len(trs)
	saLen := 12 + propLen
	total := ikeHeaderLen + saLen
	b := make([]byte, 0, total)
	b = append(b, cookie[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // responder cookie
	b = append(b, ikeV1PayloadSA, ikeV1, ikeV1ExchangeMain, 0)
	b = append(b, 0, 0, 0, 0) // message ID 0
	b = binary.BigEndian.AppendUint32(b, uint32(total))
	// SA payload: no next payload, DOI 1 (IPsec, RFC 2407 §4.2), situation SIT_IDENTITY_ONLY.
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(saLen))
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 1)
	// Proposal #1, PROTO_ISAKMP, no SPI.
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(propLen))
	b = append(b, 1, 1, 0, byte(len(trs)))
	for i, t := range trs {
		next := byte(3) // another transform follows
		if i == len(trs)-1 {
			next = 0
		}
		b = append(b, next, 0, 0, trLen, byte(i+1), 1, 0, 0) // transform #i+1, KEY_IKE
		b = append(b,
			0x80, 1, 0, t.enc, // Encryption Algorithm
			0x80, 2, 0, t.hash, // Hash Algorithm
			0x80, 3, 0, 1, // Authentication Method: pre-shared key
			0x80, 4, 0, 2, // Group Description: MODP-1024
			0x80, 11, 0, 1, // Life Type: seconds
			0x00, 12, 0, 4, 0, 0, 0x70, 0x80, // Life Duration (variable length): 28800
		)
	}
	return b
}

// Packets returns the IKEv2 message, then the IKEv1 one.
func (q *ikeQuery) Packets() [][]byte { return q.packets }

// Match accepts a datagram whose initiator SPI is one of ours and whose version
// and flags make it a responder's message (RFC 7296 §3.1: the Response flag; an
// IKEv1 responder is known by a nonzero responder cookie or an Informational
// exchange), then decodes the payload chain.
func (q *ikeQuery) Match(reply []byte) (Detail, error) {
	msg := reply
	if q.natt {
		if len(msg) < 4 || !bytes.Equal(msg[:4], []byte{0, 0, 0, 0}) {
			return nil, ErrNotMine // ESP, or a NAT-T keepalive
		}
		msg = msg[4:]
	}
	if len(msg) < ikeHeaderLen {
		return nil, ErrNotMine
	}
	for _, p := range q.packets {
		if bytes.Equal(reply, p) {
			return nil, ErrNotMine // our own message reflected (an echo service)
		}
	}
	var sent byte
	switch {
	case bytes.Equal(msg[:8], q.spi2[:]):
		sent = ikeV2
	case bytes.Equal(msg[:8], q.spi1[:]):
		sent = ikeV1
	default:
		return nil, ErrNotMine
	}
	d, err := ikeParse(msg)
	if err != nil {
		return nil, err
	}
	d.NATT = q.natt
	d.Probe = ikeVersionName(sent)
	return d, nil
}

// ikeParse decodes an IKE message from a responder. It returns ErrNotMine for a
// header that is not a responder's, and another error when the payload chain is
// cut short or inconsistent.
func ikeParse(msg []byte) (*IKEDetail, error) {
	if len(msg) < ikeHeaderLen {
		return nil, ErrNotMine
	}
	next := msg[16]
	ver := msg[17]
	exch := msg[18]
	flags := msg[19]
	length := binary.BigEndian.Uint32(msg[24:28])
	d := &IKEDetail{
		Version:      ikeVersionName(ver),
		ExchangeType: exch,
		ResponderSPI: hex.EncodeToString(msg[8:16]),
	}
	switch ver >> 4 {
	case 2:
		if flags&ikeV2FlagResponse == 0 {
			return nil, ErrNotMine // an initiator's message, not an answer
		}
		d.Exchange = ikeV2Exchanges[exch]
	case 1:
		// Any IKEv1 message from a responder carries its cookie, except an
		// Informational notification sent before it chose one.
		if bytes.Equal(msg[8:16], make([]byte, 8)) && exch != 5 {
			return nil, ErrNotMine
		}
		d.Exchange = ikeV1Exchanges[exch]
	default:
		return nil, ErrNotMine
	}
	if d.Exchange == "" {
		d.Exchange = fmt.Sprintf("exchange %d", exch)
	}
	if length < ikeHeaderLen {
		return nil, fmt.Errorf("ike: header length %d below %d", length, ikeHeaderLen)
	}
	if int64(length) > int64(len(msg)) {
		return nil, fmt.Errorf("ike: truncated: header length %d, datagram %d bytes", length, len(msg))
	}
	if ver>>4 == 1 && flags&ikeV1FlagEncrypted != 0 {
		d.Encrypted = true
		return d, nil
	}
	body := msg[ikeHeaderLen:length]
	for next != 0 {
		if len(body) < 4 {
			return nil, fmt.Errorf("ike: payload %d cut short", next)
		}
		plen := int(binary.BigEndian.Uint16(body[2:4]))
		if plen < 4 || plen > len(body) {
			return nil, fmt.Errorf("ike: payload %d length %d out of range", next, plen)
		}
		p := body[4:plen]
		if err := d.payload(ver>>4, next, p); err != nil {
			return nil, err
		}
		next = body[0]
		body = body[plen:]
	}
	return d, nil
}

// payload records what one payload says.
func (d *IKEDetail) payload(major, typ byte, p []byte) error {
	switch {
	case major == 2 && typ == ikeV2PayloadNotify:
		// RFC 7296 §3.10: protocol ID, SPI size, notify type, SPI, data.
		if len(p) < 4 {
			return errors.New("ike: short notify payload")
		}
		d.addNotify(binary.BigEndian.Uint16(p[2:4]), ikeV2Notify)
	case major == 1 && typ == ikeV1PayloadNotify:
		// RFC 2408 §3.14: DOI, protocol ID, SPI size, notify type, SPI, data.
		if len(p) < 8 {
			return errors.New("ike: short notification payload")
		}
		d.addNotify(binary.BigEndian.Uint16(p[6:8]), ikeV1Notify)
	case (major == 2 && typ == ikeV2PayloadVendor) || (major == 1 && typ == ikeV1PayloadVendor):
		d.VendorIDs = append(d.VendorIDs, IKEVendorID{ID: hex.EncodeToString(p), Name: ikeVendorName(p)})
	case major == 2 && typ == ikeV2PayloadSA:
		d.Proposal = ikeV2Chosen(p)
	case major == 1 && typ == ikeV1PayloadSA:
		d.Proposal = ikeV1Chosen(p)
	case major == 2 && typ == ikeV2PayloadKE:
		if len(p) >= 2 {
			d.DHGroup = binary.BigEndian.Uint16(p[0:2])
		}
	}
	return nil
}

func (d *IKEDetail) addNotify(t uint16, names map[uint16]string) {
	name := names[t]
	if name == "" {
		name = fmt.Sprintf("NOTIFY_%d", t)
	}
	d.Notify = append(d.Notify, IKENotify{Type: t, Name: name})
}

// ikeV2Chosen names the transforms of the proposal a responder picked
// (RFC 7296 §3.3); only the ones our request offers have names here.
func ikeV2Chosen(sa []byte) string {
	if len(sa) < 8 {
		return ""
	}
	plen := int(binary.BigEndian.Uint16(sa[2:4]))
	if plen < 8 || plen > len(sa) {
		return ""
	}
	spiSize := int(sa[6])
	n := int(sa[7])
	t := sa[8:plen]
	if spiSize > len(t) {
		return ""
	}
	t = t[spiSize:]
	var names []string
	for i := 0; i < n && len(t) >= 8; i++ {
		tlen := int(binary.BigEndian.Uint16(t[2:4]))
		if tlen < 8 || tlen > len(t) {
			break
		}
		typ, id := t[4], binary.BigEndian.Uint16(t[6:8])
		name := ikeV2TransformNames[[2]uint16{uint16(typ), id}]
		if name == "" {
			name = fmt.Sprintf("%d/%d", typ, id)
		}
		if typ == 1 { // key length attribute, if any
			a := t[8:tlen]
			if len(a) >= 4 && binary.BigEndian.Uint16(a[0:2]) == 0x800e {
				name += fmt.Sprintf("-%d", binary.BigEndian.Uint16(a[2:4]))
			}
		}
		names = append(names, name)
		t = t[tlen:]
	}
	return strings.Join(names, "/")
}

// ikeV1Chosen names the attributes of the transform a Main Mode responder
// accepted (RFC 2409 Appendix A).
func ikeV1Chosen(sa []byte) string {
	// DOI, situation, then the proposal payload and its first transform.
	if len(sa) < 8+8+8 {
		return ""
	}
	prop := sa[8:]
	spiSize := int(prop[6])
	if len(prop) < 8+spiSize+8 {
		return ""
	}
	t := prop[8+spiSize:]
	tlen := int(binary.BigEndian.Uint16(t[2:4]))
	if tlen < 8 || tlen > len(t) {
		return ""
	}
	attrs := t[8:tlen]
	var names []string
	for len(attrs) >= 4 {
		typ := binary.BigEndian.Uint16(attrs[0:2])
		var val uint32
		if typ&0x8000 != 0 {
			val = uint32(binary.BigEndian.Uint16(attrs[2:4]))
			attrs = attrs[4:]
		} else {
			l := int(binary.BigEndian.Uint16(attrs[2:4]))
			if 4+l > len(attrs) {
				break
			}
			for _, c := range attrs[4 : 4+l] {
				val = val<<8 | uint32(c)
			}
			attrs = attrs[4+l:]
		}
		if name := ikeV1AttrNames[[2]uint32{uint32(typ &^ 0x8000), val}]; name != "" {
			names = append(names, name)
		}
	}
	return strings.Join(names, "/")
}

// IKEDetail is what an IKE responder's message says.
type IKEDetail struct {
	// Probe is which of our two messages it answers: "IKEv2" or "IKEv1".
	Probe string `json:"probe"`
	// Version is the responder's header version: "IKEv2", "IKEv1" or "version 0xNN".
	Version string `json:"version"`
	// Exchange names the exchange type (IKE_SA_INIT, INFORMATIONAL, Main Mode…).
	Exchange     string `json:"exchange"`
	ExchangeType uint8  `json:"exchange_type"`
	// ResponderSPI is the responder's SPI in hex; all zeros in a stateless notify
	// such as COOKIE.
	ResponderSPI string `json:"responder_spi"`
	// Notify lists the notification types, in order.
	Notify []IKENotify `json:"notify,omitempty"`
	// VendorIDs fingerprint the implementation.
	VendorIDs []IKEVendorID `json:"vendor_ids,omitempty"`
	// Proposal names the transforms the responder chose, when it sent an SA.
	Proposal string `json:"proposal,omitempty"`
	// DHGroup is the group of the responder's KE payload (IKEv2).
	DHGroup uint16 `json:"dh_group,omitempty"`
	// Encrypted is set when an IKEv1 reply's payloads are encrypted and unread.
	Encrypted bool `json:"encrypted,omitempty"`
	// NATT is set when the exchange ran behind the NAT-T non-ESP marker.
	NATT bool `json:"nat_t,omitempty"`
}

// IKENotify is one notification payload.
type IKENotify struct {
	Type uint16 `json:"type"`
	Name string `json:"name"`
}

// IKEVendorID is one Vendor ID payload: its bytes in hex and, when known, whose it is.
type IKEVendorID struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Summary reads like "IKEv2 IKE_SA_INIT, NO_PROPOSAL_CHOSEN, vendor strongSwan".
func (d *IKEDetail) Summary() string {
	parts := []string{d.Version + " " + d.Exchange}
	for _, n := range d.Notify {
		parts = append(parts, n.Name)
	}
	if d.Proposal != "" {
		parts = append(parts, d.Proposal)
	}
	if d.Encrypted {
		parts = append(parts, "encrypted")
	}
	var vendors []string
	for _, v := range d.VendorIDs {
		if v.Name != "" {
			vendors = append(vendors, v.Name)
		}
	}
	if len(vendors) > 0 {
		parts = append(parts, "vendor "+strings.Join(vendors, ", "))
	}
	if n := len(d.VendorIDs) - len(vendors); n > 0 {
		parts = append(parts, fmt.Sprintf("%d unknown vendor ID(s)", n))
	}
	return strings.Join(parts, ", ")
}

func ikeVersionName(v byte) string {
	switch v >> 4 {
	case 1:
		return "IKEv1"
	case 2:
		return "IKEv2"
	}
	return fmt.Sprintf("version 0x%02x", v)
}

// ikeV2Exchanges are the IKEv2 exchange types of RFC 7296 §3.1.
var ikeV2Exchanges = map[byte]string{
	34: "IKE_SA_INIT",
	35: "IKE_AUTH",
	36: "CREATE_CHILD_SA",
	37: "INFORMATIONAL",
}

// ikeV1Exchanges are the ISAKMP exchange types of RFC 2408 §3.1 and RFC 2409.
var ikeV1Exchanges = map[byte]string{
	1:  "Base",
	2:  "Main Mode",
	3:  "Authentication Only",
	4:  "Aggressive Mode",
	5:  "Informational",
	32: "Quick Mode",
	33: "New Group Mode",
}

// ikeV2Notify names IKEv2 notify message types (RFC 7296 §3.10.1 and the IANA
// "IKEv2 Notify Message Types" registry).
var ikeV2Notify = map[uint16]string{
	1:     "UNSUPPORTED_CRITICAL_PAYLOAD",
	4:     "INVALID_IKE_SPI",
	5:     "INVALID_MAJOR_VERSION",
	7:     "INVALID_SYNTAX",
	9:     "INVALID_MESSAGE_ID",
	11:    "INVALID_SPI",
	14:    "NO_PROPOSAL_CHOSEN",
	17:    "INVALID_KE_PAYLOAD",
	24:    "AUTHENTICATION_FAILED",
	34:    "SINGLE_PAIR_REQUIRED",
	35:    "NO_ADDITIONAL_SAS",
	36:    "INTERNAL_ADDRESS_FAILURE",
	37:    "FAILED_CP_REQUIRED",
	38:    "TS_UNACCEPTABLE",
	39:    "INVALID_SELECTORS",
	43:    "TEMPORARY_FAILURE",
	44:    "CHILD_SA_NOT_FOUND",
	16384: "INITIAL_CONTACT",
	16385: "SET_WINDOW_SIZE",
	16386: "ADDITIONAL_TS_POSSIBLE",
	16387: "IPCOMP_SUPPORTED",
	16388: "NAT_DETECTION_SOURCE_IP",
	16389: "NAT_DETECTION_DESTINATION_IP",
	16390: "COOKIE",
	16391: "USE_TRANSPORT_MODE",
	16392: "HTTP_CERT_LOOKUP_SUPPORTED",
	16393: "REKEY_SA",
	16394: "ESP_TFC_PADDING_NOT_SUPPORTED",
	16395: "NON_FIRST_FRAGMENTS_ALSO",
	16396: "MOBIKE_SUPPORTED",
	16404: "MULTIPLE_AUTH_SUPPORTED",
	16405: "ANOTHER_AUTH_FOLLOWS",
	16406: "REDIRECT_SUPPORTED",
	16407: "REDIRECT",
	16408: "REDIRECTED_FROM",
	16418: "CHILDLESS_IKEV2_SUPPORTED", // RFC 6023
	16430: "IKEV2_FRAGMENTATION_SUPPORTED",
	16431: "SIGNATURE_HASH_ALGORITHMS",
}

// ikeV1Notify names ISAKMP notify message types (RFC 2408 §3.14.1, RFC 2407 §4.6.3).
var ikeV1Notify = map[uint16]string{
	1:     "INVALID_PAYLOAD_TYPE",
	2:     "DOI_NOT_SUPPORTED",
	3:     "SITUATION_NOT_SUPPORTED",
	4:     "INVALID_COOKIE",
	5:     "INVALID_MAJOR_VERSION",
	6:     "INVALID_MINOR_VERSION",
	7:     "INVALID_EXCHANGE_TYPE",
	8:     "INVALID_FLAGS",
	9:     "INVALID_MESSAGE_ID",
	10:    "INVALID_PROTOCOL_ID",
	11:    "INVALID_SPI",
	12:    "INVALID_TRANSFORM_ID",
	13:    "ATTRIBUTES_NOT_SUPPORTED",
	14:    "NO_PROPOSAL_CHOSEN",
	15:    "BAD_PROPOSAL_SYNTAX",
	16:    "PAYLOAD_MALFORMED",
	17:    "INVALID_KEY_INFORMATION",
	18:    "INVALID_ID_INFORMATION",
	19:    "INVALID_CERT_ENCODING",
	20:    "INVALID_CERTIFICATE",
	21:    "CERT_TYPE_UNSUPPORTED",
	22:    "INVALID_CERT_AUTHORITY",
	23:    "INVALID_HASH_INFORMATION",
	24:    "AUTHENTICATION_FAILED",
	25:    "INVALID_SIGNATURE",
	26:    "ADDRESS_NOTIFICATION",
	27:    "NOTIFY_SA_LIFETIME",
	28:    "CERTIFICATE_UNAVAILABLE",
	29:    "UNSUPPORTED_EXCHANGE_TYPE",
	30:    "UNEQUAL_PAYLOAD_LENGTHS",
	24576: "RESPONDER_LIFETIME",
	24577: "REPLAY_STATUS",
	24578: "INITIAL_CONTACT",
}

// ikeV2TransformNames names (transform type, ID) pairs of RFC 7296 §3.3.2 for the
// transforms our IKE_SA_INIT offers.
var ikeV2TransformNames = map[[2]uint16]string{
	{1, 12}: "AES_CBC",
	{2, 2}:  "PRF_HMAC_SHA1",
	{3, 2}:  "AUTH_HMAC_SHA1_96",
	{4, 14}: "MODP_2048",
}

// ikeV1AttrNames names (attribute class, value) pairs of RFC 2409 Appendix A for
// the attributes our Main Mode proposal offers.
var ikeV1AttrNames = map[[2]uint32]string{
	{1, 1}: "DES",
	{1, 5}: "3DES",
	{2, 1}: "MD5",
	{2, 2}: "SHA1",
	{3, 1}: "PSK",
	{4, 2}: "MODP_1024",
}

// ikeVendors are Vendor ID prefixes with the implementation or extension they
// announce. Most are MD5 digests of a fixed string (see ike_test.go, which
// recomputes them); trailing bytes after the prefix carry a version.
var ikeVendors = []struct {
	prefix []byte
	name   string
}{
	{ikeHex("882fe56d6fd20dbc2251613b2ebe5beb"), "strongSwan"},
	{ikeHex("4a131c81070358455c5728f20e95452f"), "RFC 3947 NAT-T"},
	{ikeHex("90cb80913ebb696e086381b5ec427b1f"), "NAT-T draft-02"},
	{ikeHex("cd60464335df21f87cfdb2fc68b6a448"), "NAT-T draft-02"},
	{ikeHex("7d9419a65310ca6f2c179d9215529d56"), "NAT-T draft-03"},
	{ikeHex("afcad71368a1f1c96b8696fc77570100"), "DPD"}, // RFC 3706 §7
	{ikeHex("09002689dfd6b712"), "XAUTH"},
	{ikeHex("12f5f28c457168a9702d9fe274cc"), "Cisco Unity"},
	{ikeHex("4048b7d56ebce88525e7de7f00d6c2d3"), "IKE fragmentation"},
	{ikeHex("1e2b516905991c7d7c96fcbfb587e461"), "MS NT5 ISAKMPOAKLEY (Windows)"},
}

func ikeVendorName(id []byte) string {
	for _, v := range ikeVendors {
		if bytes.HasPrefix(id, v.prefix) {
			if v.name == "MS NT5 ISAKMPOAKLEY (Windows)" && len(id) == 20 {
				return fmt.Sprintf("MS NT5 ISAKMPOAKLEY v%d (Windows)", binary.BigEndian.Uint32(id[16:20]))
			}
			return v.name
		}
	}
	return ""
}

// ikeHex decodes a hex constant of the table above.
func ikeHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil // a typo here is caught by TestIKEVendorIDs
	}
	return b
}
