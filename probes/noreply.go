package probes

import "io"

// Ports the Windows and Exchange firewall documents list on UDP where no request
// a scanner can send gets an answer: the protocol is one-way (media streams,
// heartbeats), needs a session or a secret the scanner does not have, or the
// document lists UDP for a TCP-only service. These probes send an empty datagram,
// which is never mistaken for a real request, only to draw ICMP port unreachable
// from a host where the port is closed; their Silence says why nothing else can
// be learnt.

// noReply builds a probe that sends an empty datagram and accepts no reply.
func noReply(name string, silence string, ports ...uint16) *Probe {
	return &Probe{
		Name:    name,
		Ports:   ports,
		Silence: silence,
		Mute:    true,
		New: func(io.Reader, Options) (Query, error) {
			return &datagramQuery{packet: []byte{}, match: func([]byte) (Detail, error) { return nil, ErrNotMine }}, nil
		},
	}
}

// WINS covers 42/udp, which Windows firewall documents for WINS. WINS replication
// runs over TCP 42 only and the WINS name service is NetBIOS on 137/udp, so
// nothing in Windows answers on 42/udp (the old IEN 116 host name server that
// owned the port is not implemented).
var WINS = noReply("wins",
	"WINS replication uses TCP 42 and the WINS name service is 137/udp; "+
		"nothing answers on 42/udp, so only ICMP can show the port closed", 42)

// MADCAP covers 2535/udp, the Windows DHCP Server's Multicast Address Dynamic
// Client Allocation Protocol (RFC 2730). A MADCAP server answers only requests
// that identify a lease and scope, and Windows only when multicast scopes are
// configured; this probe does not speak MADCAP.
var MADCAP = noReply("madcap",
	"MADCAP (RFC 2730) servers answer only lease requests for configured "+
		"multicast scopes; the probe sends none, so only ICMP can show the port closed", 2535)

// TCPOnly covers services the documents list on UDP although they run over TCP
// only: SMTP (RFC 5321 §2.1) on 25 and LDAP over TLS on 636.
var TCPOnly = noReply("tcp-only",
	"this service runs over TCP only (SMTP: RFC 5321; LDAPS: LDAP over TLS); nothing "+
		"answers on UDP, so only ICMP can show the port closed", 25, 636)

// MSRPCUDP covers 135/udp, connectionless DCE/RPC (ncadg_ip_udp, C706 chapter 10).
// A connectionless server answers only calls to an interface it registered, under
// an activity it can track; the probe makes no RPC calls over UDP. The endpoint
// mapper is checked on 135/tcp instead.
var MSRPCUDP = noReply("msrpc-udp",
	"connectionless RPC (C706 ch. 10) answers only calls to a registered interface; "+
		"the probe makes none (check 135/tcp for the endpoint mapper), so only ICMP "+
		"can show the port closed", 135)

// MMS covers 1755/udp, where Windows Media Services streams MMS data to players; the
// UDP side only carries a session's stream and resend requests, set up over TCP 1755.
var MMS = noReply("mms",
	"MMS uses UDP only for the media stream of a session set up over TCP 1755; "+
		"no datagram starts one, so only ICMP can show the port closed", 1755)

// MSMQUDP covers 1801/udp. Message Queuing sessions run over TCP 1801 ([MS-MQQB]);
// the ping that does answer over UDP is on 3527 (probe "msmq").
var MSMQUDP = noReply("msmq-udp",
	"Message Queuing sessions run over TCP 1801 ([MS-MQQB]) and its ping is 3527/udp; "+
		"nothing answers a datagram on 1801/udp, so only ICMP can show the port closed", 1801)

// MSTheater covers 2460/udp, NetShow/MS Theater streaming: one-way media.
var MSTheater = noReply("ms-theater",
	"MS Theater (NetShow) streams media one way; receivers never answer, so only "+
		"ICMP can show the port closed", 2460)

// SMSRemote covers the SMS Remote Control ports 2701-2704/udp: a proprietary,
// undocumented protocol whose agent answers only its own authenticated console.
var SMSRemote = noReply("sms-remote",
	"SMS Remote Control speaks an undocumented protocol and answers only its "+
		"console; only ICMP can show the port closed", 2701, 2702, 2703, 2704)

// Cluster covers 3343/udp, the failover cluster network driver's heartbeats and
// node traffic, which are exchanged only between cluster members.
var Cluster = noReply("cluster",
	"cluster heartbeats are exchanged only between member nodes, which ignore "+
		"other senders; only ICMP can show the port closed", 3343)

// BINL covers 4011/udp, where the Windows boot server (BINL, later WDS) answers
// PXE clients' DHCP requests. It answers only a PXE client (DHCP option 60
// "PXEClient" with the client's machine identifiers) and, by default, only
// clients it knows or was told to answer; the probe is not a PXE client.
var BINL = noReply("binl",
	"the boot server answers only PXE clients' DHCP requests, by default only known "+
		"clients; the probe is not one, so only ICMP can show the port closed", 4011)

// RTP covers 5004 and 5005/udp, RTP media and RTCP control (RFC 3550): receivers
// of a stream never answer a stranger's datagram.
var RTP = noReply("rtp",
	"RTP and RTCP (RFC 3550) carry media and reports within a session set up "+
		"elsewhere (SIP, H.323); nothing answers a stranger's datagram, so only ICMP "+
		"can show the port closed", 5004, 5005)
