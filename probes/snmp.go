package probes

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SNMP sends three requests at once:
//
//   - an SNMPv3 engine discovery (RFC 3414 §4): a noAuthNoPriv GetRequest with an
//     empty engine ID and user, which any v3 agent answers with a Report-PDU
//     carrying its engine ID, boots and time without knowing any credentials;
//   - a v2c and a v1 GetRequest for sysDescr.0 (RFC 3416 §4.2.1, RFC 1157 §4.1.2)
//     with Options.SNMPCommunity, which only an agent that accepts that community
//     answers.
//
// Replies are matched on the v3 msgID (RFC 3412 §7.2.10) or the v1/v2c
// request-id, each random.
var SNMP = &Probe{
	Name:  "snmp",
	Ports: []uint16{161},
	Silence: "SNMP agents drop requests with a wrong community without a word (RFC 1157 §4.1; " +
		"they may log or trap them), and the Windows SNMP service has no SNMPv3 and " +
		"accepts only localhost by default",
	New:    newSNMPQuery,
	Detail: (*SNMPDetail)(nil),
	Drift: []DriftField{
		{Path: "versions[]", Meaning: "the SNMP versions accepted changed (v1/v2c communities travel in clear text)"},
	},
}

// SNMP versions as encoded in the message's version field (RFC 3584 §2.1).
const (
	snmpV1  = 0
	snmpV2c = 1
	snmpV3  = 3
)

// PDU tags (RFC 3416 §3): context-specific, constructed.
const (
	snmpGetRequest  = 0xa0
	snmpGetResponse = 0xa2
	snmpReport      = 0xa8
)

// snmpMaxSize is the msgMaxSize we announce: the largest UDP payload over IPv4,
// what nmap announces too.
const snmpMaxSize = 65507

// snmpSysDescr0 is the encoded OID 1.3.6.1.2.1.1.1.0 (RFC 3418 sysDescr).
var snmpSysDescr0 = berOID(1, 3, 6, 1, 2, 1, 1, 1, 0)

// SNMPEngine is what an SNMPv3 discovery Report reveals (RFC 3414 §4, RFC 3411 §5).
type SNMPEngine struct {
	// ID is msgAuthoritativeEngineID in hex.
	ID string `json:"id"`
	// Enterprise is the IANA private enterprise number in the engine ID.
	Enterprise uint32 `json:"enterprise"`
	// EnterpriseName names a few common enterprise numbers ("net-snmp", "Cisco").
	EnterpriseName string `json:"enterprise_name,omitempty"`
	// Format is how the rest of the ID is built (RFC 3411 §5 SnmpEngineID):
	// "ipv4", "ipv6", "mac", "text", "octets", "enterprise-specific 128",
	// "reserved 6", or "rfc1910" for the old 12-octet form.
	Format string `json:"format"`
	// Data is the rest of the ID decoded for the ipv4, ipv6, mac and text formats.
	Data string `json:"data,omitempty"`
	// Boots is snmpEngineBoots: how many times the engine has (re)started.
	Boots int64 `json:"boots"`
	// Time is snmpEngineTime: seconds since the last boot, so the agent's uptime.
	Time int64 `json:"time"`
	// Report names the Report-PDU's counter, normally usmStatsUnknownEngineIDs.
	Report string `json:"report,omitempty"`
}

// SNMPDetail gathers the replies to one SNMP query.
type SNMPDetail struct {
	// Versions lists the versions that answered, in order of arrival: "v3", "v2c", "v1".
	Versions []string `json:"versions"`
	// Engine is the v3 discovery answer, nil if no v3 reply came.
	Engine *SNMPEngine `json:"engine,omitempty"`
	// SysDescr is sysDescr.0 from a v1/v2c GetResponse.
	SysDescr string `json:"sys_descr,omitempty"`
	// SysDescrError says why a GetResponse carried no sysDescr: an error-status
	// name (noSuchName, RFC 3416 §3) or a v2c exception (noSuchObject, …).
	SysDescrError string `json:"sys_descr_error,omitempty"`
}

