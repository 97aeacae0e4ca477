package probes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// Lookup is one question of the Windows DC locator ([MS-ADTS] 6.3.6.1, "DNS-Based
// Discovery"): the SRV records (RFC 2782) that name a domain's domain controllers
// (_ldap._tcp.dc._msdcs.DOMAIN, _kerberos._tcp.dc._msdcs.DOMAIN, _gc._tcp.FOREST …),
// or the A or AAAA records of one DC they name. It is a standard query (RFC 1035
// §4.1.1) with RD set, since the server asked is usually a resolver (the site's
// DNS), and no EDNS OPT record: Microsoft DNS answers FORMERR to EDNS options it
// does not know (DVE-2018-0002), and a reply too large for 512 bytes comes back
// truncated, to be asked again over TCP (TCPDialog).
//
// Unlike the DNS port probe, a lookup checks that the reply answers its own
// question (RFC 5452 §9.1): a reply with our ID to another name is someone
// else's, not an answer that the name has no records.
type Lookup struct {
	id     uint16
	name   dnsmessage.Name
	typ    dnsmessage.Type
	packet []byte
	answer *LookupDetail // the last reply matched, for TCPDialog's caller
}

// LookupType is the record type a Lookup asks for.
type LookupType = dnsmessage.Type

// The record types the DC locator asks for.
const (
	LookupSRV  = dnsmessage.TypeSRV
	LookupA    = dnsmessage.TypeA
	LookupAAAA = dnsmessage.TypeAAAA
)

// Caps on what one reply may add to a detail: far more DCs than any domain has
// behind one name, and far more than a scan should fan out to from one reply.
const (
	lookupMaxRecords = 64
	lookupMaxCNAMEs  = 8
)

// NewLookup builds the question for name (a domain name without or with its
// final dot) and record type t, with an ID drawn from rnd.
func NewLookup(rnd io.Reader, name string, t LookupType) (*Lookup, error) {
	var b [2]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return nil, fmt.Errorf("dns lookup: random ID: %w", err)
	}
	return newLookupID(binary.BigEndian.Uint16(b[:]), name, t)
}

// newLookupID builds the question with a fixed ID, for byte-exact tests.
func newLookupID(id uint16, name string, t LookupType) (*Lookup, error) {
	if t != LookupSRV && t != LookupA && t != LookupAAAA {
		return nil, fmt.Errorf("dns lookup: record type %v is not one the DC locator asks for", t)
	}
	if err := checkLookupName(name); err != nil {
		return nil, err
	}
	n, err := dnsmessage.NewName(strings.TrimSuffix(name, ".") + ".")
	if err != nil {
		return nil, fmt.Errorf("dns lookup: %q: %w", name, err)
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 64), dnsmessage.Header{ID: id, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		return nil, fmt.Errorf("dns lookup: build: %w", err)
	}
	if err := b.Question(dnsmessage.Question{Name: n, Type: t, Class: dnsmessage.ClassINET}); err != nil {
		return nil, fmt.Errorf("dns lookup: %q: %w", name, err)
	}
	msg, err := b.Finish()
	if err != nil {
		return nil, fmt.Errorf("dns lookup: build: %w", err)
	}
	return &Lookup{id: id, name: n, typ: t, packet: msg}, nil
}

// checkLookupName refuses names that no DNS server holds: empty labels, labels
// over 63 bytes (RFC 1035 §2.3.4) and bytes other than letters, digits, '-' and
// '_' (the locator's own labels, _ldap, _tcp, _msdcs, start with one).
func checkLookupName(name string) error {
	s := strings.TrimSuffix(name, ".")
	if s == "" {
		return errors.New("dns lookup: empty name")
	}
	if len(s) > 253 {
		return fmt.Errorf("dns lookup: name of %d bytes (at most 253)", len(s))
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" {
			return fmt.Errorf("dns lookup: %q has an empty label", name)
		}
		if len(label) > 63 {
			return fmt.Errorf("dns lookup: %q has a label over 63 bytes", name)
		}
		if !hostLabel(label) {
			return fmt.Errorf("dns lookup: %q: only letters, digits, '-' and '_' may make a label", name)
		}
	}
	return nil
}

