package msrpc

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// UUID is a DCE UUID in its textual byte order (RFC 4122 §4.1.2). On the wire,
// DCE/RPC writes the first three fields in the sender's byte order (little-endian
// here), so UUIDFromWire and AppendWire convert.
type UUID [16]byte

// UUIDFromWire converts 16 bytes in little-endian NDR order (u32, u16, u16 LE, then
// 8 raw bytes). A short slice yields the zero UUID.
func UUIDFromWire(b []byte) UUID {
	var u UUID
	if len(b) < 16 {
		return u
	}
	binary.BigEndian.PutUint32(u[0:], binary.LittleEndian.Uint32(b[0:]))
	binary.BigEndian.PutUint16(u[4:], binary.LittleEndian.Uint16(b[4:]))
	binary.BigEndian.PutUint16(u[6:], binary.LittleEndian.Uint16(b[6:]))
	copy(u[8:], b[8:16])
	return u
}

// AppendWire appends the UUID in little-endian NDR order.
func (u UUID) AppendWire(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, binary.BigEndian.Uint32(u[0:]))
	b = binary.LittleEndian.AppendUint16(b, binary.BigEndian.Uint16(u[4:]))
	b = binary.LittleEndian.AppendUint16(b, binary.BigEndian.Uint16(u[6:]))
	return append(b, u[8:]...)
}

// IsZero reports whether the UUID is the nil UUID.
func (u UUID) IsZero() bool { return u == UUID{} }

func (u UUID) String() string {
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// MarshalText writes the canonical lower-case form.
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText parses the canonical form.
func (u *UUID) UnmarshalText(b []byte) error {
	v, err := ParseUUID(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// ParseUUID parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case).
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("msrpc: bad UUID %q", s)
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return UUID{}, fmt.Errorf("msrpc: bad UUID %q", s)
	}
	return u, nil
}

// MustParseUUID is ParseUUID for constants in this package's tables; it panics on a
// typo, which the package's tests catch at once.
func MustParseUUID(s string) UUID {
	u, err := ParseUUID(s)
	if err != nil {
		panic(err)
	}
	return u
}
