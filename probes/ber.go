package probes

// A minimal BER (ITU-T X.690) reader and a few encoders, shared by the probes whose
// protocols are ASN.1: SNMP (RFC 3416/3412), Kerberos (RFC 4120, DER) and CLDAP
// (RFC 4511). encoding/asn1 is DER-only, reflection-based and rejects the BER that
// real SNMP agents send, so the probes walk TLVs by hand with this.
//
// The reader never allocates: every slice it returns aliases the input. It refuses
// what none of these protocols may send (the indefinite length form, X.690 §8.1.3.6:
// SNMP RFC 3417 §8, Kerberos DER and LDAP RFC 4511 §5.1 all require definite
// lengths) and anything that would let a hostile datagram cost more than its size:
// lengths beyond the remaining bytes, more than four length octets, tag numbers
// beyond 32 bits, and nesting deeper than berMaxDepth.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errBER is wrapped by every decoding error of the BER reader, so callers can
// tell a malformed reply from a well-formed one that fails a protocol check.
var errBER = errors.New("probes: malformed BER")

// berMaxDepth bounds how deeply berTLV.children may descend. The deepest structure
// the probes read (an SNMPv3 Report: message, scopedPDU, PDU, varbind list, varbind)
// is five levels; Kerberos and LDAP stay under ten.
const berMaxDepth = 32

// Identifier octets the probes use, X.690 §8.1.2: class in bits 8–7,
// constructed in bit 6, tag number in bits 5–1.
const (
	berClassUniversal   = 0x00
	berClassApplication = 0x40
	berClassContext     = 0x80
	berClassPrivate     = 0xc0
	berConstructed      = 0x20

	berTagBoolean     = 0x01
	berTagInteger     = 0x02
	berTagBitString   = 0x03
	berTagOctetString = 0x04
	berTagNull        = 0x05
	berTagOID         = 0x06
	berTagEnumerated  = 0x0a
	berTagSequence    = 0x30 // SEQUENCE / SEQUENCE OF, always constructed
	berTagSet         = 0x31 // SET / SET OF, always constructed
)

// berTLV is one decoded element. Ident is the first identifier octet; for the
// high-tag-number form (X.690 §8.1.2.4, tag numbers ≥ 31) its low five bits are
// 0x1f and Num holds the number. Value and Raw alias the input.
type berTLV struct {
	Ident byte   // first identifier octet: class | constructed | number (< 31)
	Num   uint32 // tag number, from either form
	Value []byte // contents octets
	Raw   []byte // the whole encoding: identifier, length and contents
	depth int    // nesting level, for children's depth limit
}

// Class is the class bits of the identifier (berClassUniversal …).
func (t berTLV) Class() byte { return t.Ident & 0xc0 }

// Constructed reports whether the contents are themselves TLVs.
func (t berTLV) Constructed() bool { return t.Ident&berConstructed != 0 }

// berReader walks a run of consecutive TLVs, such as the contents of a SEQUENCE.
type berReader struct {
	rest  []byte
	depth int
}

// newBERReader reads top-level TLVs from b.
func newBERReader(b []byte) berReader { return berReader{rest: b} }

// Empty reports whether every TLV has been read.
func (r *berReader) Empty() bool { return len(r.rest) == 0 }

// Rest is what has not been read yet.
func (r *berReader) Rest() []byte { return r.rest }

// Next decodes the next TLV. On error the reader is left unchanged.
func (r *berReader) Next() (berTLV, error) {
	t, rest, err := berParse(r.rest)
	if err != nil {
		return berTLV{}, err
	}
	t.depth = r.depth
	r.rest = rest
	return t, nil
}

// Expect decodes the next TLV and checks its first identifier octet, the common
// case of walking a known structure ("the next element must be an INTEGER").
func (r *berReader) Expect(ident byte) (berTLV, error) {
	if len(r.rest) == 0 {
		return berTLV{}, fmt.Errorf("%w: want tag %#02x, got end of contents", errBER, ident)
	}
	if r.rest[0] != ident {
		return berTLV{}, fmt.Errorf("%w: want tag %#02x, got %#02x", errBER, ident, r.rest[0])
	}
	return r.Next()
}

// Children returns a reader over the contents of a constructed TLV.
func (t berTLV) Children() (berReader, error) {
	if !t.Constructed() {
		return berReader{}, fmt.Errorf("%w: tag %#02x is primitive", errBER, t.Ident)
	}
	if t.depth+1 > berMaxDepth {
		return berReader{}, fmt.Errorf("%w: nested deeper than %d", errBER, berMaxDepth)
	}
	return berReader{rest: t.Value, depth: t.depth + 1}, nil
}

