package probes

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kerberos sends a KDC an AS-REQ (RFC 4120 §5.4.1) that names no client and a realm
// that cannot exist. Every KDC answers it with a KRB-ERROR: MIT krb5kdc 1.20 and
// Heimdal (Samba AD DC) with error 6 C_PRINCIPAL_UNKNOWN, Windows with 68
// WRONG_REALM (nmap's fingerprint for its similar "NM" probe). The error carries the
// KDC's clock (stime), so the report can say how far it is from ours, which is what
// breaks Kerberos logons beyond the 5-minute default tolerance (RFC 4120 §1.6).
// No username is ever sent: with a real one, an account without pre-authentication
// would return an AS-REP, which is AS-REP roasting.
//
// Kerberos messages carry no transaction ID we could check in an error: the KRB-ERROR
// echoes only ctime/cusec, which we do not send. A reply is ours if it comes from the
// scanned address and port and parses as a KRB-ERROR or AS-REP.
var Kerberos = &Probe{
	Name:   "kerberos",
	Ports:  []uint16{88},
	New:    newKerberosQuery,
	Detail: (*KerberosDetail)(nil),
	Drift: []DriftField{
		{Path: "error_code", Meaning: kerberosErrorDrift},
	},
}

// kerberosErrorDrift is why a KDC's answer to the probe changing matters: the
// probe names a realm no KDC serves, so the realm a KDC names in its answer is
// the probe's own, echoed, and says nothing; which error it answers with tells
// implementations apart.
const kerberosErrorDrift = "another KDC implementation answers (Windows answers WRONG_REALM, 68; MIT and Samba C_PRINCIPAL_UNKNOWN, 6), or another server"

// Kpasswd probes the Kerberos change-password service (RFC 3244). An AS-REQ is no
// use there: MIT kadmind 1.20 drops it without a reply ("Message stream modified"),
// because the first two bytes of a kpasswd request are its length. The probe sends
// instead a well-framed RFC 3244 request whose AP-REQ and KRB-PRIV are empty, the
// smallest message a kpasswd server must parse before it can refuse it; MIT answers
// with a framed KRB-ERROR 60 GENERIC and result code 3 AUTHERROR "Failed reading
// application request", and the KRB-ERROR names the server's realm. The same frame
// sent to a KDC on 88 is dropped by MIT krb5kdc ("Invalid message type"), so the two
// ports need two probes.
var Kpasswd = &Probe{
	Name:   "kpasswd",
	Ports:  []uint16{464},
	New:    newKpasswdQuery,
	Detail: (*KerberosDetail)(nil),
	Drift: []DriftField{
		{Path: "realm", Meaning: "the change-password service serves another realm"},
	},
}

// KerberosTCP sends the Kerberos probe's AS-REQ to a KDC over TCP (88/tcp,
// RFC 4120 §7.2.2: each message preceded by its 4-octet length), which clients
// fall back to when a reply is too big for UDP and Windows prefers outright.
var KerberosTCP = &Service{
	Name: "kerberos-tcp", Ports: []uint16{88},
	Drift: []DriftField{{Path: "kerberos.error_code", Meaning: kerberosErrorDrift}},
	New: func(rnd io.Reader, _ string) (Dialog, error) {
		q, err := newKerberosQuery(rnd, Options{})
		if err != nil {
			return nil, err
		}
		return &framedDialog{d: ServiceDetail{Service: "kerberos-tcp"}, q: q, prefix: 4, want: "a Kerberos reply",
			set:       func(d *ServiceDetail, det Detail) { d.Kerberos = det.(*KerberosDetail) },
			plausible: func(m []byte) bool { return m[0] == krbTagError || m[0] == krbTagASRep }}, nil
	},
}

// Constants of the AS-REQ, chosen so the request is byte-identical to the protocols.md
// §6 dump given the same nonce.
const (
	// kerberosProbeRealm is under the .invalid TLD (RFC 2606 §2), so it can never
	// be a real realm and no KDC will think we are one of its clients.
	kerberosProbeRealm = "PROBE.INVALID"
	// kerberosTill is the requested ticket end time, a fixed far-future value as
	// nmap sends; KDCs clamp it to their maximum lifetime.
	kerberosTill = "20370913024805Z"
	// kerberosTimeLayout is KerberosTime: GeneralizedTime in UTC without fractions
	// (RFC 4120 §5.2.3).
	kerberosTimeLayout = "20060102150405Z"
)

