package msrpc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// This file holds the PDUs (C706 chapter 12, [MS-RPCE] 2.2.2). Everything is
// little-endian because every PDU we send declares drep 10 00 00 00; replies with another data representation are refused
// rather than decoded half-right. See protocols.md §10.

// EPMPort is the TCP port of the RPC endpoint mapper.
const EPMPort = 135

// PDU types (C706 §12.6.4.1, the PTYPE field).
const (
	PTypeRequest  = 0x00
	PTypeResponse = 0x02
	PTypeFault    = 0x03
	PTypeBind     = 0x0b
	PTypeBindAck  = 0x0c
	PTypeBindNak  = 0x0d
)

// pfc_flags bits (C706 §12.6.3.1).
const (
	pfcFirstFrag = 0x01
	pfcLastFrag  = 0x02
)

// HeaderLen is the size of the common PDU header every connection-oriented PDU
// starts with; frag_length sits at offset 8.
const HeaderLen = 16

// MaxFrag is the largest fragment this client accepts, and the max_recv_frag it
// offers in its bind: 4280 is what Windows and Samba offer, and C706 §12.6.3.6 forbids
// a server from sending fragments larger than the receiver's max_recv_frag, so any
// bigger frag_length is a protocol error, never a reason to allocate.
const MaxFrag = 4280

// MaxStub bounds a reassembled response: 500 endpoint entries (the most one
// ept_lookup may return, [MS-RPCE] 2.2.1.2.4) take under 200 KB, so 1 MiB is generous
// and still keeps a hostile server from making us buffer without limit.
const MaxStub = 1 << 20

// EPTNotRegistered is ept_s_not_registered, the status the endpoint mapper returns
// when there are no (more) elements; Samba ends an ept_lookup iteration with it.
const EPTNotRegistered = 0x16c9a0d6

// EPMHandle is an ept_lookup context handle: attributes u32 + UUID, opaque to us.
type EPMHandle [20]byte

// IsZero reports whether the handle is null, which ends an ept_lookup iteration
// (Windows clears the handle on the last batch instead of returning 0x16C9A0D6).
func (h EPMHandle) IsZero() bool { return h == EPMHandle{} }

// ndrSyntax is the NDR transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0.
var ndrSyntax = MustParseUUID("8a885d04-1ceb-11c9-9fe8-08002b104860")

// rpcHeader appends the 16-byte common header; frag_length is patched by finish.
func rpcHeader(ptype byte, callID uint32) []byte {
	b := make([]byte, HeaderLen, 72)
	b[0], b[1], b[2], b[3] = 5, 0, ptype, pfcFirstFrag|pfcLastFrag
	b[4] = 0x10 // drep: little-endian integers, ASCII, IEEE floats
	binary.LittleEndian.PutUint32(b[12:], callID)
	return b
}

func finish(b []byte) []byte {
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

// EPMBind builds the 72-byte bind PDU that asks for the endpoint mapper interface
// (v3.0) with the NDR transfer syntax, offering 4280-byte fragments both ways.
func EPMBind(callID uint32) []byte { return Bind(callID, EPM) }

// Bind builds a bind PDU (C706 §12.6.4.3, [MS-RPCE] 2.2.2.1) with one
// presentation context: the interface id with the NDR transfer syntax, no
// authentication, offering MaxFrag-byte fragments both ways. The server answers
// with a bind_ack that accepts or rejects the context (ParseBindReply).
func Bind(callID uint32, id Interface) []byte {
	b := rpcHeader(PTypeBind, callID)
	b = binary.LittleEndian.AppendUint16(b, MaxFrag) // max_xmit_frag
	b = binary.LittleEndian.AppendUint16(b, MaxFrag) // max_recv_frag
	b = binary.LittleEndian.AppendUint32(b, 0)       // assoc_group_id: new association
	b = append(b, 1, 0, 0, 0)                        // n_context_elem + 3 bytes padding
	b = binary.LittleEndian.AppendUint16(b, 0)       // p_cont_id
	b = append(b, 1, 0)                              // n_transfer_syn + padding
	b = id.UUID.AppendWire(b)
	b = binary.LittleEndian.AppendUint16(b, id.Major) // if_version: major in the low 16 bits
	b = binary.LittleEndian.AppendUint16(b, id.Minor)
	b = ndrSyntax.AppendWire(b)
	b = binary.LittleEndian.AppendUint32(b, 2)
	return finish(b)
}

// request builds a single-fragment request PDU for context 0.
func request(callID uint32, opnum uint16, stub []byte) []byte {
	b := rpcHeader(PTypeRequest, callID)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(stub))) // alloc_hint
	b = binary.LittleEndian.AppendUint16(b, 0)                 // p_cont_id
	b = binary.LittleEndian.AppendUint16(b, opnum)
	b = append(b, stub...)
	return finish(b)
}

