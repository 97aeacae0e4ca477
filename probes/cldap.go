package probes

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/portreach/portreach/msrpc"
)

// CLDAP sends the Netlogon "LDAP ping" ([MS-ADTS] 6.3.3) that Windows clients use
// to find a domain controller: an LDAPv3 SearchRequest over UDP (RFC 4511 §4.5.1,
// connectionless as AD does it, without RFC 1798's user field) for the attribute
// Netlogon of the root DSE, with the filter (&(NtVer=\06\00\00\00)(AAC=\00\00\00\00)).
// NtVer 6 (V5|V5EX) asks for a NETLOGON_SAM_LOGON_RESPONSE_EX ([MS-ADTS] 6.3.1.9),
// which names the forest, domain, host and site and carries the DC's role flags.
// The reply is about 140 bytes, so it is not lost to IP fragmentation the way a
// rootDSE dump can be (protocols.md §5).
var CLDAP = &Probe{
	Name:    "cldap",
	Ports:   []uint16{389},
	Silence: "only Active Directory domain controllers (Windows or Samba) serve CLDAP; they answer every LDAP ping, so silence means no DC listens or a filter drops 389/udp",
	New:     newCLDAPQuery,
	Detail:  (*CLDAPDetail)(nil),
	Drift: []DriftField{
		{Path: "netlogon.flag_names[]", Meaning: "the DC's roles changed ([MS-ADTS] 6.3.1.2): e.g. lost GC, no longer writable, no longer a KDC or time server"},
		{Path: "netlogon.dns_domain", Meaning: "the DC answers for another domain"},
		{Path: "netlogon.dc_site", Meaning: "the DC moved to another AD site"},
	},
}

// cldapQuery is one LDAP ping, and optionally a rootDSE search under its own
// message ID. Replies to both merge into one detail.
type cldapQuery struct {
	id      int64
	packet  []byte
	rootID  int64 // 0: no rootDSE search
	root    []byte
	d       CLDAPDetail
	pinged  bool // the ping's SearchResultDone came
	rooted  bool // the rootDSE search's SearchResultDone came
	matched bool
}

func newCLDAPQuery(rnd io.Reader, opt Options) (Query, error) {
	b := make([]byte, 4, 8)
	if opt.CLDAPRootDSE {
		b = b[:8]
	}
	if _, err := io.ReadFull(rnd, b); err != nil {
		return nil, fmt.Errorf("cldap: random message ID: %w", err)
	}
	// messageID is INTEGER (0..maxInt) (RFC 4511 §4.1.1); 0 is avoided because some
	// servers treat it as "no ID".
	msgID := func(b []byte) int64 { return max(1, int64(binary.BigEndian.Uint32(b)&0x7fffffff)) }
	q := newCLDAPQueryID(msgID(b[:4]))
	if opt.CLDAPRootDSE {
		q.rootID = msgID(b[4:8])
		if q.rootID == q.id {
			q.rootID = q.id%0x7fffffff + 1
		}
		q.root = cldapRootDSESearch(q.rootID)
	}
	return q, nil
}

// newCLDAPQueryID builds the ping with a fixed message ID, for byte-exact tests.
func newCLDAPQueryID(id int64) *cldapQuery {
	eq := func(attr string, val []byte) []byte {
		return berEncode(0xa3, berOctets(berTagOctetString, []byte(attr)), berOctets(berTagOctetString, val))
	}
	search := berEncode(0x63, // [APPLICATION 3] SearchRequest
		berOctets(berTagOctetString, nil), // baseObject: the root DSE
		berIntTagged(berTagEnumerated, 0), // scope baseObject
		berIntTagged(berTagEnumerated, 0), // derefAliases neverDerefAliases
		berInt(0),                         // sizeLimit
		berInt(0),                         // timeLimit
		berBool(false),                    // typesOnly
		berEncode(0xa0, // and
			eq("NtVer", []byte{6, 0, 0, 0}), // NETLOGON_NT_VERSION_5 | _5EX
			eq("AAC", []byte{0, 0, 0, 0})),  // no account control bits: any DC
		berEncode(berTagSequence, berOctets(berTagOctetString, []byte("Netlogon"))))
	return &cldapQuery{id: id, packet: berEncode(berTagSequence, berInt(id), search)}
}

