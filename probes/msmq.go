package probes

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/portreach/portreach/msrpc"
)

// MSMQ sends the Message Queuing ping ([MS-MQQB] §2.1.2 and §2.2.7) that a queue
// manager sends to another before opening a session on 1801/tcp. The acceptor
// echoes the random cookie and puts its own queue manager GUID in the reply.
// Untested against a live server: no MSMQ implementation exists outside Windows.
var MSMQ = &Probe{
	Name:  "msmq",
	Ports: []uint16{3527},
	Silence: `MSMQ 4.0 and later (Windows Vista / Server 2008 onwards) do not answer pings on 3527/udp ` +
		`unless HKLM\SOFTWARE\Microsoft\MSMQ\Parameters\Security\EnablePingService=1; probe 1801/tcp for MSMQ instead`,
	New:    newMSMQQuery,
	Detail: (*MSMQDetail)(nil),
}

const (
	msmqPingLen = 24
	// msmqPingSignature is the Signature field, 0x5548 little-endian ("HU").
	msmqPingSignature = 0x5548
	// msmqFlagRefuse is the RF bit of the little-endian Flags field: the acceptor
	// would refuse a session (it is over its connection limit or in offline mode).
	// Our reading of [MS-MQQB] §2.2.7 puts RF in bit 1, after OS (the sender runs
	// a server OS) in bit 0; unverified on the wire, hence MSMQDetail.Flags.
	msmqFlagRefuse = 0x0002
)

// MSMQDetail is what a queue manager's ping reply says.
type MSMQDetail struct {
	// QMGuid is the responding queue manager's GUID, which identifies the MSMQ
	// installation (it survives address changes).
	QMGuid msrpc.UUID `json:"qm_guid"`
	// Refuse is the RF flag: the queue manager would refuse a session now.
	Refuse bool `json:"refuse"`
	// Flags is the whole Flags field, for bits this parser does not name.
	Flags uint16 `json:"flags"`
}

// Summary reads `QM {1b4e28ba-2fa1-11d2-883f-0016d3cca427}` and says if it refuses.
func (d *MSMQDetail) Summary() string {
	s := "QM {" + d.QMGuid.String() + "}"
	if d.Refuse {
		s += ", refusing sessions"
	}
	return s
}

type msmqQuery struct {
	req    []byte
	cookie []byte
}

func newMSMQQuery(rnd io.Reader, _ Options) (Query, error) {
	req := make([]byte, msmqPingLen)
	binary.LittleEndian.PutUint16(req[2:], msmqPingSignature)
	// Cookie and our QMGuid are both random: a reflector that sends the datagram
	// back unchanged echoes the cookie too, but not a GUID of its own.
	if _, err := io.ReadFull(rnd, req[4:]); err != nil {
		return nil, fmt.Errorf("msmq: random cookie: %w", err)
	}
	return &msmqQuery{req: req, cookie: req[4:8]}, nil
}

func (q *msmqQuery) Packets() [][]byte { return [][]byte{q.req} }

// Match accepts a ping with the signature and our cookie whose QMGuid is not ours.
func (q *msmqQuery) Match(reply []byte) (Detail, error) {
	if len(reply) < msmqPingLen ||
		binary.LittleEndian.Uint16(reply[2:]) != msmqPingSignature ||
		string(reply[4:8]) != string(q.cookie) ||
		string(reply[8:24]) == string(q.req[8:24]) {
		return nil, ErrNotMine
	}
	flags := binary.LittleEndian.Uint16(reply)
	return &MSMQDetail{
		QMGuid: msrpc.UUIDFromWire(reply[8:24]),
		Refuse: flags&msmqFlagRefuse != 0,
		Flags:  flags,
	}, nil
}
