package probes

import (
	"encoding/binary"
	"fmt"
	"io"
)

// SNMPTrap probes the SNMP notification receiver port (162/udp). A trap receiver
// answers only an InformRequest (RFC 3416 §4.2.7), and an Inform is a real
// notification that monitoring systems log, alert on and forward, so the probe
// does not send one. It sends an SNMPv2c GetRequest for sysUpTime.0 instead: a
// notification receiver silently drops every PDU it does not handle
// (RFC 3413 §3.4: snmpUnknownPDUHandlers), and an SNMP agent that happens to
// listen on 162 answers it.
var SNMPTrap = &Probe{
	Name:  "snmptrap",
	Mute:  true,
	Ports: []uint16{162},
	Silence: "a trap receiver never answers traps and drops other PDUs (RFC 3413 §3.4); " +
		"only an InformRequest gets a reply, and the probe does not send one because " +
		"a monitoring system would record it as a real notification",
	New: func(rnd io.Reader, opt Options) (Query, error) {
		var id [4]byte
		if _, err := io.ReadFull(rnd, id[:]); err != nil {
			return nil, fmt.Errorf("snmptrap: random: %w", err)
		}
		reqID := int32(binary.BigEndian.Uint32(id[:]) & 0x7fffffff)
		community := opt.SNMPCommunity
		if community == "" {
			community = "public"
		}
		return &datagramQuery{
			packet: snmpGet(snmpV2c, community, reqID, snmpSysUpTime0),
			match:  func(b []byte) (Detail, error) { return snmpTrapMatch(b, reqID) },
		}, nil
	},
	Detail: (*SNMPTrapDetail)(nil),
}

// snmpSysUpTime0 is the encoded OID 1.3.6.1.2.1.1.3.0 (RFC 3418 sysUpTime).
var snmpSysUpTime0 = berOID(1, 3, 6, 1, 2, 1, 1, 3, 0)

// SNMPTrapDetail is an SNMP agent's answer on the trap port.
type SNMPTrapDetail struct {
	// Version is the message version: 0 v1, 1 v2c.
	Version int64 `json:"version"`
	// ErrorStatus is the Response PDU's error-status (RFC 3416 §3), 0 noError.
	ErrorStatus int64 `json:"error_status"`
	// Uptime is sysUpTime.0 in hundredths of a second, when the agent sent it.
	Uptime *uint64 `json:"uptime,omitempty"`
}

// Summary reads like "SNMP agent on the trap port, uptime 3h2m1s".
func (d *SNMPTrapDetail) Summary() string {
	s := "SNMP agent on the trap port"
	if d.ErrorStatus != 0 {
		s += fmt.Sprintf(", error-status %d", d.ErrorStatus)
	}
	if d.Uptime != nil {
		s += fmt.Sprintf(", uptime %d.%02ds", *d.Uptime/100, *d.Uptime%100)
	}
	return s
}

// snmpTrapMatch accepts a v1 or v2c GetResponse (RFC 3416 §3, tag [2]) with our
// request-id; the varbind (sysUpTime.0 as TimeTicks) is optional reading.
func snmpTrapMatch(b []byte, reqID int32) (Detail, error) {
	version, body, err := snmpOpen(b)
	if err != nil {
		return nil, err
	}
	if version != snmpV1 && version != snmpV2c {
		return nil, ErrNotMine
	}
	id, status, vbs, err := snmpReadResponse(&body)
	if err != nil {
		return nil, err
	}
	if id != int64(reqID) {
		return nil, ErrNotMine
	}
	d := &SNMPTrapDetail{Version: version, ErrorStatus: status}
	if _, val, err := snmpFirstVarBind(vbs); err == nil && val.Ident == berClassApplication|3 {
		if u, err := val.Uint(); err == nil {
			d.Uptime = &u
		}
	}
	return d, nil
}