// EPMLookup builds an ept_lookup request (opnum 2) for every element
// (RPC_C_EP_ALL_ELTS), continuing from handle, asking for at most maxEnts entries.
// maxEnts is clamped to 1…500, the range [MS-RPCE] 2.2.1.2.4 allows.
func EPMLookup(callID uint32, handle EPMHandle, maxEnts uint32) []byte {
	maxEnts = min(max(maxEnts, 1), 500)
	stub := make([]byte, 0, 40)
	stub = binary.LittleEndian.AppendUint32(stub, 0) // inquiry_type RPC_C_EP_ALL_ELTS
	stub = binary.LittleEndian.AppendUint32(stub, 0) // object: NULL pointer
	stub = binary.LittleEndian.AppendUint32(stub, 0) // Ifid: NULL pointer
	stub = binary.LittleEndian.AppendUint32(stub, 1) // vers_option RPC_C_VERS_ALL
	stub = append(stub, handle[:]...)
	stub = binary.LittleEndian.AppendUint32(stub, maxEnts)
	return request(callID, 2, stub)
}

// EPMLookupHandleFree builds ept_lookup_handle_free (opnum 4), which releases the
// server's iteration state when a client stops before the end.
func EPMLookupHandleFree(callID uint32, handle EPMHandle) []byte {
	return request(callID, 4, handle[:])
}

// Error is a refusal from the RPC server: a bind_nak, a bind_ack that rejected
// our presentation context, or a fault. The TCP port is open all the same.
type Error struct {
	PType  uint8  // PTypeBindNak, PTypeBindAck or PTypeFault
	Status uint32 // reject reason (bind) or fault status
}

func (e *Error) Error() string {
	switch e.PType {
	case PTypeBindNak:
		return fmt.Sprintf("rpc bind_nak: reason %d (%s)", e.Status, bindNakReason(e.Status))
	case PTypeBindAck:
		return fmt.Sprintf("rpc bind rejected: reason %d (%s)", e.Status, bindResultReason(e.Status))
	}
	return fmt.Sprintf("rpc fault 0x%08x (%s)", e.Status, faultName(e.Status))
}

// bindNakReason names provider_reject_reason values (C706 §12.6.3.1, [MS-RPCE] 2.2.2.5).
func bindNakReason(r uint32) string {
	names := []string{"not specified", "temporary congestion", "local limit exceeded",
		"called paddr unknown", "protocol version not supported", "default context not supported",
		"user data not readable", "no psap available", "authentication type not recognized",
		"invalid checksum"}
	if int(r) < len(names) {
		return names[r]
	}
	return "unknown"
}

// bindResultReason names the reason of a rejected presentation context (C706 §12.6.3.1).
func bindResultReason(r uint32) string {
	switch r {
	case 1:
		return "abstract syntax not supported"
	case 2:
		return "transfer syntaxes not supported"
	case 3:
		return "local limit exceeded"
	}
	return "not specified"
}

// faultName names the fault statuses an endpoint mapper client meets (C706 Appendix E,
// [MS-RPCE] 3.1.1.5.5, [MS-ERREF]).
func faultName(s uint32) string {
	switch s {
	case 0x00000005:
		return "access denied"
	case 0x000006f7:
		return "bad stub data"
	case 0x1c010002:
		return "nca_s_op_rng_error: operation out of range"
	case 0x1c010003:
		return "nca_s_unk_if: unknown interface"
	case 0x1c00001b:
		return "nca_s_proto_error"
	case EPTNotRegistered:
		return "ept_s_not_registered"
	}
	return "unknown"
}

// ErrMalformed is wrapped by every error about a PDU that does not parse.
var ErrMalformed = errors.New("msrpc: malformed DCE/RPC PDU")

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

// PDUFragLen checks a 16-byte common header and returns its frag_length, so that a
// stream reader knows how much more to read. It refuses anything but DCE/RPC 5.0 with
// little-endian drep, and fragments shorter than a header or longer than MaxFrag.
func PDUFragLen(hdr []byte) (int, error) {
	if len(hdr) < HeaderLen {
		return 0, malformed("short header (%d bytes)", len(hdr))
	}
	if hdr[0] != 5 || hdr[1] != 0 {
		return 0, malformed("version %d.%d, want 5.0", hdr[0], hdr[1])
	}
	if hdr[4]&0xf0 != 0x10 {
		return 0, malformed("big-endian data representation")
	}
	n := int(binary.LittleEndian.Uint16(hdr[8:]))
	if n < HeaderLen || n > MaxFrag {
		return 0, malformed("frag_length %d outside %d…%d", n, HeaderLen, MaxFrag)
	}
	return n, nil
}

// checkPDU validates a complete PDU: header, exact length, call_id.
func checkPDU(pdu []byte, callID uint32) error {
	n, err := PDUFragLen(pdu)
	if err != nil {
		return err
	}
	if n != len(pdu) {
		return malformed("frag_length %d but %d bytes", n, len(pdu))
	}
	if got := binary.LittleEndian.Uint32(pdu[12:]); got != callID {
		return malformed("call_id %d, want %d", got, callID)
	}
	return nil
}