// cldapRootDSESearch is protocols.md §5's rootDSE search: base "", scope base,
// (objectClass=*), every attribute.
func cldapRootDSESearch(id int64) []byte {
	return berEncode(berTagSequence, berInt(id),
		berEncode(0x63,
			berOctets(berTagOctetString, nil),
			berIntTagged(berTagEnumerated, 0),
			berIntTagged(berTagEnumerated, 0),
			berInt(0), berInt(0), berBool(false),
			berOctets(0x87, []byte("objectClass")), // present filter
			berEncode(berTagSequence)))
}

func (q *cldapQuery) Packets() [][]byte {
	if q.root != nil {
		return [][]byte{q.packet, q.root}
	}
	return [][]byte{q.packet}
}

// Complete reports whether the ping, and the rootDSE search if one was sent,
// have been answered to the end (their SearchResultDone came).
func (q *cldapQuery) Complete() bool { return q.pinged && (q.root == nil || q.rooted) }

// CLDAPDetail is what a domain controller said to the LDAP ping.
type CLDAPDetail struct {
	// ResultCode is the SearchResultDone's LDAP result code (RFC 4511 §4.1.9),
	// 0 for success; -1 when the datagram ended without one.
	ResultCode int    `json:"result_code"`
	Diagnostic string `json:"diagnostic,omitempty"`
	// Netlogon is the decoded ping response; nil when the server sent no entry
	// (not a DC answer to this filter, but proof that CLDAP listens).
	Netlogon *NetlogonResponse `json:"netlogon,omitempty"`
	// NetlogonError says why a Netlogon value did not decode, if one did not.
	NetlogonError string `json:"netlogon_error,omitempty"`
	// RootDSE holds the rootDSE attributes an administrator reads (naming
	// contexts, functional levels, currentTime …), when the search was asked
	// for (Options.CLDAPRootDSE) and answered.
	RootDSE map[string][]string `json:"root_dse,omitempty"`
}

// rootDSEKeep are the rootDSE attributes kept, by lower-case name; the rest
// (supportedControl, supportedCapabilities …) are long lists of OIDs.
var rootDSEKeep = map[string]string{}

func init() {
	for _, a := range []string{"defaultNamingContext", "rootDomainNamingContext",
		"configurationNamingContext", "dnsHostName", "serverName", "ldapServiceName",
		"domainFunctionality", "forestFunctionality", "domainControllerFunctionality",
		"currentTime", "isGlobalCatalogReady", "isSynchronized", "supportedLDAPVersion",
		"vendorName", "vendorVersion", "highestCommittedUSN"} {
		rootDSEKeep[strings.ToLower(a)] = a
	}
}

// functionalLevels names the values of domainControllerFunctionality and its
// siblings ([MS-ADTS] 6.1.4.2, protocols.md §5).
var functionalLevels = map[string]string{
	"0": "2000", "1": "2003 interim", "2": "2003", "3": "2008", "4": "2008 R2",
	"5": "2012", "6": "2012 R2", "7": "2016", "10": "2025",
}

// NetlogonResponse is a NETLOGON_SAM_LOGON_RESPONSE_EX ([MS-ADTS] 6.3.1.9).
type NetlogonResponse struct {
	Opcode          uint16     `json:"opcode"` // 23 response, 25 user unknown
	Flags           uint32     `json:"flags"`
	FlagNames       []string   `json:"flag_names"`
	DomainGUID      msrpc.UUID `json:"domain_guid"`
	DNSForest       string     `json:"dns_forest,omitempty"`
	DNSDomain       string     `json:"dns_domain,omitempty"`
	DNSHost         string     `json:"dns_host,omitempty"`
	NetBIOSDomain   string     `json:"netbios_domain,omitempty"`
	NetBIOSComputer string     `json:"netbios_computer,omitempty"`
	User            string     `json:"user,omitempty"`
	DCSite          string     `json:"dc_site,omitempty"`
	ClientSite      string     `json:"client_site,omitempty"`
	DCAddr          netip.Addr `json:"dc_address,omitzero"` // only with NtVer V5EP
	NtVersion       uint32     `json:"nt_version"`
}

