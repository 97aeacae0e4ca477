package probes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// DNS asks two questions that every DNS server answers with something (RFC 1035
// §4.1): `. IN NS` with RD=0, so a resolver is never made to recurse, and
// `version.bind CH TXT`, which BIND, dnsmasq, Unbound and Microsoft DNS answer with
// their version or an error. No EDNS OPT record is sent: Microsoft DNS answers
// FORMERR to unknown EDNS options (DVE-2018-0002). version.bind is sent in lower
// case because Microsoft DNS answers NOTIMP to VERSION.BIND (recog PR #277).
var DNS = &Probe{
	Name:   "dns",
	Ports:  []uint16{53},
	New:    newDNSQuery,
	Detail: (*DNSDetail)(nil),
	Drift: []DriftField{
		{Path: "root_ns.rcode", Meaning: "the server answers the root NS question differently (e.g. REFUSED after an ACL change)"},
		{Path: "version", Meaning: "the DNS server software changed (version.bind, RFC 4892)"},
		{Path: "root_ns.recursion_available", Meaning: "recursion was turned on or off (the RA bit, RFC 1035 4.1.1)"},
		{Path: "open_resolver", Meaning: "the server now resolves for anyone (or no longer does)"},
	},
}

// The two questions, with names fixed at compile time.
var (
	dnsRootName    = dnsmessage.MustNewName(".")
	dnsVersionName = dnsmessage.MustNewName("version.bind.")
)

// dnsMaxVersion caps the version string kept from a reply: one TXT
// character-string is at most 255 bytes (RFC 1035 §3.3).
const dnsMaxVersion = 255

// DNSAnswer is what a server said to one of the two questions.
type DNSAnswer struct {
	// RCode is the response code name (NOERROR, FORMERR, SERVFAIL, NXDOMAIN,
	// NOTIMP, REFUSED, …, or RCODEn for an unnamed one), RFC 1035 §4.1.1 and
	// RFC 6895 §2.3.
	RCode string `json:"rcode"`
	// Authoritative is the AA bit: the server holds the zone (BIND and dnsmasq
	// set it on their version.bind answers).
	Authoritative bool `json:"authoritative"`
	// RecursionAvailable is the RA bit: the server says it would recurse for us.
	RecursionAvailable bool `json:"recursion_available"`
	// Truncated is the TC bit.
	Truncated bool `json:"truncated,omitempty"`
	// Answers is the number of answer records.
	Answers int `json:"answers"`
}

// DNSDetail gathers the replies to both questions of one DNS query.
type DNSDetail struct {
	// RootNS is the reply to `. IN NS`, nil if none came.
	RootNS *DNSAnswer `json:"root_ns,omitempty"`
	// VersionBind is the reply to `version.bind CH TXT`, nil if none came.
	VersionBind *DNSAnswer `json:"version_bind,omitempty"`
	// Version is the text of the version.bind TXT answer ("9.18.49-1~deb12u3-Debian",
	// "dnsmasq-2.90"), "" if the server hides it.
	Version string `json:"version,omitempty"`
	// OpenResolver is a hint, not a verdict: the server set RA and answered the
	// root NS question with records although we asked without RD, which is what a
	// resolver that serves anyone does (an authoritative root server would too).
	OpenResolver bool `json:"open_resolver"`
}

// Summary is the root-NS response code, then the hints: `REFUSED, version "9.18.49"`,
// or `FORMERR, version.bind NXDOMAIN` when the server gives no version.
func (d *DNSDetail) Summary() string {
	var parts []string
	switch {
	case d.RootNS != nil:
		parts = append(parts, d.RootNS.RCode)
	case d.VersionBind != nil:
		parts = append(parts, "version.bind "+d.VersionBind.RCode)
	}
	if d.OpenResolver {
		parts = append(parts, "recursion available: open resolver?")
	}
	switch {
	case d.Version != "":
		parts = append(parts, "version "+strconv.Quote(d.Version))
	case d.RootNS != nil && d.VersionBind != nil && d.VersionBind.RCode == "NOERROR":
		parts = append(parts, "version hidden")
	case d.RootNS != nil && d.VersionBind != nil:
		// No version text: say what the server did instead (Samba answers
		// NXDOMAIN, Microsoft DNS NOTIMP to upper case), which tells servers apart.
		parts = append(parts, "version.bind "+d.VersionBind.RCode)
	}
	return strings.Join(parts, ", ")
}

// dnsQuery is one DNS exchange: two questions, each with its own ID, and the
// replies matched so far.
type dnsQuery struct {
	idNS, idVersion uint16
	packets         [][]byte
	got             DNSDetail
}

// DNSTCP asks the DNS probe's two questions over TCP (53/tcp, RFC 7766; each
// message preceded by its 2-octet length, RFC 1035 §4.2.2): zone transfers,
// large answers and DNSSEC need it, and firewalls that allow only 53/udp break
// them.
var DNSTCP = &Service{
	Name: "dns-tcp", Ports: []uint16{53},
	Drift: []DriftField{
		{Path: "dns.version", Meaning: "the DNS server software changed (version.bind, RFC 4892)"},
		{Path: "dns.root_ns.rcode", Meaning: "the server answers the root NS question differently (e.g. REFUSED after an ACL change)"},
	},
	New: func(rnd io.Reader, _ string) (Dialog, error) {
		q, err := newDNSQuery(rnd, Options{})
		if err != nil {
			return nil, err
		}
		ids := q.(*dnsQuery)
		return &framedDialog{d: ServiceDetail{Service: "dns-tcp"}, q: q, prefix: 2, want: "a DNS reply",
			set: func(d *ServiceDetail, det Detail) { d.DNS = det.(*DNSDetail) },
			plausible: func(m []byte) bool { // one of our IDs
				id := binary.BigEndian.Uint16(m)
				return id == ids.idNS || id == ids.idVersion
			}}, nil
	},
}

