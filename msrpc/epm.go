package msrpc

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
)

// EPMEntry is one element of an ept_lookup reply (C706 Appendix O, ept_entry_t):
// an object UUID, a protocol tower and an annotation.
type EPMEntry struct {
	Object     UUID
	Annotation string
	Tower      []byte // nil when the server sent a NULL tower pointer
}

// EPMLookupReply is a decoded ept_lookup response stub.
type EPMLookupReply struct {
	Handle  EPMHandle // pass back to continue the iteration
	Entries []EPMEntry
	Status  uint32 // 0, or EPTNotRegistered when there is nothing (more)
}

// Done reports whether the iteration is over. Servers differ (protocols.md §10.6):
// Samba sends a last empty reply with status ept_s_not_registered and a null
// handle, Windows clears the handle on the last batch of entries, with status 0.
func (r *EPMLookupReply) Done() bool {
	return r.Status == EPTNotRegistered || r.Handle.IsZero()
}

// ParseEPMLookup decodes the NDR stub of an ept_lookup response (opnum 2): the
// handle, num_ents, the conformant varying array of entries whose tower pointers
// are deferred after the array (NDR embedded pointers), and the status. Offsets are
// relative to the stub, which is 8-aligned in the PDU, so aligning the offset aligns
// the NDR stream.
func ParseEPMLookup(stub []byte) (*EPMLookupReply, error) {
	d := ndr{b: stub}
	r := &EPMLookupReply{}
	copy(r.Handle[:], d.bytes(20))
	numEnts := d.u32()
	maxCount, offset, actual := d.u32(), d.u32(), d.u32()
	if d.err != nil {
		return nil, d.err
	}
	if offset != 0 || actual > maxCount || actual != numEnts {
		return nil, malformed("entry array max %d offset %d actual %d num_ents %d", maxCount, offset, actual, numEnts)
	}
	// Each entry takes at least 28 bytes; refuse counts the stub cannot hold before
	// allocating for them.
	if int64(actual)*28 > int64(len(stub)) {
		return nil, malformed("%d entries in a %d-byte stub", actual, len(stub))
	}
	r.Entries = make([]EPMEntry, actual)
	hasTower := make([]bool, actual)
	for i := range r.Entries {
		e := &r.Entries[i]
		e.Object = UUIDFromWire(d.bytes(16))
		hasTower[i] = d.u32() != 0
		annOff, annLen := d.u32(), d.u32()
		if d.err == nil && (annOff != 0 || annLen > 64) { // annotation is char[64] in ept.idl
			return nil, malformed("annotation offset %d length %d", annOff, annLen)
		}
		e.Annotation = cstring(d.bytes(int(annLen)))
		d.align(4)
	}
	for i := range r.Entries {
		if !hasTower[i] {
			continue
		}
		maxLen, tlen := d.u32(), d.u32()
		if d.err == nil && tlen != maxLen {
			return nil, malformed("tower length %d, conformance %d", tlen, maxLen)
		}
		r.Entries[i].Tower = d.bytes(int(tlen))
		d.align(4)
	}
	r.Status = d.u32()
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}

// ParseEPMHandleFree decodes the answer to ept_lookup_handle_free: the (now null)
// handle and a status.
func ParseEPMHandleFree(stub []byte) (EPMHandle, uint32, error) {
	d := ndr{b: stub}
	var h EPMHandle
	copy(h[:], d.bytes(20))
	st := d.u32()
	return h, st, d.err
}

// ndr reads little-endian NDR primitives, remembering the first error so that a
// decoder can read a whole structure and check once.
type ndr struct {
	b   []byte
	off int
	err error
}

func (d *ndr) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.err = malformed("stub truncated at %d (need %d more bytes, %d left)", d.off, n, len(d.b)-d.off)
		return nil
	}
	v := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return v
}

func (d *ndr) u32() uint32 {
	b := d.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *ndr) align(a int) {
	if d.err == nil {
		n := align(d.off, a)
		if n > len(d.b) {
			d.err = malformed("stub truncated in padding")
			return
		}
		d.off = n
	}
}

// Tower protocol identifiers (C706 Appendix I and L, [MS-RPCE] 2.2.1.3; Wireshark's
// packet-dcerpc-epm.c labels).
const (
	towerUUID     = 0x0d
	towerNCACN    = 0x0b // connection-oriented RPC
	towerNCADG    = 0x0a // datagram RPC
	towerNCALRPC  = 0x0c // local RPC
	towerTCP      = 0x07
	towerUDP      = 0x08
	towerIP       = 0x09
	towerPipe     = 0x0f // named pipe, NUL-terminated
	towerNetBIOS  = 0x11 // NetBIOS host name
	towerLRPCPort = 0x10 // ncalrpc endpoint name
	towerHTTP     = 0x1f
)