// Kerberos message types and tags (RFC 4120 §5.10): the APPLICATION tag of each
// message equals its msg-type.
const (
	krbMsgASReq   = 10
	krbMsgASRep   = 11
	krbMsgError   = 30
	krbTagASReq   = berClassApplication | berConstructed | krbMsgASReq // 0x6a
	krbTagASRep   = berClassApplication | berConstructed | krbMsgASRep // 0x6b
	krbTagError   = berClassApplication | berConstructed | krbMsgError // 0x7e
	krbTagAPReq   = berClassApplication | berConstructed | 14          // 0x6e
	krbTagKrbPriv = berClassApplication | berConstructed | 21          // 0x75
	krbGenString  = 0x1b                                               // GeneralString, RFC 4120 §5.2.1
	krbGenTime    = 0x18                                               // GeneralizedTime
	krbNTSrvInst  = 2                                                  // NT-SRV-INST, RFC 4120 §6.2
	krbMaxSkew    = 5 * time.Minute                                    // default allowable clock skew, RFC 4120 §1.6
)

// kpasswdRequest is the RFC 3244 §2 frame: message length 10, protocol version 1,
// AP-REQ length 2, an empty [APPLICATION 14] AP-REQ and an empty [APPLICATION 21]
// KRB-PRIV. MIT kadmind needs bytes after the AP-REQ before it will answer.
var kpasswdRequest = []byte{0x00, 0x0a, 0x00, 0x01, 0x00, 0x02, krbTagAPReq, 0x00, krbTagKrbPriv, 0x00}

// KerberosDetail is what a KDC or kpasswd server said.
type KerberosDetail struct {
	// Message is "KRB-ERROR" or "AS-REP".
	Message string `json:"message"`
	// Kpasswd is set when the reply came in RFC 3244 kpasswd framing.
	Kpasswd bool `json:"kpasswd,omitempty"`
	// ErrorCode is the KRB-ERROR error-code (RFC 4120 §7.5.9); 0 for an AS-REP.
	ErrorCode int `json:"error_code,omitempty"`
	// ErrorName is the RFC 4120 name of ErrorCode without its KDC_ERR_/KRB_AP_ERR_
	// prefix ("C_PRINCIPAL_UNKNOWN"), or "" for an AS-REP or an unlisted code.
	ErrorName string `json:"error_name,omitempty"`
	// Meaning says what ErrorCode means for an administrator.
	Meaning string `json:"meaning,omitempty"`
	// Realm is the realm the server names as its own: a kpasswd server's (the
	// request names none), an AS-REP's client realm, a KRB-ERROR's realm when
	// it is not the one the probe asked for. A KDC (MIT, Heimdal, Windows)
	// answers the probe's AS-REQ for PROBE.INVALID by echoing that realm, which
	// says nothing about it: Realm is then empty.
	Realm string `json:"realm,omitempty"`
	// Service is the service principal of a KRB-ERROR ("kadmin/changepw"; a
	// KDC's names the probe's realm: "krbtgt/PROBE.INVALID").
	Service string `json:"service,omitempty"`
	// EText is the KRB-ERROR's free text ("No client in request", "NULL_CLIENT").
	EText string `json:"e_text,omitempty"`
	// KDCTime is the server's clock (stime + susec), absent from an AS-REP, whose
	// times are encrypted.
	KDCTime *time.Time `json:"kdc_time,omitempty"`
	// ClockSkewSeconds is KDCTime minus our clock when the reply was matched;
	// positive means the server is ahead. Meaningful only with KDCTime.
	ClockSkewSeconds float64 `json:"clock_skew_seconds,omitempty"`
	// KpasswdResult and KpasswdResultText are the RFC 3244 result code and string
	// a kpasswd server puts in the KRB-ERROR's e-data.
	KpasswdResult     *int   `json:"kpasswd_result,omitempty"`
	KpasswdResultText string `json:"kpasswd_result_text,omitempty"`
}