// dsFlags names the DS_FLAG bits ([MS-ADTS] 6.3.1.2, protocols.md §5).
var dsFlags = []struct {
	bit  uint32
	name string
}{
	{0x1, "PDC"}, {0x4, "GC"}, {0x8, "LDAP"}, {0x10, "DS"}, {0x20, "KDC"},
	{0x40, "TIMESERV"}, {0x80, "CLOSEST"}, {0x100, "WRITABLE"}, {0x200, "GOOD_TIMESERV"},
	{0x400, "NDNC"}, {0x800, "RODC"}, {0x1000, "FULL_SECRET"}, {0x2000, "WS"},
	{0x4000, "DS_8"}, {0x8000, "DS_9"}, {0x10000, "DS_10"}, {0x20000, "KEY_LIST"},
	{0x20000000, "DNS_CONTROLLER"}, {0x40000000, "DNS_DOMAIN"}, {0x80000000, "DNS_FOREST"},
}

// dsClosest is DS_CLOSEST_FLAG: the DC is in the site the client's address
// maps to ([MS-ADTS] 6.3.1.2).
const dsClosest = 0x80

func dsFlagNames(f uint32) []string {
	names := []string{}
	for _, d := range dsFlags {
		if f&d.bit != 0 {
			names = append(names, d.name)
			f &^= d.bit
		}
	}
	if f != 0 {
		names = append(names, fmt.Sprintf("0x%x", f))
	}
	return names
}

// Summary reads like "DC of lab.example (LAB), host labdc.lab.example, PDC, GC,
// KDC, time server, writable, site Site-A (closest), client site Site-A": the
// roles the DC locator selects by ([MS-ADTS] 6.3.1.2), the DC's site, and the
// site this machine's address maps to (none: no subnet-to-site mapping covers
// it, and the client cannot prefer its own site's DCs).
func (d *CLDAPDetail) Summary() string {
	n := d.Netlogon
	if n == nil {
		s := "no Netlogon entry (not a DC answer), LDAP result " + strconv.Itoa(d.ResultCode)
		if d.NetlogonError != "" {
			s = "undecodable Netlogon value: " + d.NetlogonError
		}
		if d.Diagnostic != "" {
			s += " " + strconv.Quote(d.Diagnostic)
		}
		return s
	}
	parts := []string{"DC of " + n.DNSDomain}
	if n.NetBIOSDomain != "" {
		parts[0] += " (" + n.NetBIOSDomain + ")"
	}
	if n.DNSHost != "" {
		parts = append(parts, "host "+n.DNSHost)
	}
	for _, r := range []struct {
		bit  uint32
		name string
	}{{0x1, "PDC"}, {0x4, "GC"}, {0x20, "KDC"}, {0x40, "time server"}, {0x100, "writable"}, {0x800, "RODC"}} {
		if n.Flags&r.bit != 0 {
			parts = append(parts, r.name)
		}
	}
	if n.DCSite != "" {
		site := "site " + n.DCSite
		if n.Flags&dsClosest != 0 {
			site += " (closest)"
		}
		parts = append(parts, site)
	}
	if n.ClientSite != "" {
		parts = append(parts, "client site "+n.ClientSite)
	} else if n.Opcode == 23 {
		parts = append(parts, "no client site")
	}
	if n.Opcode == 25 {
		parts = append(parts, "user unknown")
	}
	if v := d.RootDSE["domainControllerFunctionality"]; len(v) > 0 {
		level := functionalLevels[v[0]]
		if level == "" {
			level = v[0]
		}
		parts = append(parts, "DC functional level "+level)
	}
	return strings.Join(parts, ", ")
}