// faultStatus returns the status of a fault PDU (offset 24, after alloc_hint,
// p_cont_id, cancel_count and a reserved byte).
func faultStatus(pdu []byte) (*Error, error) {
	if len(pdu) < 28 {
		return nil, malformed("fault of %d bytes", len(pdu))
	}
	return &Error{PType: PTypeFault, Status: binary.LittleEndian.Uint32(pdu[24:])}, nil
}

// BindAck is what the server's bind_ack says about the association.
type BindAck struct {
	MaxXmit    uint16 // largest fragment the server will send
	MaxRecv    uint16 // largest fragment the server accepts
	AssocGroup uint32
	SecAddr    string // the secondary address, "135" for the endpoint mapper
}

// ParseBindReply parses the answer to EPMBind. A bind_nak, a fault or a rejected
// context comes back as *Error: the server spoke DCE/RPC, so the port is open,
// but it will not serve the endpoint mapper to us.
func ParseBindReply(pdu []byte, callID uint32) (*BindAck, error) {
	if err := checkPDU(pdu, callID); err != nil {
		return nil, err
	}
	switch pdu[2] {
	case PTypeBindNak:
		if len(pdu) < 18 {
			return nil, malformed("bind_nak of %d bytes", len(pdu))
		}
		return nil, &Error{PType: PTypeBindNak, Status: uint32(binary.LittleEndian.Uint16(pdu[16:]))}
	case PTypeFault:
		e, err := faultStatus(pdu)
		if err != nil {
			return nil, err
		}
		return nil, e
	case PTypeBindAck:
	default:
		return nil, malformed("PDU type %d in answer to bind", pdu[2])
	}
	if len(pdu) < 26 {
		return nil, malformed("bind_ack of %d bytes", len(pdu))
	}
	ack := &BindAck{
		MaxXmit:    binary.LittleEndian.Uint16(pdu[16:]),
		MaxRecv:    binary.LittleEndian.Uint16(pdu[18:]),
		AssocGroup: binary.LittleEndian.Uint32(pdu[20:]),
	}
	off := 26
	alen := int(binary.LittleEndian.Uint16(pdu[24:]))
	if alen > len(pdu)-off {
		return nil, malformed("sec_addr length %d", alen)
	}
	ack.SecAddr = cstring(pdu[off : off+alen])
	off = align(off+alen, 4) // padded from the PDU start (C706 §12.6.4.4)
	if off+4 > len(pdu) {
		return nil, malformed("bind_ack without results")
	}
	if pdu[off] < 1 {
		return nil, malformed("bind_ack with no context results")
	}
	off += 4
	if off+24 > len(pdu) {
		return nil, malformed("truncated context result")
	}
	if res := binary.LittleEndian.Uint16(pdu[off:]); res != 0 {
		return nil, &Error{PType: PTypeBindAck, Status: uint32(binary.LittleEndian.Uint16(pdu[off+2:]))}
	}
	return ack, nil
}

// Reassembler joins the stubs of a fragmented response (C706 §12.6.4.10): the bytes
// after the 24-byte response header of each fragment, until one carries LAST_FRAG.
// It refuses authenticated PDUs (we never ask for auth), a foreign call_id, and a
// total beyond MaxStub. The zero value is not usable; set CallID.
type Reassembler struct {
	CallID uint32 // the call every fragment must carry
	stub   []byte
	done   bool
	frags  int
}

// Add takes one complete PDU and reports whether the response is complete. A fault
// PDU ends the call with an *Error.
func (r *Reassembler) Add(pdu []byte) (bool, error) {
	if r.done {
		return true, malformed("fragment after LAST_FRAG")
	}
	if err := checkPDU(pdu, r.CallID); err != nil {
		return false, err
	}
	if pdu[2] == PTypeFault {
		e, err := faultStatus(pdu)
		if err != nil {
			return false, err
		}
		return false, e
	}
	if pdu[2] != PTypeResponse {
		return false, malformed("PDU type %d in a response", pdu[2])
	}
	if binary.LittleEndian.Uint16(pdu[10:]) != 0 {
		return false, malformed("authenticated response")
	}
	if len(pdu) < 24 {
		return false, malformed("response of %d bytes", len(pdu))
	}
	flags := pdu[3]
	if (r.frags == 0) != (flags&pfcFirstFrag != 0) {
		return false, malformed("FIRST_FRAG flag 0x%02x on fragment %d", flags, r.frags+1)
	}
	if len(r.stub)+len(pdu)-24 > MaxStub {
		return false, malformed("response larger than %d bytes", MaxStub)
	}
	r.stub = append(r.stub, pdu[24:]...)
	r.frags++
	r.done = flags&pfcLastFrag != 0
	return r.done, nil
}

// Stub returns the reassembled stub; it is complete once Add returned true.
func (r *Reassembler) Stub() []byte { return r.stub }

func align(n, a int) int { return (n + a - 1) &^ (a - 1) }

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