// Summary reads `C_PRINCIPAL_UNKNOWN (6), realm "LAB.EXAMPLE", clock +2s`; the
// probe name beside it in reports says whether it came from a KDC or kpasswd.
func (d *KerberosDetail) Summary() string {
	var b strings.Builder
	switch {
	case d.Message == "AS-REP":
		b.WriteString("AS-REP")
	case d.ErrorName != "":
		fmt.Fprintf(&b, "%s (%d)", d.ErrorName, d.ErrorCode)
	default:
		fmt.Fprintf(&b, "KRB-ERROR %d", d.ErrorCode)
	}
	if d.Realm != "" {
		fmt.Fprintf(&b, ", realm %q", d.Realm)
	}
	if d.KDCTime != nil {
		// Truncated, not rounded: stime has whole seconds, and kpasswd servers
		// send susec 0, so a clock in step would otherwise show as -1s.
		skew := time.Duration(d.ClockSkewSeconds * float64(time.Second)).Truncate(time.Second)
		sign := "+"
		if skew < 0 {
			sign = "-"
			skew = -skew
		}
		fmt.Fprintf(&b, ", clock %s%s", sign, skew)
		if skew > krbMaxSkew {
			b.WriteString(" (beyond the 5m Kerberos tolerance)")
		}
	}
	return b.String()
}

// krbErrors names the error codes of RFC 4120 §7.5.9 and RFC 6113 that a probe
// can meet, with a meaning for the ones protocols.md §6 lists as worth reporting.
var krbErrors = map[int]struct{ name, meaning string }{
	1:  {"NAME_EXP", "client's entry has expired"},
	2:  {"SERVICE_EXP", "server's entry has expired"},
	3:  {"BAD_PVNO", "protocol version not supported"},
	6:  {"C_PRINCIPAL_UNKNOWN", "client principal unknown (expected: the probe names no client)"},
	7:  {"S_PRINCIPAL_UNKNOWN", "server principal unknown"},
	12: {"POLICY", "refused by KDC policy"},
	13: {"BADOPTION", "KDC cannot accommodate the requested option"},
	14: {"ETYPE_NOSUPP", "no supported encryption type (AES/RC4 disabled?)"},
	16: {"PADATA_TYPE_NOSUPP", "pre-authentication type not supported"},
	18: {"CLIENT_REVOKED", "client credentials revoked"},
	24: {"PREAUTH_FAILED", "pre-authentication failed"},
	25: {"PREAUTH_REQUIRED", "pre-authentication required"},
	29: {"SVC_UNAVAILABLE", "KDC service unavailable"},
	31: {"BAD_INTEGRITY", "integrity check on decrypted field failed"},
	37: {"SKEW", "clock skew too great"},
	40: {"MSG_TYPE", "invalid message type"},
	41: {"MODIFIED", "message stream modified"},
	52: {"RESPONSE_TOO_BIG", "response too big for UDP: retry over TCP"},
	60: {"GENERIC", "generic error"},
	61: {"FIELD_TOOLONG", "field too long for this implementation"},
	68: {"WRONG_REALM", "wrong realm (what Windows KDCs answer to an unknown realm)"},
}

// kpasswdResults are the result codes of RFC 3244 §2.
var kpasswdResults = []string{"SUCCESS", "MALFORMED", "HARDERROR", "AUTHERROR", "SOFTERROR", "ACCESSDENIED", "BAD_VERSION", "INITIAL_FLAG_NEEDED"}

type kerberosQuery struct {
	req     []byte
	realm   string // the realm asked for: a reply that names it only echoes it
	kpasswd bool
	now     func() time.Time // our clock for the skew; time.Now outside tests
}

func newKerberosQuery(rnd io.Reader, _ Options) (Query, error) {
	var b [4]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return nil, fmt.Errorf("kerberos: random nonce: %w", err)
	}
	// The nonce is UInt32 (RFC 4120 §5.4.1) but DER INTEGERs are signed; 31 bits
	// avoid the sign octet some old KDCs mishandle, and the nonce is never echoed
	// in a KRB-ERROR anyway.
	nonce := binary.BigEndian.Uint32(b[:]) & 0x7fffffff
	return &kerberosQuery{req: kerberosASReq(kerberosProbeRealm, nonce), realm: kerberosProbeRealm, now: time.Now}, nil
}

func newKpasswdQuery(_ io.Reader, _ Options) (Query, error) {
	return &kerberosQuery{req: kpasswdRequest, kpasswd: true, now: time.Now}, nil
}

