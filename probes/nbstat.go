package probes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// NBStat asks a NetBIOS name service for its node status (RFC 1002 §4.2.17, the
// request behind `nbtstat -A` and `nmblookup -A`): the wildcard name "*" with
// QTYPE NBSTAT. Windows answers when NetBT is enabled on the NIC, Samba's nmbd
// always. The answer lists every name the host holds, and the name suffixes say
// what it is: a domain controller, a master browser, a file server.
//
// Flags are 0000 (unicast, no recursion), as nmap's nbstat.nse sends; the
// broadcast bit is pointless towards one host.
var NBStat = &Probe{
	Name:   "nbstat",
	Ports:  []uint16{137},
	New:    newNBStatQuery,
	Detail: (*NBStatDetail)(nil),
	Drift: []DriftField{
		{Path: "computer_name", Meaning: "another machine answers at this address"},
		{Path: "domain", Meaning: "the machine moved to another domain or workgroup"},
	},
}

const (
	nbstatType  = 0x0021 // NBSTAT, RFC 1002 §4.2.1.2
	nbstatClass = 0x0001 // IN
	// nbstatUnitIDLen is the length of the unit ID (the MAC address) that opens
	// the statistics after the names (RFC 1002 §4.2.18).
	nbstatUnitIDLen = 6
)

// nbstatWildcard is "*" padded with NULs to 16 bytes, first-level encoded
// (RFC 1001 §14.1: each half-byte as 'A' + value) and preceded by its length:
// " CKAAAA…A" (0x20, then 32 letters).
var nbstatWildcard = netbiosName(nil, [16]byte{'*'})

// netbiosName appends a 16-byte NetBIOS name (15 bytes padded, then the suffix)
// in RFC 1001 §14.1 first-level encoding: each half-byte as 'A' + value, as one
// 32-byte label, no scope, then the root label.
func netbiosName(dst []byte, raw [16]byte) []byte {
	dst = append(dst, 32)
	for _, c := range raw {
		dst = append(dst, 'A'+c>>4, 'A'+c&0x0f)
	}
	return append(dst, 0)
}

// NBStatName is one entry of the node's name table.
type NBStatName struct {
	// Name is the 15-byte NetBIOS name without its space padding; bytes outside
	// printable ASCII are written \xNN ("\x01\x02__MSBROWSE__\x02").
	Name string `json:"name"`
	// Suffix is the 16th byte, the service type: 0x00 workstation or domain,
	// 0x03 messenger, 0x20 file server, 0x1b domain master browser, 0x1c domain
	// controllers, 0x1d master browser, 0x1e browser elections.
	Suffix NBSuffix `json:"suffix"`
	// Group is set for a group name (a domain or workgroup), clear for a unique one.
	Group bool `json:"group"`
	// NodeType is B, P, M or H (RFC 1002 §4.2.18; H is Microsoft's hybrid).
	NodeType string `json:"node_type"`
	// Active, Conflict, Deregistering and Permanent are the NAME_FLAGS bits.
	Active        bool `json:"active"`
	Conflict      bool `json:"conflict,omitempty"`
	Deregistering bool `json:"deregistering,omitempty"`
	Permanent     bool `json:"permanent,omitempty"`
}

// String renders the name as nbtstat does: `LABDC<20>`.
func (n NBStatName) String() string { return n.Name + "<" + n.Suffix.String() + ">" }

// NBSuffix is a NetBIOS name suffix. It is written in hex, as nbtstat and every
// Microsoft document write it ("1C"), in text and JSON alike.
type NBSuffix byte

// String is the suffix as two upper-case hex digits.
func (s NBSuffix) String() string { return fmt.Sprintf("%02X", byte(s)) }

// MarshalText writes the two hex digits.
func (s NBSuffix) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads two hex digits.
func (s *NBSuffix) UnmarshalText(b []byte) error {
	v, err := strconv.ParseUint(string(b), 16, 8)
	if err != nil || len(b) != 2 {
		return fmt.Errorf("nbstat: suffix %q is not two hex digits", b)
	}
	*s = NBSuffix(v)
	return nil
}