// snmpSummaryDescr is how much of sysDescr the one-line summary shows.
const snmpSummaryDescr = 60

// Summary shows sysDescr, then the engine: `"Linux lab 6.1.0-…", engine net-snmp (8072), boots 1, up 9s`.
func (d *SNMPDetail) Summary() string {
	var parts []string
	switch {
	case d.SysDescr != "":
		s := d.SysDescr
		if utf8.RuneCountInString(s) > snmpSummaryDescr {
			s = string([]rune(s)[:snmpSummaryDescr]) + "…"
		}
		parts = append(parts, strconv.Quote(s))
	case d.SysDescrError != "":
		parts = append(parts, "sysDescr "+d.SysDescrError)
	}
	if e := d.Engine; e != nil {
		engine := "engine " + strconv.FormatUint(uint64(e.Enterprise), 10)
		if e.EnterpriseName != "" {
			engine = fmt.Sprintf("engine %s (%d)", e.EnterpriseName, e.Enterprise)
		}
		parts = append(parts, fmt.Sprintf("%s, boots %d, up %v", engine, e.Boots, time.Duration(e.Time)*time.Second))
	}
	if len(parts) == 0 {
		return "SNMP " + strings.Join(d.Versions, "/")
	}
	return strings.Join(parts, ", ")
}

// snmpQuery is one SNMP exchange.
type snmpQuery struct {
	msgID         int32 // v3 msgID
	reqV2c, reqV1 int32 // request-ids of the community GetRequests
	packets       [][]byte
	got           SNMPDetail
}

func newSNMPQuery(rnd io.Reader, opt Options) (Query, error) {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return nil, fmt.Errorf("snmp: random IDs: %w", err)
	}
	// msgID is INTEGER (0..2147483647) (RFC 3412 §6); request-ids are kept
	// non-negative too so every agent takes them.
	id := func(i int) int32 { return int32(binary.BigEndian.Uint32(b[i:]) & 0x7fffffff) }
	reqV2c, reqV1 := id(8), id(12)
	if reqV1 == reqV2c {
		reqV1 ^= 1 // the two GetResponses must be told apart by request-id alone
	}
	community := opt.SNMPCommunity
	if community == "" {
		community = "public"
	}
	return newSNMPQueryIDs(id(0), id(4), reqV2c, reqV1, community), nil
}

// newSNMPQueryIDs builds the query with fixed IDs, for tests against the dumps in
// protocols.md §2.
func newSNMPQueryIDs(msgID, reqV3, reqV2c, reqV1 int32, community string) *snmpQuery {
	return &snmpQuery{
		msgID:  msgID,
		reqV2c: reqV2c,
		reqV1:  reqV1,
		packets: [][]byte{
			snmpV3Discovery(msgID, reqV3),
			snmpGet(snmpV2c, community, reqV2c, snmpSysDescr0),
			snmpGet(snmpV1, community, reqV1, snmpSysDescr0),
		},
	}
}

// snmpV3Discovery builds the RFC 3414 §4 discovery message: msgFlags reportable
// and noAuthNoPriv, USM security parameters all empty or zero, and an empty
// GetRequest in a plaintext scopedPDU (RFC 3412 §6).
func snmpV3Discovery(msgID, reqID int32) []byte {
	empty := berOctets(berTagOctetString, nil)
	return berEncode(berTagSequence,
		berInt(snmpV3),
		berEncode(berTagSequence, // msgGlobalData
			berInt(int64(msgID)),
			berInt(snmpMaxSize),
			berOctets(berTagOctetString, []byte{0x04}), // msgFlags: reportableFlag
			berInt(3), // msgSecurityModel: USM
		),
		berOctets(berTagOctetString, berEncode(berTagSequence, // UsmSecurityParameters, RFC 3414 §2.4
			empty,     // msgAuthoritativeEngineID
			berInt(0), // msgAuthoritativeEngineBoots
			berInt(0), // msgAuthoritativeEngineTime
			empty,     // msgUserName
			empty,     // msgAuthenticationParameters
			empty,     // msgPrivacyParameters
		)),
		berEncode(berTagSequence, // ScopedPDU
			empty, // contextEngineID
			empty, // contextName
			berEncode(snmpGetRequest, berInt(int64(reqID)), berInt(0), berInt(0), berEncode(berTagSequence)),
		),
	)
}