// kerberosASReq builds AS-REQ ::= [APPLICATION 10] KDC-REQ (RFC 4120 §5.4.1) with
// kdc-options forwardable, renewable, canonicalize and renewable-ok (0x40810010:
// bits 1, 8, 15 and 27, RFC 4120 §5.4.1 and RFC 6806 §11), no cname, sname krbtgt/REALM, till kerberosTill and etypes AES256, AES128, RC4
// (18, 17, 23, RFC 3962 and RFC 4757), which every KDC since Windows 2008 knows.
func kerberosASReq(realm string, nonce uint32) []byte {
	ctx := func(n byte, v []byte) []byte { return berEncode(berClassContext|berConstructed|n, v) }
	gs := func(s string) []byte { return berOctets(krbGenString, []byte(s)) }
	body := berEncode(berTagSequence,
		ctx(0, berOctets(berTagBitString, []byte{0x00, 0x40, 0x81, 0x00, 0x10})),
		ctx(2, gs(realm)),
		ctx(3, berEncode(berTagSequence,
			ctx(0, berInt(krbNTSrvInst)),
			ctx(1, berEncode(berTagSequence, gs("krbtgt"), gs(realm))))),
		ctx(5, berOctets(krbGenTime, []byte(kerberosTill))),
		ctx(7, berInt(int64(nonce))),
		ctx(8, berEncode(berTagSequence, berInt(18), berInt(17), berInt(23))),
	)
	return berEncode(krbTagASReq, berEncode(berTagSequence,
		ctx(1, berInt(5)),
		ctx(2, berInt(krbMsgASReq)),
		ctx(4, body)))
}

func (q *kerberosQuery) Packets() [][]byte { return [][]byte{q.req} }

// Match accepts a KRB-ERROR or AS-REP, bare or (for kpasswd) inside an RFC 3244
// reply frame. Anything else is ErrNotMine; a reply that starts like one of them
// but does not parse is an error.
func (q *kerberosQuery) Match(reply []byte) (Detail, error) {
	msg, framed, err := kerberosUnframe(reply, q.kpasswd)
	if err != nil {
		return nil, err
	}
	var d *KerberosDetail
	switch msg[0] {
	case krbTagError:
		d, err = parseKRBError(msg, q.kpasswd)
	case krbTagASRep:
		d, err = parseASRep(msg)
	default:
		return nil, ErrNotMine
	}
	if err != nil {
		return nil, err
	}
	d.Kpasswd = framed
	if q.realm != "" && d.Realm == q.realm {
		d.Realm = "" // our own realm, echoed
	}
	if d.KDCTime != nil {
		d.ClockSkewSeconds = d.KDCTime.Sub(q.now()).Seconds()
	}
	return d, nil
}

// kerberosUnframe returns the Kerberos message inside reply. A kpasswd query also
// accepts the RFC 3244 §2 reply frame: length, version 1 (0xff80 is the
// set-password draft's), AP-REP length, AP-REP, then KRB-PRIV or KRB-ERROR; for
// our unauthenticated request only the KRB-ERROR after an empty AP-REP makes sense.
func kerberosUnframe(reply []byte, kpasswd bool) (msg []byte, framed bool, err error) {
	if len(reply) == 0 {
		return nil, false, ErrNotMine
	}
	if reply[0] == krbTagError || reply[0] == krbTagASRep {
		return reply, false, nil
	}
	if !kpasswd {
		return nil, false, ErrNotMine
	}
	if len(reply) < 6 {
		return nil, false, ErrNotMine
	}
	length := int(binary.BigEndian.Uint16(reply[0:2]))
	version := binary.BigEndian.Uint16(reply[2:4])
	apRep := int(binary.BigEndian.Uint16(reply[4:6]))
	if length != len(reply) || (version != 1 && version != 0xff80) {
		return nil, false, ErrNotMine
	}
	if apRep != 0 || len(reply) == 6 || reply[6] != krbTagError {
		return nil, false, ErrNotMine
	}
	return reply[6:], true, nil
}