func hostLabel(label string) bool {
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Packets returns the question's one datagram.
func (l *Lookup) Packets() [][]byte { return [][]byte{l.packet} }

// Name is the name asked for, without its final dot.
func (l *Lookup) Name() string { return strings.TrimSuffix(l.name.String(), ".") }

// Answer is the last reply matched (by Match, or over TCP by TCPDialog); nil
// before one.
func (l *Lookup) Answer() *LookupDetail { return l.answer }

// TCPDialog asks the same question over TCP, each message preceded by its
// 2-octet length (RFC 1035 §4.2.2; RFC 7766 §5: what a client does with a
// truncated UDP reply). The answer is read with Answer once the dialog is done.
func (l *Lookup) TCPDialog() Dialog {
	return &framedDialog{d: ServiceDetail{Service: "dns-tcp"}, q: l, prefix: 2, want: "a DNS reply",
		set:       func(*ServiceDetail, Detail) {},
		plausible: func(m []byte) bool { return binary.BigEndian.Uint16(m) == l.id }}
}

// SRVRecord is one SRV record (RFC 2782): the host Target serves on Port, tried
// in Priority order (lowest first), by Weight within a priority.
type SRVRecord struct {
	Priority uint16 `json:"priority"`
	Weight   uint16 `json:"weight"`
	Port     uint16 `json:"port"`
	// Target is the host's name in lower case without the final dot; "." says
	// the service is decidedly not available at this name (RFC 2782).
	Target string `json:"target"`
}

// String reads "labdc.lab.example:389".
func (r SRVRecord) String() string { return r.Target + ":" + strconv.Itoa(int(r.Port)) }

// LookupDetail is what a DNS server said to a Lookup.
type LookupDetail struct {
	// Name and Type are the question ("_ldap._tcp.dc._msdcs.lab.example", "SRV").
	Name string `json:"name"`
	Type string `json:"type"`
	// RCode names the response code (NOERROR, NXDOMAIN, SERVFAIL, REFUSED …).
	RCode string `json:"rcode"`
	// Authoritative is the AA bit: the server holds the zone (the DC's own DNS).
	Authoritative bool `json:"authoritative"`
	// Truncated is the TC bit: the answer did not fit the datagram; what came
	// is what fit, and the question is to be asked again over TCP.
	Truncated bool `json:"truncated,omitempty"`
	// SRV are the SRV records of the name (after any CNAME), in the server's order.
	SRV []SRVRecord `json:"srv,omitempty"`
	// Addrs are the A or AAAA records of the name (after any CNAME).
	Addrs []netip.Addr `json:"addresses,omitempty"`
	// Glue are addresses the additional section gives for SRV targets (Microsoft
	// DNS sends them, RFC 2782 suggests it), by target.
	Glue map[string][]netip.Addr `json:"glue,omitempty"`
	// Skipped counts records of the name that were left out: SRV records whose
	// target is not a host name, and records past the cap of 64.
	Skipped int `json:"skipped,omitempty"`
}

// Found reports whether the reply names anything: an SRV record with a target
// other than ".", or an address.
func (d *LookupDetail) Found() bool {
	return len(d.Addrs) > 0 || slices.ContainsFunc(d.SRV, func(r SRVRecord) bool { return r.Target != "." })
}

// Summary reads "NOERROR, labdc.lab.example:389, labdc2.lab.example:389",
// "NXDOMAIN" or "NOERROR, no SRV record".
func (d *LookupDetail) Summary() string {
	parts := []string{d.RCode}
	for _, r := range d.SRV {
		parts = append(parts, r.String())
	}
	for _, a := range d.Addrs {
		parts = append(parts, a.String())
	}
	if len(parts) == 1 && d.RCode == "NOERROR" {
		parts = append(parts, "no "+d.Type+" record")
	}
	if d.Skipped > 0 {
		parts = append(parts, strconv.Itoa(d.Skipped)+" records skipped")
	}
	if d.Truncated {
		parts = append(parts, "truncated")
	}
	return strings.Join(parts, ", ")
}

// Match accepts a reply to this question: the ID matches, QR is set, the opcode
// is QUERY and the question section is this question (FORMERR, NOTIMP and
// REFUSED replies may leave it out, RFC 1035 §4.1.1, as Samba's FORMERR does).
// Anything else is ErrNotMine. A reply of ours that does not parse is an error.
func (l *Lookup) Match(reply []byte) (Detail, error) {
	if len(reply) < 12 || binary.BigEndian.Uint16(reply) != l.id {
		return nil, ErrNotMine
	}
	var p dnsmessage.Parser
	h, err := p.Start(reply)
	if err != nil {
		return nil, fmt.Errorf("dns lookup: reply header: %w", err)
	}
	if !h.Response || h.OpCode != 0 {
		return nil, ErrNotMine
	}
	qs, err := p.AllQuestions()
	if err != nil {
		return nil, fmt.Errorf("dns lookup: reply question: %w", err)
	}
	switch {
	case len(qs) == 0 && h.RCode != dnsmessage.RCodeSuccess && h.RCode != dnsmessage.RCodeNameError:
	case len(qs) != 1 || !strings.EqualFold(qs[0].Name.String(), l.name.String()) ||
		qs[0].Type != l.typ || qs[0].Class != dnsmessage.ClassINET:
		return nil, ErrNotMine
	}
	d := &LookupDetail{
		Name:          l.Name(),
		Type:          strings.TrimPrefix(l.typ.String(), "Type"),
		RCode:         dnsRCodeName(h.RCode),
		Authoritative: h.Authoritative,
		Truncated:     h.Truncated,
	}
	// The names that stand for the question: itself and what CNAMEs make it.
	names := []string{strings.ToLower(l.name.String())}
	for i := 0; ; i++ {
		rh, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dns lookup: reply answer %d: %w", i+1, err)
		}
		if err := d.answer(&p, rh, &names); err != nil {
			return nil, fmt.Errorf("dns lookup: reply answer %d: %w", i+1, err)
		}
	}
	if err := p.SkipAllAuthorities(); err != nil {
		return nil, fmt.Errorf("dns lookup: reply authority: %w", err)
	}
	for i := 0; ; i++ {
		rh, err := p.AdditionalHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dns lookup: reply additional %d: %w", i+1, err)
		}
		if err := d.glue(&p, rh); err != nil {
			return nil, fmt.Errorf("dns lookup: reply additional %d: %w", i+1, err)
		}
	}
	l.answer = d
	return d, nil
}