// Tower is a decoded protocol tower: the interface, its transfer syntax, and where
// it listens.
type Tower struct {
	Interface UUID
	VerMajor  uint16
	VerMinor  uint16
	Syntax    UUID
	// Protocol is the RPC protocol sequence: "ncacn_ip_tcp", "ncacn_http",
	// "ncacn_np", "ncadg_ip_udp", "ncalrpc", or "unknown(0x0b/0x42)".
	Protocol string
	Port     uint16     // TCP or UDP port, for the IP protocol sequences
	Endpoint string     // pipe or LRPC endpoint name
	Host     string     // NetBIOS host name (ncacn_np)
	Addr     netip.Addr // IPv4 address in the tower, often 0.0.0.0; scanners use the scanned address
}

// ParseTower decodes a tower (C706 Appendix L): floor_count, then floors of
// lhs_len, lhs, rhs_len, rhs. Floor 1 is the interface, floor 2 the transfer syntax,
// floor 3 the RPC protocol, floor 4 the port or endpoint, floor 5 the host address.
// UUID floors carry the major version little-endian after the UUID in lhs and the
// minor version in rhs (Wireshark reads it big-endian and marks that as a doubt;
// Samba, Windows and Impacket write LE). Ports are big-endian.
func ParseTower(b []byte) (*Tower, error) {
	if len(b) < 2 {
		return nil, malformed("tower of %d bytes", len(b))
	}
	n := int(binary.LittleEndian.Uint16(b))
	if n < 3 || n > 8 {
		return nil, malformed("tower with %d floors", n)
	}
	type floor struct{ lhs, rhs []byte }
	floors := make([]floor, 0, n)
	off := 2
	field := func() []byte {
		if off+2 > len(b) {
			return nil
		}
		l := int(binary.LittleEndian.Uint16(b[off:]))
		if off+2+l > len(b) {
			return nil
		}
		v := b[off+2 : off+2+l]
		off += 2 + l
		return v
	}
	for i := range n {
		lhs := field()
		rhs := field()
		if len(lhs) == 0 || rhs == nil {
			return nil, malformed("tower floor %d truncated", i+1)
		}
		floors = append(floors, floor{lhs, rhs})
	}
	t := &Tower{}
	uuidFloor := func(f floor) (UUID, uint16, uint16, error) {
		if f.lhs[0] != towerUUID || len(f.lhs) != 19 || len(f.rhs) != 2 {
			return UUID{}, 0, 0, malformed("tower UUID floor: protocol 0x%02x, %d+%d bytes", f.lhs[0], len(f.lhs), len(f.rhs))
		}
		return UUIDFromWire(f.lhs[1:17]), binary.LittleEndian.Uint16(f.lhs[17:]), binary.LittleEndian.Uint16(f.rhs), nil
	}
	var err error
	if t.Interface, t.VerMajor, t.VerMinor, err = uuidFloor(floors[0]); err != nil {
		return nil, err
	}
	if t.Syntax, _, _, err = uuidFloor(floors[1]); err != nil {
		return nil, err
	}
	rpc := floors[2].lhs[0]
	if len(floors) < 4 {
		t.Protocol = fmt.Sprintf("unknown(0x%02x)", rpc)
		return t, nil
	}
	ep := floors[3]
	port := func() uint16 {
		if len(ep.rhs) == 2 {
			return binary.BigEndian.Uint16(ep.rhs)
		}
		return 0
	}
	switch {
	case rpc == towerNCACN && ep.lhs[0] == towerTCP:
		t.Protocol, t.Port = "ncacn_ip_tcp", port()
	case rpc == towerNCACN && ep.lhs[0] == towerHTTP:
		t.Protocol, t.Port = "ncacn_http", port()
	case rpc == towerNCADG && ep.lhs[0] == towerUDP:
		t.Protocol, t.Port = "ncadg_ip_udp", port()
	case rpc == towerNCACN && ep.lhs[0] == towerPipe:
		t.Protocol, t.Endpoint = "ncacn_np", cstring(ep.rhs)
	case rpc == towerNCALRPC && ep.lhs[0] == towerLRPCPort:
		t.Protocol, t.Endpoint = "ncalrpc", cstring(ep.rhs)
	default:
		t.Protocol = fmt.Sprintf("unknown(0x%02x/0x%02x)", rpc, ep.lhs[0])
	}
	if (t.Protocol == "ncacn_ip_tcp" || t.Protocol == "ncacn_http" || t.Protocol == "ncadg_ip_udp") && t.Port == 0 {
		return nil, malformed("%s tower with a %d-byte port floor", t.Protocol, len(ep.rhs))
	}
	if len(floors) >= 5 {
		h := floors[4]
		switch {
		case h.lhs[0] == towerIP && len(h.rhs) == 4:
			t.Addr = netip.AddrFrom4([4]byte(h.rhs))
		case h.lhs[0] == towerNetBIOS:
			t.Host = cstring(h.rhs)
		}
	}
	return t, nil
}

// mgmtInterface is registered next to every endpoint (C706 Appendix Q); listing it
// would say nothing about which service is behind a port.
var mgmtInterface = MustParseUUID("afa8bd80-7d8a-11c9-bef4-08002b102989")