// parseKRBError decodes KRB-ERROR ::= [APPLICATION 30] SEQUENCE (RFC 4120 §5.9.1).
// kpasswd says the error answers a kpasswd request, whose e-data holds an RFC 3244
// result.
func parseKRBError(msg []byte, kpasswd bool) (*KerberosDetail, error) {
	fields, err := krbFields(msg, krbTagError, krbMsgError)
	if err != nil {
		return nil, err
	}
	d := &KerberosDetail{Message: "KRB-ERROR"}
	code, ok := fields[6]
	if !ok {
		return nil, fmt.Errorf("kerberos: KRB-ERROR without error-code")
	}
	n, err := krbInt(code)
	if err != nil {
		return nil, fmt.Errorf("kerberos: error-code: %w", err)
	}
	if n < 0 || n > 1<<31-1 {
		return nil, fmt.Errorf("kerberos: error-code %d out of Int32 range", n)
	}
	d.ErrorCode = int(n)
	if e, ok := krbErrors[d.ErrorCode]; ok {
		d.ErrorName, d.Meaning = e.name, e.meaning
	}
	if t, ok := fields[4]; ok {
		st, err := krbTime(t)
		if err != nil {
			return nil, fmt.Errorf("kerberos: stime: %w", err)
		}
		if us, ok := fields[5]; ok {
			u, err := krbInt(us)
			if err != nil || u < 0 || u > 999999 {
				return nil, fmt.Errorf("kerberos: susec out of range")
			}
			st = st.Add(time.Duration(u) * time.Microsecond)
		}
		d.KDCTime = &st
	}
	if r, ok := fields[9]; ok {
		if d.Realm, err = krbString(r); err != nil {
			return nil, fmt.Errorf("kerberos: realm: %w", err)
		}
	}
	if s, ok := fields[10]; ok {
		if d.Service, err = krbPrincipal(s); err != nil {
			return nil, fmt.Errorf("kerberos: sname: %w", err)
		}
	}
	if s, ok := fields[11]; ok {
		if d.EText, err = krbString(s); err != nil {
			return nil, fmt.Errorf("kerberos: e-text: %w", err)
		}
	}
	if e, ok := fields[12]; ok && (kpasswd || d.Service == "kadmin/changepw") {
		// RFC 3244 §2: a kpasswd server's KRB-ERROR carries the result code and
		// string in e-data. KDCs put METHOD-DATA there instead, so only read it
		// in answer to a kpasswd request or when the error names the
		// change-password service.
		// Result codes are small (0–7 in RFC 3244, a few more in the set-password
		// draft); a large one means e-data is something else, such as METHOD-DATA.
		if t, err := krbOnly(e, berTagOctetString); err == nil && len(t.Value) >= 2 && t.Value[0] == 0 {
			rc := int(binary.BigEndian.Uint16(t.Value))
			d.KpasswdResult = &rc
			d.KpasswdResultText = kpasswdResultText(rc, t.Value[2:])
		}
	}
	return d, nil
}

// kpasswdResultText names a result code and appends its string when printable.
func kpasswdResultText(rc int, s []byte) string {
	s = []byte(strings.TrimRight(string(s), "\r\n\x00 ")) // Samba ends it with a newline
	name := "result " + strconv.Itoa(rc)
	if rc < len(kpasswdResults) {
		name = kpasswdResults[rc]
	}
	if len(s) > 0 && utf8.Valid(s) && krbPrintable(string(s)) {
		return name + ": " + boundText(string(s))
	}
	return name
}

// parseASRep decodes AS-REP ::= [APPLICATION 11] KDC-REP (RFC 4120 §5.4.2). Only
// the clear fields are read: the client realm proves a KDC; the rest is encrypted.
func parseASRep(msg []byte) (*KerberosDetail, error) {
	fields, err := krbFields(msg, krbTagASRep, krbMsgASRep)
	if err != nil {
		return nil, err
	}
	d := &KerberosDetail{Message: "AS-REP"}
	r, ok := fields[3]
	if !ok {
		return nil, fmt.Errorf("kerberos: AS-REP without crealm")
	}
	if d.Realm, err = krbString(r); err != nil {
		return nil, fmt.Errorf("kerberos: crealm: %w", err)
	}
	return d, nil
}