// answer reads one answer record into d: a CNAME of a name of the question
// adds its target to names; SRV, A and AAAA records of those names are kept.
func (d *LookupDetail) answer(p *dnsmessage.Parser, rh dnsmessage.ResourceHeader, names *[]string) error {
	owner := strings.ToLower(rh.Name.String())
	if rh.Class != dnsmessage.ClassINET || !slices.Contains(*names, owner) {
		return p.SkipAnswer()
	}
	full := len(d.SRV)+len(d.Addrs) >= lookupMaxRecords
	switch rh.Type {
	case dnsmessage.TypeCNAME:
		r, err := p.CNAMEResource()
		if err != nil {
			return err
		}
		if len(*names) <= lookupMaxCNAMEs {
			*names = append(*names, strings.ToLower(r.CNAME.String()))
		}
	case dnsmessage.TypeSRV:
		r, err := p.SRVResource()
		if err != nil {
			return err
		}
		target, ok := hostName(r.Target)
		if full || !ok {
			d.Skipped++
			return nil
		}
		d.SRV = append(d.SRV, SRVRecord{Priority: r.Priority, Weight: r.Weight, Port: r.Port, Target: target})
	case dnsmessage.TypeA, dnsmessage.TypeAAAA:
		a, err := lookupAddr(p, rh.Type)
		if err != nil {
			return err
		}
		if full {
			d.Skipped++
			return nil
		}
		d.Addrs = append(d.Addrs, a)
	default:
		return p.SkipAnswer()
	}
	return nil
}

// glue reads one additional record: an address of an SRV target is kept.
func (d *LookupDetail) glue(p *dnsmessage.Parser, rh dnsmessage.ResourceHeader) error {
	if rh.Class != dnsmessage.ClassINET || rh.Type != dnsmessage.TypeA && rh.Type != dnsmessage.TypeAAAA {
		return p.SkipAdditional()
	}
	a, err := lookupAddr(p, rh.Type)
	if err != nil {
		return err
	}
	owner, ok := hostName(rh.Name)
	if !ok || !slices.ContainsFunc(d.SRV, func(r SRVRecord) bool { return r.Target == owner }) {
		return nil
	}
	if d.Glue == nil {
		d.Glue = map[string][]netip.Addr{}
	}
	if len(d.Glue[owner]) < lookupMaxRecords {
		d.Glue[owner] = append(d.Glue[owner], a)
	}
	return nil
}

// lookupAddr reads the body of an A or AAAA record.
func lookupAddr(p *dnsmessage.Parser, t dnsmessage.Type) (netip.Addr, error) {
	if t == dnsmessage.TypeA {
		r, err := p.AResource()
		return netip.AddrFrom4(r.A), err
	}
	r, err := p.AAAAResource()
	return netip.AddrFrom16(r.AAAA), err
}

// hostName renders a name from a reply as a host name to scan: lower case,
// without the final dot, and only if every label is letters, digits, '-' or
// '_'; the root "." stays "." (RFC 2782: no service here).
func hostName(n dnsmessage.Name) (string, bool) {
	s := n.String()
	if s == "." {
		return ".", true
	}
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	if s == "" {
		return "", false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || !hostLabel(label) {
			return "", false
		}
	}
	return s, true
}
