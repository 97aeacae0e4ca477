package probes

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrNotMine is returned by Query.Match for a datagram that is not the answer to
// this query: a stale reply with an old ID, another service's traffic, garbage.
// The scanner drops such datagrams and keeps waiting; they never make a port open.
var ErrNotMine = errors.New("probes: datagram does not answer this query")

// Options carries the few user settings that change what a probe sends.
// The zero value is usable: every field documents its default.
type Options struct {
	// SNMPCommunity is the community for the v1/v2c GetRequest; "" means "public".
	SNMPCommunity string
	// CLDAPRootDSE adds a rootDSE search to the CLDAP ping (naming contexts,
	// functional levels, the DC's clock). Off by default: the reply is kilobytes,
	// is lost wherever a firewall drops IP fragments, and is what CLDAP reflection
	// attacks use, so IDSs may flag it.
	CLDAPRootDSE bool
}

// Probe describes one UDP protocol probe. Values are immutable and safe for
// concurrent use.
type Probe struct {
	// Name is the stable identifier profiles and results use ("dns", "snmp", …).
	Name string
	// Ports are the UDP ports this probe is the default for.
	Ports []uint16
	// Silence explains why a listening service may stay silent (RADIUS drops unknown
	// clients, SNMP drops a wrong community); shown with open|filtered verdicts.
	Silence string
	// Mute means no request the scanner can send makes a listening service
	// answer (NetBIOS datagrams, SNMP traps, RADIUS to an unknown client): the
	// probe's datagram only draws ICMP port unreachable from a closed port, and
	// silence is the expected result of an open one, which a required port's
	// check cannot fail on.
	Mute bool
	// AnySource means replies may come from another source port of the target
	// (TFTP answers from a new port, L2TP may): the scanner must read them on an
	// unconnected socket and match by address and protocol fields.
	AnySource bool
	// AnyAddress means replies may also come from another address of the target
	// (SQL Browser on a failover cluster answers from the node's address, not the
	// virtual one, KB944390). Only probes whose replies are specific enough to be
	// told from stray traffic should set it; it implies AnySource.
	AnyAddress bool
	// MinWait is the least time a listening service may take to answer (SSDP's MX
	// delay, RADIUS's reject delay); the scanner waits at least this long.
	MinWait time.Duration
	// New starts one exchange, drawing every ID, cookie and SPI from rnd.
	New func(rnd io.Reader, opt Options) (Query, error)
	// Detail is a nil pointer of the type Match returns (for example
	// (*DNSDetail)(nil)), so that tests can check Drift's paths against it;
	// nil for probes that never match.
	Detail Detail
	// Drift lists the fields of Detail whose change since a baseline an audit
	// reports (a new DNS server version, a SQL instance on another port).
	// Fields that change on every run (clocks, uptimes, counters) must not be
	// listed: they would drown real changes.
	Drift []DriftField
}

// DriftField is one field of a probe's details that drift compares.
type DriftField struct {
	// Path is a field path into the JSON form of the details: names separated
	// by dots; "name[key]" walks into each element of an array of objects,
	// identified by its field key (instances[name].tcp_port reads as
	// instances[SQLEXPRESS].tcp_port); "name[]" or "name[].field" collects the
	// values of an array into a set, compared without regard to order.
	Path string
	// Meaning says what the change means to an administrator, in a
	// sentence (a result's reason word is Outcome.Why).
	Meaning string
}

// Query is one exchange in flight: the datagrams to send and a matcher for replies.
// A Query is used by one goroutine at a time.
type Query interface {
	// Packets are the datagrams to send, in order (DNS sends two questions, SNMP
	// a v3 discovery then a v2c GetRequest). Every retry sends them all again.
	Packets() [][]byte
	// Match checks a datagram from the target. It returns ErrNotMine for anything
	// that is not an answer to this query, or a Detail for one that is.
	Match(reply []byte) (Detail, error)
}

// Completer is implemented by queries whose datagrams draw several replies that
// together make one detail: DNS asks two questions, SNMP sends three requests,
// an SSDP search draws one reply per device and service type. Their Match merges
// every reply so far into the detail it returns. After a match, a scanner should
// keep reading (within the attempt's wait) until Complete reports true, and keep
// the last detail; a query that does not implement Completer is complete at its
// first match.
type Completer interface {
	Complete() bool
}

// Detail is what a matched reply says. Concrete types are JSON-encodable structs.
type Detail interface {
	// Summary is one short line for tables: `REFUSED, version "9.18.49"`.
	Summary() string
}

// FollowUp is a TCP port that a reply revealed, to be tested too
// (SQL Browser lists instances and their TCP ports).
type FollowUp struct {
	Port  uint16
	Label string // "instance SQLEXPRESS"
}

// FollowUpper is implemented by details that reveal further ports. The scanner only
// ever tests them on the address it scanned, never on an address from the reply.
type FollowUpper interface {
	FollowUps() []FollowUp
}

// datagramQuery is one datagram and a matcher for its answer, for probes whose
// exchange is a single request.
type datagramQuery struct {
	packet []byte
	match  func([]byte) (Detail, error)
}

// Packets returns the one datagram.
func (q *datagramQuery) Packets() [][]byte { return [][]byte{q.packet} }

// Match hands the datagram to the protocol's matcher, after dropping our own
// datagram reflected back.
func (q *datagramQuery) Match(b []byte) (Detail, error) {
	if bytes.Equal(b, q.packet) {
		return nil, ErrNotMine
	}
	return q.match(b)
}

// peerText makes a string a peer sent safe to print: valid UTF-8 without control
// characters, at most maxPeerText bytes (boundText).
func peerText(b []byte) string {
	if len(b) > 4*maxPeerText {
		b = b[:4*maxPeerText] // what boundText would drop, unread
	}
	return boundText(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return -1
		}
		return r
	}, strings.ToValidUTF8(string(b), "")))
}

// maxPeerText bounds every string a peer sent that a report shows (a banner, a
// header, a name, a certificate's subject): none an administrator needs is
// this long, and a hostile one (a 60 KB certificate CN) must not fill a report.
const maxPeerText = 256

// maxListed bounds the entries a list a peer sent keeps (capabilities, a
// certificate's names): real servers send a few dozen at most.
const maxListed = 64

// boundText cuts s to maxPeerText bytes, at a character boundary, and marks the
// cut with "…".
func boundText(s string) string {
	if len(s) <= maxPeerText {
		return s
	}
	cut := maxPeerText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