// krbFields unwraps [APPLICATION n] SEQUENCE { [k] T … } and returns each explicitly
// tagged field's inner bytes by k, after checking pvno [0] = 5 and msg-type [1].
// Fields must come in increasing tag order, as DER and RFC 4120 require; unknown
// ones are skipped.
func krbFields(msg []byte, appTag byte, msgType int64) (map[int][]byte, error) {
	r := newBERReader(msg)
	app, err := r.Expect(appTag)
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	if !r.Empty() {
		return nil, fmt.Errorf("kerberos: %d bytes after the message", len(r.Rest()))
	}
	ar, err := app.Children()
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	seq, err := ar.Expect(berTagSequence)
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	sr, err := seq.Children()
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	fields := make(map[int][]byte)
	last := -1
	for !sr.Empty() {
		f, err := sr.Next()
		if err != nil {
			return nil, fmt.Errorf("kerberos: %w", err)
		}
		if f.Class() != berClassContext || !f.Constructed() || f.Ident&0x1f == 0x1f {
			return nil, fmt.Errorf("kerberos: unexpected tag %#02x in message", f.Ident)
		}
		k := int(f.Num)
		if k <= last {
			return nil, fmt.Errorf("kerberos: field [%d] after [%d]", k, last)
		}
		last = k
		fields[k] = f.Value
	}
	pvno, ok := fields[0]
	if !ok {
		return nil, fmt.Errorf("kerberos: no pvno")
	}
	if v, err := krbInt(pvno); err != nil || v != 5 {
		return nil, fmt.Errorf("kerberos: pvno is not 5")
	}
	mt, ok := fields[1]
	if !ok {
		return nil, fmt.Errorf("kerberos: no msg-type")
	}
	if v, err := krbInt(mt); err != nil || v != msgType {
		return nil, fmt.Errorf("kerberos: msg-type is not %d", msgType)
	}
	return fields, nil
}

// krbOnly reads the single TLV inside an explicit tag and checks its identifier.
func krbOnly(b []byte, ident byte) (berTLV, error) {
	r := newBERReader(b)
	t, err := r.Expect(ident)
	if err != nil {
		return berTLV{}, err
	}
	if !r.Empty() {
		return berTLV{}, fmt.Errorf("%w: trailing bytes after tag %#02x", errBER, ident)
	}
	return t, nil
}

func krbInt(b []byte) (int64, error) {
	t, err := krbOnly(b, berTagInteger)
	if err != nil {
		return 0, err
	}
	return t.Int()
}

// krbString reads a KerberosString (GeneralString restricted to IA5, RFC 4120
// §5.2.1). Implementations put UTF-8 in e-text, so any valid UTF-8 is accepted;
// control characters are not, so a report line cannot be forged.
func krbString(b []byte) (string, error) {
	t, err := krbOnly(b, krbGenString)
	if err != nil {
		return "", err
	}
	s := string(t.Value)
	if !utf8.ValidString(s) || !krbPrintable(s) {
		return "", fmt.Errorf("non-printable KerberosString %q", boundText(s))
	}
	return boundText(s), nil
}

func krbPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// krbTime reads a KerberosTime.
func krbTime(b []byte) (time.Time, error) {
	t, err := krbOnly(b, krbGenTime)
	if err != nil {
		return time.Time{}, err
	}
	return time.Parse(kerberosTimeLayout, string(t.Value))
}

// krbPrincipal renders PrincipalName ::= SEQUENCE { name-type [0] Int32,
// name-string [1] SEQUENCE OF KerberosString } (RFC 4120 §5.2.2) as "a/b".
func krbPrincipal(b []byte) (string, error) {
	seq, err := krbOnly(b, berTagSequence)
	if err != nil {
		return "", err
	}
	r, err := seq.Children()
	if err != nil {
		return "", err
	}
	if _, err := r.Expect(berClassContext | berConstructed | 0); err != nil {
		return "", err
	}
	ns, err := r.Expect(berClassContext | berConstructed | 1)
	if err != nil {
		return "", err
	}
	list, err := krbOnly(ns.Value, berTagSequence)
	if err != nil {
		return "", err
	}
	lr, err := list.Children()
	if err != nil {
		return "", err
	}
	var parts []string
	for !lr.Empty() {
		c, err := lr.Next()
		if err != nil {
			return "", err
		}
		s, err := krbString(c.Raw)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return boundText(strings.Join(parts, "/")), nil
}