func newDNSQuery(rnd io.Reader, _ Options) (Query, error) {
	var b [4]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return nil, fmt.Errorf("dns: random IDs: %w", err)
	}
	idNS, idVersion := binary.BigEndian.Uint16(b[:2]), binary.BigEndian.Uint16(b[2:])
	if idVersion == idNS {
		idVersion ^= 0x8000 // the two replies must be told apart by ID alone
	}
	return newDNSQueryIDs(idNS, idVersion)
}

// newDNSQueryIDs builds the query with fixed IDs, so tests can compare the bytes
// with the reference dumps.
func newDNSQueryIDs(idNS, idVersion uint16) (*dnsQuery, error) {
	ns, err := dnsQuestion(idNS, dnsmessage.Question{Name: dnsRootName, Type: dnsmessage.TypeNS, Class: dnsmessage.ClassINET})
	if err != nil {
		return nil, err
	}
	ver, err := dnsQuestion(idVersion, dnsmessage.Question{Name: dnsVersionName, Type: dnsmessage.TypeTXT, Class: dnsmessage.ClassCHAOS})
	if err != nil {
		return nil, err
	}
	return &dnsQuery{idNS: idNS, idVersion: idVersion, packets: [][]byte{ns, ver}}, nil
}

// dnsQuestion builds a standard query (opcode 0) with RD=0 and one question.
func dnsQuestion(id uint16, q dnsmessage.Question) ([]byte, error) {
	b := dnsmessage.NewBuilder(make([]byte, 0, 32), dnsmessage.Header{ID: id})
	if err := b.StartQuestions(); err != nil {
		return nil, fmt.Errorf("dns: build: %w", err)
	}
	if err := b.Question(q); err != nil {
		return nil, fmt.Errorf("dns: build: %w", err)
	}
	msg, err := b.Finish()
	if err != nil {
		return nil, fmt.Errorf("dns: build: %w", err)
	}
	return msg, nil
}

func (q *dnsQuery) Packets() [][]byte { return q.packets }

// Match accepts a reply to either question, validated as protocols.md §1 advises:
// the ID matches, QR is set and the opcode is the one sent. The question section
// is not checked: FORMERR replies (Samba) carry none. Each match returns the
// merged detail of every reply matched so far.
func (q *dnsQuery) Match(reply []byte) (Detail, error) {
	if len(reply) < 2 {
		return nil, ErrNotMine
	}
	id := binary.BigEndian.Uint16(reply)
	if id != q.idNS && id != q.idVersion {
		return nil, ErrNotMine
	}
	var p dnsmessage.Parser
	h, err := p.Start(reply)
	if err != nil {
		return nil, fmt.Errorf("dns: reply header: %w", err)
	}
	if !h.Response || h.OpCode != 0 {
		// Our own query reflected back, or another opcode's exchange.
		return nil, ErrNotMine
	}
	a := &DNSAnswer{
		RCode:              dnsRCodeName(h.RCode),
		Authoritative:      h.Authoritative,
		RecursionAvailable: h.RecursionAvailable,
		Truncated:          h.Truncated,
	}
	if err := p.SkipAllQuestions(); err != nil {
		return nil, fmt.Errorf("dns: reply question: %w", err)
	}
	var version string
	for {
		rh, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dns: reply answer %d: %w", a.Answers+1, err)
		}
		a.Answers++
		if id == q.idVersion && rh.Type == dnsmessage.TypeTXT && version == "" {
			txt, err := p.TXTResource()
			if err != nil {
				return nil, fmt.Errorf("dns: version.bind TXT: %w", err)
			}
			version = dnsJoinTXT(txt.TXT)
			continue
		}
		if err := p.SkipAnswer(); err != nil {
			return nil, fmt.Errorf("dns: reply answer %d: %w", a.Answers, err)
		}
	}
	// The rest must parse too: a datagram cut short is not a reply to report on.
	if err := p.SkipAllAuthorities(); err != nil {
		return nil, fmt.Errorf("dns: reply authority: %w", err)
	}
	if err := p.SkipAllAdditionals(); err != nil {
		return nil, fmt.Errorf("dns: reply additional: %w", err)
	}
	if id == q.idNS {
		q.got.RootNS = a
		q.got.OpenResolver = h.RecursionAvailable && h.RCode == dnsmessage.RCodeSuccess && a.Answers > 0
	} else {
		q.got.VersionBind = a
		q.got.Version = version
	}
	d := q.got // a snapshot: later replies must not change a detail already handed out
	return &d, nil
}

// dnsJoinTXT concatenates the character-strings of a TXT record, capped.
func dnsJoinTXT(ss []string) string {
	s := strings.Join(ss, "")
	if len(s) > dnsMaxVersion {
		s = s[:dnsMaxVersion]
	}
	return s
}

// dnsRCodeName names a response code as RFC 6895 §2.3 does.
func dnsRCodeName(r dnsmessage.RCode) string {
	names := [...]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"}
	if int(r) < len(names) {
		return names[r]
	}
	return "RCODE" + strconv.Itoa(int(r))
}

// Complete reports whether both questions have been answered (see Completer).
func (q *dnsQuery) Complete() bool { return q.got.RootNS != nil && q.got.VersionBind != nil }