// NBStatDetail is what a node status response says.
type NBStatDetail struct {
	// RCode is the response code; non-zero means the node refused the query.
	RCode int `json:"rcode,omitempty"`
	// ComputerName is the unique name with suffix 00 (or 20 if there is no 00).
	ComputerName string `json:"computer_name,omitempty"`
	// Domain is the domain or workgroup: the group name with suffix 00, else the
	// name of a <1B> or <1C> entry.
	Domain string `json:"domain,omitempty"`
	// Roles are what the suffixes say the node does: "domain controller" (<1C>),
	// "PDC / domain master browser" (<1B>), "master browser" (<1D>), "file
	// service" (<20>), "messenger" (<03>).
	Roles []string `json:"roles,omitempty"`
	// MAC is the unit ID, the NIC's MAC address as aa:bb:cc:dd:ee:ff, or "none"
	// when it is all zeros (Samba, and NICs NetBT cannot read). Samba may put junk here.
	MAC string `json:"mac,omitempty"`
	// Names is the full name table.
	Names []NBStatName `json:"names"`
}

// Summary reads `LABDC in LAB: domain controller, PDC / domain master browser,
// file service; MAC none`.
func (d *NBStatDetail) Summary() string {
	if d.RCode != 0 {
		return fmt.Sprintf("node status refused, rcode %d", d.RCode)
	}
	var b strings.Builder
	switch {
	case d.ComputerName != "":
		b.WriteString(d.ComputerName)
	default:
		fmt.Fprintf(&b, "%d names", len(d.Names))
	}
	if d.Domain != "" {
		b.WriteString(" in " + d.Domain)
	}
	if len(d.Roles) > 0 {
		b.WriteString(": " + strings.Join(d.Roles, ", "))
	}
	if d.MAC != "" {
		b.WriteString("; MAC " + d.MAC)
	}
	return b.String()
}

type nbstatQuery struct {
	id  uint16
	req []byte
}

func newNBStatQuery(rnd io.Reader, _ Options) (Query, error) {
	var b [2]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return nil, fmt.Errorf("nbstat: random transaction ID: %w", err)
	}
	return newNBStatQueryID(binary.BigEndian.Uint16(b[:])), nil
}