// Endpoint is one registered interface on one endpoint, as reported.
type Endpoint struct {
	Interface  UUID   `json:"interface"`
	Version    string `json:"version"`        // "major.minor"
	Name       string `json:"name,omitempty"` // well-known name, "" when unknown
	Annotation string `json:"annotation,omitempty"`
	Protocol   string `json:"protocol"`           // ncacn_ip_tcp, ncacn_np, …
	Port       uint16 `json:"port,omitempty"`     // TCP/UDP port for the IP protocol sequences
	Endpoint   string `json:"endpoint,omitempty"` // pipe or LRPC endpoint name
	Object     *UUID  `json:"object,omitempty"`   // object UUID when not nil
	Major      uint16 `json:"-"`                  // Version as numbers, for a bind
	Minor      uint16 `json:"-"`
}

// Syntax is the registered interface as a bind asks for it: the table's name and
// specification with the version the server registered.
func (e Endpoint) Syntax() Interface {
	i := Interface{UUID: e.Interface}
	if known := byUUID[e.Interface]; known != nil {
		i = *known
	}
	i.Major, i.Minor = e.Major, e.Minor
	return i
}

// Label is how a report names the interface: "MSDTC (906b0ce0-…)" or the bare UUID.
func (e Endpoint) Label() string {
	if e.Name == "" {
		return e.Interface.String()
	}
	return e.Name + " (" + e.Interface.String() + ")"
}

// DecodeEntries turns lookup entries into the reportable list: towers decoded, the
// mgmt interface and undecodable towers dropped, duplicates (the same interface,
// version, protocol and endpoint, which servers register once per object or per
// address) merged, sorted by protocol, port, endpoint, name and UUID. It returns how
// many towers did not decode, so a report can say so rather than hide them.
func DecodeEntries(entries []EPMEntry) (eps []Endpoint, bad int) {
	type key struct {
		iface            UUID
		ver, proto, endp string
		port             uint16
	}
	seen := map[key]int{}
	for _, e := range entries {
		if e.Tower == nil {
			continue
		}
		t, err := ParseTower(e.Tower)
		if err != nil {
			bad++
			continue
		}
		if t.Interface == mgmtInterface {
			continue
		}
		ep := Endpoint{
			Interface:  t.Interface,
			Version:    fmt.Sprintf("%d.%d", t.VerMajor, t.VerMinor),
			Major:      t.VerMajor,
			Minor:      t.VerMinor,
			Name:       InterfaceName(t.Interface),
			Annotation: e.Annotation,
			Protocol:   t.Protocol,
			Port:       t.Port,
			Endpoint:   t.Endpoint,
		}
		if !e.Object.IsZero() {
			o := e.Object
			ep.Object = &o
		}
		k := key{ep.Interface, ep.Version, ep.Protocol, ep.Endpoint, ep.Port}
		if i, ok := seen[k]; ok {
			if eps[i].Annotation == "" {
				eps[i].Annotation = ep.Annotation
			}
			continue
		}
		seen[k] = len(eps)
		eps = append(eps, ep)
	}
	slices.SortFunc(eps, func(a, b Endpoint) int {
		return cmp.Or(cmp.Compare(a.Protocol, b.Protocol), cmp.Compare(a.Port, b.Port),
			cmp.Compare(a.Endpoint, b.Endpoint), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Interface.String(), b.Interface.String()), cmp.Compare(a.Version, b.Version))
	})
	return eps, bad
}

// PortEndpoints is one TCP port the endpoint mapper handed out, with the
// interfaces registered on it.
type PortEndpoints struct {
	Port       uint16     `json:"port"`
	Interfaces []Endpoint `json:"interfaces"`
}

// TCPPorts groups the ncacn_ip_tcp endpoints (and ncacn_http, which is also a TCP
// listener) by port, in port order: the ports a firewall must let through.
func TCPPorts(eps []Endpoint) []PortEndpoints {
	var ports []PortEndpoints
	for _, e := range eps {
		if e.Port == 0 || (e.Protocol != "ncacn_ip_tcp" && e.Protocol != "ncacn_http") {
			continue
		}
		i, found := slices.BinarySearchFunc(ports, e.Port, func(p PortEndpoints, port uint16) int { return int(p.Port) - int(port) })
		if !found {
			ports = slices.Insert(ports, i, PortEndpoints{Port: e.Port})
		}
		ports[i].Interfaces = append(ports[i].Interfaces, e)
	}
	return ports
}

// PortKind says whether a registered port lies in a Windows dynamic RPC range
// (protocols.md §11): 49152–65535 since Vista/2008, 1025–5000 before; anything
// else was fixed by configuration (NTDS TCP/IP Port, DCTcpipPort, MSDTC
// ServerTcpPort, Rpc\Internet Ports …) or is a well-known endpoint (135, 593).
func PortKind(port uint16) string {
	switch {
	case port >= 49152:
		return "dynamic"
	case port >= 1025 && port <= 5000:
		return "dynamic (pre-2008 range)"
	}
	return "fixed"
}

// FixedEndpoint reports whether port is one of the RPC runtime's own well-known
// endpoints, the same on every Windows host whatever the dynamic range: 135 (the
// endpoint mapper over ncacn_ip_tcp) and 593 (the endpoint mapper over
// ncacn_http, RPC over HTTP). They are not part of a dynamic-range question.
func FixedEndpoint(port uint16) bool { return port == EPMPort || port == 593 }