// snmpGet builds a v1 or v2c GetRequest for one OID (BER-encoded).
func snmpGet(version int64, community string, reqID int32, oid []byte) []byte {
	return berEncode(berTagSequence,
		berInt(version),
		berOctets(berTagOctetString, []byte(community)),
		berEncode(snmpGetRequest,
			berInt(int64(reqID)),
			berInt(0), // error-status
			berInt(0), // error-index
			berEncode(berTagSequence, berEncode(berTagSequence, oid, berNull())),
		),
	)
}

func (q *snmpQuery) Packets() [][]byte { return q.packets }

// Match accepts a v3 Report (or Response) with our msgID, or a GetResponse with
// the request-id of the v1 or v2c request. A datagram that does not start as a BER
// SEQUENCE is not mine; one that does but breaks off before its IDs is malformed.
// Each match returns the merged detail of every reply matched so far.
func (q *snmpQuery) Match(reply []byte) (Detail, error) {
	version, body, err := snmpOpen(reply)
	if err != nil {
		return nil, err
	}
	var name string
	switch version {
	case snmpV3:
		e, err := q.matchV3(&body)
		if err != nil {
			return nil, err
		}
		q.got.Engine = e
		name = "v3"
	case snmpV1, snmpV2c:
		descr, descrErr, err := q.matchCommunity(&body, version)
		if err != nil {
			return nil, err
		}
		// A GetResponse with the value beats one with an error (an agent may
		// answer v1 with noSuchName and v2c with the string).
		if descr != "" || q.got.SysDescr == "" {
			q.got.SysDescr, q.got.SysDescrError = descr, descrErr
		}
		name = "v2c"
		if version == snmpV1 {
			name = "v1"
		}
	default:
		return nil, ErrNotMine
	}
	if !slices.Contains(q.got.Versions, name) {
		q.got.Versions = append(q.got.Versions, name)
	}
	d := q.got
	d.Versions = append([]string(nil), q.got.Versions...)
	if q.got.Engine != nil {
		e := *q.got.Engine
		d.Engine = &e
	}
	return &d, nil
}

// snmpOpen reads an SNMP message's version and returns a reader over the rest.
// A datagram that does not start as a BER SEQUENCE is not mine; one that does
// but breaks off before its version is malformed.
func snmpOpen(reply []byte) (version int64, body berReader, err error) {
	if len(reply) == 0 || reply[0] != berTagSequence {
		return 0, berReader{}, ErrNotMine
	}
	r := newBERReader(reply)
	msg, err := r.Expect(berTagSequence)
	if err != nil {
		return 0, berReader{}, fmt.Errorf("snmp: %w", err)
	}
	body, _ = msg.Children()
	vt, err := body.Expect(berTagInteger)
	if err != nil {
		return 0, berReader{}, fmt.Errorf("snmp: version: %w", err)
	}
	if version, err = vt.Int(); err != nil {
		return 0, berReader{}, fmt.Errorf("snmp: version: %w", err)
	}
	return version, body, nil
}