// berParse decodes the TLV at the start of b and returns it with the bytes after it.
func berParse(b []byte) (berTLV, []byte, error) {
	if len(b) < 2 {
		return berTLV{}, nil, fmt.Errorf("%w: %d bytes, need identifier and length", errBER, len(b))
	}
	t := berTLV{Ident: b[0], Num: uint32(b[0] & 0x1f)}
	i := 1
	if t.Num == 0x1f {
		// High tag number: base-128 digits, bit 8 set on all but the last (§8.1.2.4.2).
		t.Num = 0
		for {
			if i >= len(b) {
				return berTLV{}, nil, fmt.Errorf("%w: truncated tag number", errBER)
			}
			c := b[i]
			i++
			if t.Num > 0xffffffff>>7 {
				return berTLV{}, nil, fmt.Errorf("%w: tag number beyond 32 bits", errBER)
			}
			t.Num = t.Num<<7 | uint32(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
		if i >= len(b) {
			return berTLV{}, nil, fmt.Errorf("%w: truncated before length", errBER)
		}
	}
	l := int(b[i])
	i++
	switch {
	case l == 0x80:
		return berTLV{}, nil, fmt.Errorf("%w: indefinite length", errBER)
	case l == 0xff:
		return berTLV{}, nil, fmt.Errorf("%w: reserved length octet 0xff", errBER) // §8.1.3.5 c
	case l > 0x80:
		n := l & 0x7f
		if n > 4 {
			return berTLV{}, nil, fmt.Errorf("%w: %d length octets", errBER, n)
		}
		if len(b)-i < n {
			return berTLV{}, nil, fmt.Errorf("%w: truncated length", errBER)
		}
		l = 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		i += n
	}
	if l < 0 || l > len(b)-i {
		return berTLV{}, nil, fmt.Errorf("%w: length %d exceeds the %d bytes left", errBER, l, len(b)-i)
	}
	t.Value = b[i : i+l : i+l]
	t.Raw = b[: i+l : i+l]
	return t, b[i+l:], nil
}

// Int decodes the contents as a two's-complement INTEGER (or ENUMERATED) that fits
// an int64. BER allows non-minimal encodings; they are accepted.
func (t berTLV) Int() (int64, error) {
	v := t.Value
	if len(v) == 0 {
		return 0, fmt.Errorf("%w: empty INTEGER", errBER)
	}
	for len(v) > 1 && ((v[0] == 0x00 && v[1]&0x80 == 0) || (v[0] == 0xff && v[1]&0x80 != 0)) {
		v = v[1:] // drop redundant sign octets
	}
	if len(v) > 8 {
		return 0, fmt.Errorf("%w: INTEGER of %d bytes overflows int64", errBER, len(v))
	}
	n := int64(int8(v[0])) // sign-extend the first octet
	for _, c := range v[1:] {
		n = n<<8 | int64(c)
	}
	return n, nil
}

// Uint decodes the contents as a non-negative INTEGER that fits a uint64, the
// form of SNMP's Counter32/Gauge32/TimeTicks/Counter64 (RFC 2578 §7.1), which
// need a leading zero octet when their top bit is set.
func (t berTLV) Uint() (uint64, error) {
	v := t.Value
	if len(v) == 0 {
		return 0, fmt.Errorf("%w: empty INTEGER", errBER)
	}
	if v[0]&0x80 != 0 {
		return 0, fmt.Errorf("%w: negative value for an unsigned INTEGER", errBER)
	}
	for len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	if len(v) > 8 {
		return 0, fmt.Errorf("%w: INTEGER of %d bytes overflows uint64", errBER, len(v))
	}
	var n uint64
	for _, c := range v {
		n = n<<8 | uint64(c)
	}
	return n, nil
}

// OIDString renders OBJECT IDENTIFIER contents in dotted form (X.690 §8.19),
// for reports. Arcs beyond 64 bits are an error rather than a silent wrap.
func (t berTLV) OIDString() (string, error) {
	v := t.Value
	if len(v) == 0 {
		return "", fmt.Errorf("%w: empty OBJECT IDENTIFIER", errBER)
	}
	if v[len(v)-1]&0x80 != 0 {
		return "", fmt.Errorf("%w: truncated OBJECT IDENTIFIER arc", errBER)
	}
	var sb strings.Builder
	var arc uint64
	first := true
	for _, c := range v {
		if arc > 1<<57-1 {
			return "", fmt.Errorf("%w: OBJECT IDENTIFIER arc beyond 64 bits", errBER)
		}
		arc = arc<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			continue
		}
		if first {
			// The first subidentifier packs two arcs: 40*X + Y, X ≤ 2 (§8.19.4).
			x := min(arc/40, 2)
			sb.WriteString(strconv.FormatUint(x, 10))
			sb.WriteByte('.')
			sb.WriteString(strconv.FormatUint(arc-40*x, 10))
			first = false
		} else {
			sb.WriteByte('.')
			sb.WriteString(strconv.FormatUint(arc, 10))
		}
		arc = 0
	}
	return sb.String(), nil
}

// berAppendLength appends a definite length in the shortest form (X.690 §8.1.3).
func berAppendLength(dst []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n <= 0xff:
		return append(dst, 0x81, byte(n))
	case n <= 0xffff:
		return append(dst, 0x82, byte(n>>8), byte(n))
	case n <= 0xffffff:
		return append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// berEncode returns one TLV with a single-octet identifier (tag numbers < 31, all
// the probes need) whose contents are the concatenation of parts. Building from
// the inside out keeps encoders simple: berEncode(0x30, berInt(1), berOctets(…)).
func berEncode(ident byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, 1+5+n)
	out = append(out, ident)
	out = berAppendLength(out, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// berIntTagged encodes v as a minimal two's-complement INTEGER under the given
// identifier (0x02 INTEGER, 0x0a ENUMERATED, or an implicit context tag).
func berIntTagged(ident byte, v int64) []byte {
	var c [8]byte
	for i := range c {
		c[i] = byte(v >> (56 - 8*i))
	}
	i := 0
	for i < 7 && ((c[i] == 0x00 && c[i+1]&0x80 == 0) || (c[i] == 0xff && c[i+1]&0x80 != 0)) {
		i++
	}
	return berEncode(ident, c[i:])
}

// berInt encodes a universal INTEGER.
func berInt(v int64) []byte { return berIntTagged(berTagInteger, v) }

// berOctets encodes an OCTET STRING (ident 0x04) or an implicitly tagged string.
func berOctets(ident byte, s []byte) []byte { return berEncode(ident, s) }

// berBool encodes a BOOLEAN; DER's TRUE is 0xff (X.690 §11.1).
func berBool(v bool) []byte {
	if v {
		return []byte{berTagBoolean, 1, 0xff}
	}
	return []byte{berTagBoolean, 1, 0x00}
}

// berNull is the universal NULL, the value placeholder in an SNMP GetRequest varbind.
func berNull() []byte { return []byte{berTagNull, 0} }

// berOID encodes an OBJECT IDENTIFIER from its arcs (at least two; the first ≤ 2).
func berOID(arcs ...uint32) []byte {
	var c []byte
	if len(arcs) >= 2 {
		c = berAppendBase128(c, uint64(arcs[0])*40+uint64(arcs[1]))
		for _, a := range arcs[2:] {
			c = berAppendBase128(c, uint64(a))
		}
	}
	return berEncode(berTagOID, c)
}

func berAppendBase128(dst []byte, v uint64) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7f)
	for v >>= 7; v > 0; v >>= 7 {
		i--
		tmp[i] = byte(v&0x7f) | 0x80
	}
	return append(dst, tmp[i:]...)
}

// berFrame returns the length of the TLV at the start of a stream (LDAP over
// TCP sends back-to-back LDAPMessages), 0 while its header or contents are
// incomplete, or an error for bytes that cannot start one (ErrTooLong for one
// that declares more than MaxReply).
func berFrame(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, nil
	}
	if b[0]&0x1f == 0x1f {
		return 0, fmt.Errorf("%w: high tag number at a message start", errBER)
	}
	l, i := int(b[1]), 2
	switch {
	case l == 0x80 || l == 0xff:
		return 0, fmt.Errorf("%w: length octet %#02x", errBER, l)
	case l > 0x80:
		n := l & 0x7f
		if n > 4 {
			return 0, fmt.Errorf("%w: %d length octets", errBER, n)
		}
		if len(b) < 2+n {
			return 0, nil
		}
		l = 0
		for _, c := range b[2 : 2+n] {
			l = l<<8 | int(c)
		}
		i += n
	}
	if i+l > MaxReply {
		return 0, fmt.Errorf("%w: a %d-byte message", ErrTooLong, l) // a rootDSE is kilobytes
	}
	if len(b) < i+l {
		return 0, nil
	}
	return i + l, nil
}
