// Package probes holds the wire formats of portreach's UDP service probes and of the
// MS-RPC endpoint mapper: requests built from random transaction IDs, replies matched
// against them and summarised. It opens no sockets and keeps no clocks; package scan
// does both.
package probes

import (
	"errors"
	"io"
	"time"
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