// errCLDAPDone marks the end of the messages of a datagram.
var errCLDAPDone = errors.New("cldap: done")

// Match accepts a datagram of back-to-back LDAPMessages (a SearchResultEntry then
// a SearchResultDone, or the Done alone) whose messageID is ours. Anything that is
// not BER, or carries another message ID, is not ours.
func (q *cldapQuery) Match(reply []byte) (Detail, error) {
	r := newBERReader(reply)
	d := q.d // merge into a copy, so a datagram that turns out not ours changes nothing
	if !q.matched {
		d.ResultCode = -1
	}
	matched, pinged, rooted := false, q.pinged, q.rooted
	for !r.Empty() {
		msg, err := r.Expect(berTagSequence)
		if err != nil {
			break // trailing junk after our messages, or not LDAP at all
		}
		body, err := msg.Children()
		if err != nil {
			break
		}
		idTLV, err := body.Expect(berTagInteger)
		if err != nil {
			break
		}
		id, err := idTLV.Int()
		if err != nil || id != q.id && (q.rootID == 0 || id != q.rootID) {
			continue
		}
		op, err := body.Next()
		if err != nil {
			break
		}
		switch {
		case op.Ident == 0x64 && id == q.id: // [APPLICATION 4] SearchResultEntry
			matched = true
			if v, ok := cldapNetlogonValue(op); ok && d.Netlogon == nil {
				n, err := ParseNetlogonResponse(v)
				if err != nil {
					d.NetlogonError = err.Error()
				} else {
					d.Netlogon, d.NetlogonError = n, ""
				}
			}
		case op.Ident == 0x64: // the rootDSE entry
			matched = true
			d.RootDSE = cldapAttributes(op, rootDSEKeep)
		case op.Ident == 0x65 && id == q.id: // [APPLICATION 5] SearchResultDone: LDAPResult
			matched, pinged = true, true
			res, err := op.Children()
			if err != nil {
				continue
			}
			if code, err := res.Expect(berTagEnumerated); err == nil {
				if c, err := code.Int(); err == nil && c >= 0 && c < 1<<16 {
					d.ResultCode = int(c)
				}
			}
			if _, err := res.Expect(berTagOctetString); err == nil { // matchedDN
				if diag, err := res.Expect(berTagOctetString); err == nil {
					d.Diagnostic = string(diag.Value)
				}
			}
		case op.Ident == 0x65:
			matched, rooted = true, true
		}
	}
	if !matched {
		return nil, ErrNotMine
	}
	q.d, q.matched, q.pinged, q.rooted = d, true, pinged, rooted
	out := d
	return &out, nil
}

// cldapNetlogonValue is the first value of the entry's Netlogon attribute.
func cldapNetlogonValue(entry berTLV) ([]byte, bool) {
	v := cldapAttributes(entry, map[string]string{"netlogon": "Netlogon"})["Netlogon"]
	if len(v) == 0 {
		return nil, false
	}
	return []byte(v[0]), true
}

// cldapAttributes collects, from a SearchResultEntry, the values of the
// attributes whose lower-case names keep maps to the names to report them under
// (attribute descriptions are case-insensitive, RFC 4512 §2.5). A malformed
// attribute ends the walk: what came before it is kept.
func cldapAttributes(entry berTLV, keep map[string]string) map[string][]string {
	out := map[string][]string{}
	c, err := entry.Children()
	if err != nil {
		return out
	}
	if _, err := c.Expect(berTagOctetString); err != nil { // objectName
		return out
	}
	attrs, err := c.Expect(berTagSequence)
	if err != nil {
		return out
	}
	ar, err := attrs.Children()
	if err != nil {
		return out
	}
	for !ar.Empty() {
		a, err := ar.Expect(berTagSequence)
		if err != nil {
			return out
		}
		ac, err := a.Children()
		if err != nil {
			return out
		}
		typ, err := ac.Expect(berTagOctetString)
		if err != nil {
			return out
		}
		name, ok := keep[strings.ToLower(string(typ.Value))]
		if !ok {
			continue
		}
		vals, err := ac.Expect(berTagSet)
		if err != nil {
			return out
		}
		vr, err := vals.Children()
		if err != nil {
			return out
		}
		for !vr.Empty() && len(out[name]) < 16 {
			v, err := vr.Expect(berTagOctetString)
			if err != nil {
				break
			}
			out[name] = append(out[name], string(v.Value))
		}
	}
	return out
}