// newNBStatQueryID builds the 50-byte request of RFC 1002 §4.2.17.
func newNBStatQueryID(id uint16) *nbstatQuery {
	req := make([]byte, 0, 50)
	req = binary.BigEndian.AppendUint16(req, id)
	req = append(req, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // flags, QD 1, AN 0, NS 0, AR 0
	req = append(req, nbstatWildcard...)
	req = binary.BigEndian.AppendUint16(req, nbstatType)
	req = binary.BigEndian.AppendUint16(req, nbstatClass)
	return &nbstatQuery{id: id, req: req}
}

func (q *nbstatQuery) Packets() [][]byte { return [][]byte{q.req} }

var errNBStatShort = errors.New("nbstat: truncated reply")

// Match checks the transaction ID and the response bit, then reads the
// NODE STATUS RESPONSE (RFC 1002 §4.2.18).
func (q *nbstatQuery) Match(reply []byte) (Detail, error) {
	if len(reply) < 12 || binary.BigEndian.Uint16(reply) != q.id || reply[2]&0x80 == 0 {
		return nil, ErrNotMine
	}
	flags := binary.BigEndian.Uint16(reply[2:])
	if op := flags >> 11 & 0xf; op != 0 {
		return nil, ErrNotMine // a registration or release with our ID is not the answer
	}
	d := &NBStatDetail{RCode: int(flags & 0xf)}
	qd := int(binary.BigEndian.Uint16(reply[4:]))
	an := int(binary.BigEndian.Uint16(reply[6:]))
	if d.RCode != 0 && an == 0 {
		return d, nil
	}
	if an == 0 {
		return nil, errors.New("nbstat: response without an answer")
	}
	off := 12
	for range qd { // RFC 1002 responses carry no question, but skip one if sent
		n, err := nbnsSkipName(reply, off)
		if err != nil {
			return nil, err
		}
		off = n + 4
	}
	off, err := nbnsSkipName(reply, off)
	if err != nil {
		return nil, err
	}
	if len(reply) < off+11 {
		return nil, errNBStatShort
	}
	if t := binary.BigEndian.Uint16(reply[off:]); t != nbstatType {
		return nil, fmt.Errorf("nbstat: answer type %#04x, want NBSTAT", t)
	}
	rdlen := int(binary.BigEndian.Uint16(reply[off+8:]))
	off += 10
	if len(reply) < off+rdlen || rdlen < 1 {
		return nil, errNBStatShort
	}
	rdata := reply[off : off+rdlen]
	num := int(rdata[0])
	if len(rdata) < 1+18*num {
		return nil, errNBStatShort
	}
	d.Names = make([]NBStatName, 0, num)
	for i := range num {
		e := rdata[1+18*i : 1+18*(i+1)]
		f := binary.BigEndian.Uint16(e[16:])
		d.Names = append(d.Names, NBStatName{
			Name:          nbnsNameText(e[:15]),
			Suffix:        NBSuffix(e[15]),
			Group:         f&0x8000 != 0,
			NodeType:      [...]string{"B", "P", "M", "H"}[f>>13&3],
			Deregistering: f&0x1000 != 0,
			Conflict:      f&0x0800 != 0,
			Active:        f&0x0400 != 0,
			Permanent:     f&0x0200 != 0,
		})
	}
	if stats := rdata[1+18*num:]; len(stats) >= nbstatUnitIDLen {
		d.MAC = nbstatMAC(stats[:nbstatUnitIDLen])
	}
	d.describe()
	return d, nil
}

// describe derives the computer name, domain and roles from the name table
// (suffix meanings as in Microsoft's "NetBIOS suffixes" list, KB163409).
// Names in conflict or being released are not held and say nothing.
func (d *NBStatDetail) describe() {
	var unique20, group1bc string
	has := map[NBSuffix]bool{}
	for _, n := range d.Names {
		if n.Conflict || n.Deregistering {
			continue
		}
		switch {
		case !n.Group && n.Suffix == 0x00 && d.ComputerName == "":
			d.ComputerName = n.Name
		case !n.Group && n.Suffix == 0x20 && unique20 == "":
			unique20 = n.Name
		case n.Group && n.Suffix == 0x00 && d.Domain == "":
			d.Domain = n.Name
		case (n.Suffix == 0x1b || n.Suffix == 0x1c) && group1bc == "":
			group1bc = n.Name
		}
		has[n.Suffix] = true
	}
	if d.ComputerName == "" {
		d.ComputerName = unique20
	}
	if d.Domain == "" {
		d.Domain = group1bc
	}
	for _, r := range []struct {
		suffix NBSuffix
		role   string
	}{
		{0x1c, "domain controller"},
		{0x1b, "PDC / domain master browser"},
		{0x1d, "master browser"},
		{0x20, "file service"},
		{0x03, "messenger"},
	} {
		if has[r.suffix] {
			d.Roles = append(d.Roles, r.role)
		}
	}
}

// nbnsSkipName returns the offset after the encoded name at off: labels ending in
// a zero byte (RFC 1001 §14.1) or a compression pointer (RFC 1002 §4.1.1, `C0 xx`).
func nbnsSkipName(b []byte, off int) (int, error) {
	for n := 0; n < 64; n++ { // a name is at most 255 bytes, so few labels
		if off >= len(b) {
			return 0, errNBStatShort
		}
		l := int(b[off])
		switch {
		case l == 0:
			return off + 1, nil
		case l&0xc0 == 0xc0:
			if off+2 > len(b) {
				return 0, errNBStatShort
			}
			return off + 2, nil
		case l&0xc0 != 0:
			return 0, fmt.Errorf("nbstat: bad label length %#02x", l)
		}
		off += 1 + l
	}
	return 0, errors.New("nbstat: name has too many labels")
}

// nbnsNameText trims the space padding of a NetBIOS name and escapes bytes
// outside printable ASCII, so a hostile name cannot forge report lines.
func nbnsNameText(b []byte) string {
	b = []byte(strings.TrimRight(string(b), " \x00"))
	var s strings.Builder
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '\\' {
			fmt.Fprintf(&s, `\x%02x`, c)
			continue
		}
		s.WriteByte(c)
	}
	return s.String()
}

func nbstatMAC(b []byte) string {
	if string(b) == "\x00\x00\x00\x00\x00\x00" {
		return "none"
	}
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(parts, ":")
}