// matchV3 reads an SNMPv3Message (RFC 3412 §6) after its version field.
func (q *snmpQuery) matchV3(body *berReader) (*SNMPEngine, error) {
	global, err := body.Expect(berTagSequence)
	if err != nil {
		return nil, fmt.Errorf("snmp: msgGlobalData: %w", err)
	}
	g, _ := global.Children()
	idt, err := g.Expect(berTagInteger)
	if err != nil {
		return nil, fmt.Errorf("snmp: msgID: %w", err)
	}
	if id, err := idt.Int(); err != nil || id != int64(q.msgID) {
		return nil, ErrNotMine
	}
	if _, err := g.Expect(berTagInteger); err != nil { // msgMaxSize
		return nil, fmt.Errorf("snmp: msgMaxSize: %w", err)
	}
	flags, err := g.Expect(berTagOctetString)
	if err != nil {
		return nil, fmt.Errorf("snmp: msgFlags: %w", err)
	}
	if len(flags.Value) != 1 {
		return nil, fmt.Errorf("snmp: msgFlags of %d octets, want 1", len(flags.Value))
	}
	secModel, err := g.Expect(berTagInteger)
	if err != nil {
		return nil, fmt.Errorf("snmp: msgSecurityModel: %w", err)
	}
	if m, err := secModel.Int(); err != nil || m != 3 {
		return nil, fmt.Errorf("snmp: security model %x, want USM (3)", secModel.Value)
	}
	sp, err := body.Expect(berTagOctetString)
	if err != nil {
		return nil, fmt.Errorf("snmp: msgSecurityParameters: %w", err)
	}
	e, err := snmpParseUSM(sp.Value)
	if err != nil {
		return nil, err
	}
	// The scopedPDU is plaintext unless the privFlag is set (RFC 3412 §6.4); a
	// discovery Report never is encrypted, but tolerate one that is.
	if flags.Value[0]&0x02 != 0 {
		return e, nil
	}
	scoped, err := body.Expect(berTagSequence)
	if err != nil {
		return nil, fmt.Errorf("snmp: scopedPDU: %w", err)
	}
	s, _ := scoped.Children()
	for _, what := range []string{"contextEngineID", "contextName"} {
		if _, err := s.Expect(berTagOctetString); err != nil {
			return nil, fmt.Errorf("snmp: %s: %w", what, err)
		}
	}
	pdu, err := s.Next()
	if err != nil {
		return nil, fmt.Errorf("snmp: PDU: %w", err)
	}
	if pdu.Ident != snmpReport && pdu.Ident != snmpGetResponse {
		return nil, fmt.Errorf("snmp: v3 PDU tag %#02x, want Report (a8)", pdu.Ident)
	}
	_, _, vbs, err := snmpPDUHeader(pdu)
	if err != nil {
		return nil, err
	}
	if oid, _, err := snmpFirstVarBind(vbs); err == nil {
		e.Report = snmpReportName(oid)
	} else if !vbs.Empty() {
		return nil, err
	}
	return e, nil
}

// snmpParseUSM decodes UsmSecurityParameters (RFC 3414 §2.4) and the engine ID.
func snmpParseUSM(b []byte) (*SNMPEngine, error) {
	r := newBERReader(b)
	seq, err := r.Expect(berTagSequence)
	if err != nil {
		return nil, fmt.Errorf("snmp: UsmSecurityParameters: %w", err)
	}
	u, _ := seq.Children()
	idt, err := u.Expect(berTagOctetString)
	if err != nil {
		return nil, fmt.Errorf("snmp: msgAuthoritativeEngineID: %w", err)
	}
	var nums [2]int64
	for i, what := range []string{"msgAuthoritativeEngineBoots", "msgAuthoritativeEngineTime"} {
		t, err := u.Expect(berTagInteger)
		if err != nil {
			return nil, fmt.Errorf("snmp: %s: %w", what, err)
		}
		if nums[i], err = t.Int(); err != nil {
			return nil, fmt.Errorf("snmp: %s: %w", what, err)
		}
	}
	// An engine ID is 5 to 32 octets (RFC 3411 §5); an agent that answers with
	// an empty one has not done discovery.
	if n := len(idt.Value); n < 5 || n > 32 {
		return nil, fmt.Errorf("snmp: engine ID of %d octets", n)
	}
	e := &SNMPEngine{ID: hex.EncodeToString(idt.Value), Boots: nums[0], Time: nums[1]}
	snmpDecodeEngineID(e, idt.Value)
	return e, nil
}