// ParseNetlogonResponse decodes a NETLOGON_SAM_LOGON_RESPONSE_EX ([MS-ADTS]
// 6.3.1.9): opcode, Sbz, flags and domain GUID, then eight RFC 1035 names whose
// compression pointers count from the start of the blob, then (only when V5EP was
// asked) DcSockAddrSize and a sockaddr_in, then NtVersion, LmNtToken, Lm20Token.
func ParseNetlogonResponse(b []byte) (*NetlogonResponse, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("cldap: Netlogon value of %d bytes", len(b))
	}
	n := &NetlogonResponse{Opcode: binary.LittleEndian.Uint16(b)}
	if n.Opcode != 23 && n.Opcode != 25 {
		return nil, fmt.Errorf("cldap: Netlogon opcode %d, want 23 or 25 (LOGON_SAM_LOGON_RESPONSE_EX)", n.Opcode)
	}
	n.Flags = binary.LittleEndian.Uint32(b[4:])
	n.FlagNames = dsFlagNames(n.Flags)
	n.DomainGUID = msrpc.UUIDFromWire(b[8:24])
	off := 24
	for _, dst := range []*string{&n.DNSForest, &n.DNSDomain, &n.DNSHost, &n.NetBIOSDomain,
		&n.NetBIOSComputer, &n.User, &n.DCSite, &n.ClientSite} {
		s, next, err := netlogonName(b, off)
		if err != nil {
			return nil, err
		}
		*dst, off = s, next
	}
	rest := b[off:]
	if len(rest) > 8 && int(rest[0]) >= 8 && len(rest) >= 1+int(rest[0])+8 {
		sa := rest[1 : 1+int(rest[0])]
		if binary.LittleEndian.Uint16(sa) == 2 { // AF_INET; the port and address are big-endian
			n.DCAddr = netip.AddrFrom4([4]byte(sa[4:8]))
		}
		rest = rest[1+int(rest[0]):]
	}
	if len(rest) < 8 {
		return nil, fmt.Errorf("cldap: Netlogon value ends before NtVersion, LmNtToken and Lm20Token")
	}
	n.NtVersion = binary.LittleEndian.Uint32(rest)
	return n, nil
}

// netlogonName reads one RFC 1035 §4.1.4 name at off. Pointers must point backwards
// (so a loop is impossible) and the name is at most 255 bytes.
func netlogonName(b []byte, off int) (string, int, error) {
	var sb bytes.Buffer
	next := -1
	for {
		if off >= len(b) {
			return "", 0, fmt.Errorf("cldap: Netlogon name truncated")
		}
		l := int(b[off])
		switch {
		case l == 0:
			if next < 0 {
				next = off + 1
			}
			return sb.String(), next, nil
		case l&0xc0 == 0xc0:
			if off+1 >= len(b) {
				return "", 0, fmt.Errorf("cldap: Netlogon name pointer truncated")
			}
			ptr := int(binary.BigEndian.Uint16(b[off:]) & 0x3fff)
			if ptr >= off {
				return "", 0, fmt.Errorf("cldap: Netlogon name pointer %d does not point back", ptr)
			}
			if next < 0 {
				next = off + 2
			}
			off = ptr
		case l&0xc0 != 0:
			return "", 0, fmt.Errorf("cldap: Netlogon name label type 0x%02x", l&0xc0)
		default:
			if off+1+l > len(b) {
				return "", 0, fmt.Errorf("cldap: Netlogon name label truncated")
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.Write(b[off+1 : off+1+l])
			if sb.Len() > 255 {
				return "", 0, fmt.Errorf("cldap: Netlogon name longer than 255 bytes")
			}
			off += 1 + l
		}
	}
}