// snmpDecodeEngineID fills Enterprise, Format and Data from an engine ID, after
// the SnmpEngineID textual convention of RFC 3411 §5.
func snmpDecodeEngineID(e *SNMPEngine, id []byte) {
	e.Enterprise = binary.BigEndian.Uint32(id) &^ 0x80000000
	e.EnterpriseName = snmpEnterprises[e.Enterprise]
	if id[0]&0x80 == 0 {
		// SNMPv2-era form: enterprise then 8 octets the enterprise defines.
		e.Format = "rfc1910"
		return
	}
	f, data := id[4], id[5:]
	switch {
	case f == 1:
		e.Format = "ipv4"
		if len(data) == 4 {
			e.Data = netip.AddrFrom4([4]byte(data)).String()
		}
	case f == 2:
		e.Format = "ipv6"
		if len(data) == 16 {
			e.Data = netip.AddrFrom16([16]byte(data)).String()
		}
	case f == 3:
		e.Format = "mac"
		if len(data) == 6 {
			e.Data = net.HardwareAddr(data).String()
		}
	case f == 4:
		e.Format = "text"
		if utf8.Valid(data) {
			e.Data = string(data)
		}
	case f == 5:
		e.Format = "octets"
	case f >= 128:
		e.Format = "enterprise-specific " + strconv.Itoa(int(f))
	default:
		e.Format = "reserved " + strconv.Itoa(int(f))
	}
}

// snmpEnterprises names a few IANA private enterprise numbers seen in engine IDs.
var snmpEnterprises = map[uint32]string{
	9:     "Cisco",
	11:    "HP",
	311:   "Microsoft",
	2011:  "Huawei",
	2021:  "UCD-SNMP",
	2636:  "Juniper",
	6876:  "VMware",
	8072:  "net-snmp",
	14988: "MikroTik",
	30065: "Arista",
}

// snmpReportName names the USM statistics counters a Report-PDU carries
// (RFC 3414 §5, usmStats 1.3.6.1.6.3.15.1.1.n.0).
func snmpReportName(oid string) string {
	names := map[string]string{
		"1.3.6.1.6.3.15.1.1.1.0": "usmStatsUnsupportedSecLevels",
		"1.3.6.1.6.3.15.1.1.2.0": "usmStatsNotInTimeWindows",
		"1.3.6.1.6.3.15.1.1.3.0": "usmStatsUnknownUserNames",
		"1.3.6.1.6.3.15.1.1.4.0": "usmStatsUnknownEngineIDs",
		"1.3.6.1.6.3.15.1.1.5.0": "usmStatsWrongDigests",
		"1.3.6.1.6.3.15.1.1.6.0": "usmStatsDecryptionErrors",
	}
	if n, ok := names[oid]; ok {
		return n
	}
	return oid
}

// matchCommunity reads a v1/v2c message after its version field and returns
// sysDescr or why it is missing.
func (q *snmpQuery) matchCommunity(body *berReader, version int64) (descr, descrErr string, err error) {
	want := q.reqV2c
	if version == snmpV1 {
		want = q.reqV1
	}
	reqID, status, vbs, err := snmpReadResponse(body)
	if err != nil {
		return "", "", err
	}
	if reqID != int64(want) {
		return "", "", ErrNotMine
	}
	if status != 0 {
		return "", snmpErrorStatus(status), nil
	}
	_, val, err := snmpFirstVarBind(vbs)
	if err != nil {
		return "", "", err
	}
	switch val.Ident {
	case berTagOctetString:
		return string(val.Value), "", nil
	case 0x80:
		return "", "noSuchObject", nil // RFC 3416 §3 exceptions
	case 0x81:
		return "", "noSuchInstance", nil
	case 0x82:
		return "", "endOfMibView", nil
	default:
		return "", fmt.Sprintf("value of type %#02x", val.Ident), nil
	}
}

// snmpReadResponse reads a v1/v2c message after its version field up to the
// variable bindings of its GetResponse (RFC 3416 §3, RFC 1157 §4.1.4).
func snmpReadResponse(body *berReader) (reqID, status int64, vbs berReader, err error) {
	if _, err := body.Expect(berTagOctetString); err != nil {
		return 0, 0, berReader{}, fmt.Errorf("snmp: community: %w", err)
	}
	pdu, err := body.Next()
	if err != nil {
		return 0, 0, berReader{}, fmt.Errorf("snmp: PDU: %w", err)
	}
	if pdu.Ident != snmpGetResponse {
		// A trap, or our own GetRequest reflected: not an answer.
		return 0, 0, berReader{}, ErrNotMine
	}
	return snmpPDUHeader(pdu)
}

// snmpPDUHeader reads request-id, error-status and error-index and returns a reader
// over the variable bindings (RFC 3416 §3).
func snmpPDUHeader(pdu berTLV) (reqID, status int64, vbs berReader, err error) {
	p, err := pdu.Children()
	if err != nil {
		return 0, 0, berReader{}, fmt.Errorf("snmp: PDU: %w", err)
	}
	var v [3]int64
	for i, what := range []string{"request-id", "error-status", "error-index"} {
		t, err := p.Expect(berTagInteger)
		if err != nil {
			return 0, 0, berReader{}, fmt.Errorf("snmp: %s: %w", what, err)
		}
		if v[i], err = t.Int(); err != nil {
			return 0, 0, berReader{}, fmt.Errorf("snmp: %s: %w", what, err)
		}
	}
	list, err := p.Expect(berTagSequence)
	if err != nil {
		return 0, 0, berReader{}, fmt.Errorf("snmp: variable-bindings: %w", err)
	}
	vbs, _ = list.Children()
	return v[0], v[1], vbs, nil
}

// snmpFirstVarBind reads the first VarBind: its OID in dotted form and its value.
func snmpFirstVarBind(vbs berReader) (string, berTLV, error) {
	vb, err := vbs.Expect(berTagSequence)
	if err != nil {
		return "", berTLV{}, fmt.Errorf("snmp: VarBind: %w", err)
	}
	r, _ := vb.Children()
	oidt, err := r.Expect(berTagOID)
	if err != nil {
		return "", berTLV{}, fmt.Errorf("snmp: VarBind name: %w", err)
	}
	oid, err := oidt.OIDString()
	if err != nil {
		return "", berTLV{}, fmt.Errorf("snmp: VarBind name: %w", err)
	}
	val, err := r.Next()
	if err != nil {
		return "", berTLV{}, fmt.Errorf("snmp: VarBind value: %w", err)
	}
	return oid, val, nil
}

// snmpErrorStatus names an error-status (RFC 3416 §3; 1–5 are SNMPv1's).
func snmpErrorStatus(s int64) string {
	names := [...]string{"noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr",
		"noAccess", "wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation",
		"inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed",
		"authorizationError", "notWritable", "inconsistentName"}
	if s >= 0 && s < int64(len(names)) {
		return names[s]
	}
	return "error-status " + strconv.FormatInt(s, 10)
}

// Complete reports whether the v3 discovery and at least one community request
// have been answered (see Completer). With a wrong community the second never
// comes, so the scanner waits out the attempt: that silence is the answer.
func (q *snmpQuery) Complete() bool {
	return q.got.Engine != nil && (slices.Contains(q.got.Versions, "v2c") || slices.Contains(q.got.Versions, "v1"))
}
