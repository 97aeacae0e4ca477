package results

// Reason says, in one short, stable, machine-readable word, why a port got its state
// or why its check came out as it did. Every reason any part of portreach reports is
// declared here with its one-line meaning (zgrab2's status.go is the model): formats,
// the exporter's reason label and README's reason table all come from this list, so a
// consumer can rely on the set being closed. Add a new reason to the constants and to
// vocabulary below; TestReasonTable keeps README.md's table in step.
type Reason string

// The vocabulary, grouped by the state each usually comes with; each one's meaning
// is in vocabulary (and README's reason table).
const (
	// open
	ReasonSynAck      Reason = "syn-ack"
	ReasonUDPResponse Reason = "udp-response"

	// closed
	ReasonConnRefused Reason = "conn-refused"
	ReasonPortUnreach Reason = "port-unreachable"
	ReasonSelfConnect Reason = "self-connect"

	// filtered, open|filtered
	ReasonNoResponse      Reason = "no-response"
	ReasonNoReplyExpected Reason = "no-reply-expected"
	ReasonAdminProhibited Reason = "admin-prohibited"
	ReasonHostUnreach     Reason = "host-unreachable"
	ReasonNetUnreach      Reason = "net-unreachable"
	ReasonProtoUnreach    Reason = "proto-unreachable"
	ReasonTTLExceeded     Reason = "ttl-exceeded"
	ReasonICMPUnreach     Reason = "icmp-unreachable"
	ReasonLocalFirewall   Reason = "local-firewall"

	// not-tested, skipped
	ReasonIPProto      Reason = "ip-protocol"
	ReasonNegotiated   Reason = "port-negotiated-per-session"
	ReasonRoleUnmapped Reason = "role-unmapped"

	// the RPC endpoint mapper (135/tcp)
	ReasonEPMListed  Reason = "epm-listed"
	ReasonEPMRefused Reason = "epm-refused"
	ReasonEPMError   Reason = "epm-error"

	// a named RPC interface behind the endpoint mapper
	ReasonNotRegistered   Reason = "not-registered"
	ReasonEPMUnreadable   Reason = "epm-unreadable"
	ReasonRPCBindAck      Reason = "rpc-bind-ack"
	ReasonRPCBindRejected Reason = "rpc-bind-rejected"
	ReasonRPCBindError    Reason = "rpc-bind-error"
	// TCP service confirmation (the port stays open; its check fails)
	ReasonWrongService     Reason = "wrong-service"
	ReasonTLSFailed        Reason = "tls-failed"
	ReasonCertExpired      Reason = "cert-expired"
	ReasonCertExpiring     Reason = "cert-expiring"
	ReasonCertNotYetValid  Reason = "cert-not-yet-valid"
	ReasonTLSUnverified    Reason = "tls-unverified"
	ReasonCertNameMismatch Reason = "cert-name-mismatch"
	ReasonConfirmTimeout   Reason = "confirm-timeout"
	ReasonReplyTooLong     Reason = "reply-too-long"
	// Microsoft's LDAPS certificate rules (ldap after StartTLS, ldaps);
	// the name rule's reason is cert-name-mismatch
	ReasonCertNoServerAuth Reason = "cert-no-server-auth"
	ReasonCertUntrusted    Reason = "cert-untrusted"

	// the DC locator (--domain): its DNS questions and the DCs they name
	ReasonResolverAnswer      Reason = "resolver-answer"
	ReasonSRVMissing          Reason = "srv-missing"
	ReasonSiteSRVMissing      Reason = "site-srv-missing"
	ReasonSRVTargetUnresolved Reason = "srv-target-unresolved"
	ReasonLDAPPingWrongDomain Reason = "ldap-ping-wrong-domain"
	ReasonClockSkew           Reason = "clock-skew"
	ReasonNotAllowed          Reason = "not-allowed"

	// what a profile entry requires of a confirmed service (Check.Require)
	ReasonSMBSigningNotRequired Reason = "smb-signing-not-required"

	// error
	ReasonProbeError    Reason = "probe-error"
	ReasonLocalError    Reason = "local-error"
	ReasonResolveFailed Reason = "resolve-failed"
	ReasonNoRoute       Reason = "no-route"

	// unknown
	ReasonInterrupted Reason = "interrupted"
	ReasonMaxTime     Reason = "max-time"
	ReasonPortLimit   Reason = "port-limit"

	// a failed check whose port state cannot show why (Result.Fail)
	ReasonInstanceNotListed Reason = "instance-not-listed"
	ReasonInstanceNoTCP     Reason = "instance-no-tcp"

	// a check that the port be blocked (ExpectBlocked), failed
	ReasonPassedFirewall Reason = "passed-firewall"

	// a policy's remote source that did not measure (state unknown)
	ReasonSourceUnreachable  Reason = "source-unreachable"
	ReasonSourceRefused      Reason = "source-refused"
	ReasonSourceIncompatible Reason = "source-incompatible"
	ReasonSourceError        Reason = "source-error"
	ReasonSourceTimeout      Reason = "source-timeout"

	// this machine's own sockets (portreach local)
	ReasonListening    Reason = "listening"
	ReasonLoopbackOnly Reason = "loopback-only"
	ReasonNotListening Reason = "not-listening"
)

// vocabulary lists every reason with its meaning, in the order README shows them.
var vocabulary = []struct {
	reason  Reason
	meaning string
}{
	{ReasonSynAck, "TCP handshake completed"},
	{ReasonUDPResponse, "a UDP reply the probe matched to its own request"},
	{ReasonConnRefused, "TCP RST: the host is up and nothing listens"},
	{ReasonPortUnreach, "ICMP port unreachable: nothing listens on the UDP port"},
	{ReasonSelfConnect, "a loopback connect met itself: nothing listens"},
	{ReasonNoResponse, "silence after every attempt"},
	{ReasonNoReplyExpected, "UDP silence from a protocol that never answers the scanner's request"},
	{ReasonAdminProhibited, "ICMP communication administratively prohibited: a firewall rejected it"},
	{ReasonHostUnreach, "ICMP host unreachable (for TCP where the ICMP error itself cannot be read: Windows, the portable poller, anything connect reports as EHOSTUNREACH)"},
	{ReasonNetUnreach, "ICMP network unreachable"},
	{ReasonProtoUnreach, "ICMP protocol unreachable"},
	{ReasonTTLExceeded, "ICMP time exceeded: a routing loop or a too-small TTL on the path"},
	{ReasonICMPUnreach, "an ICMP destination unreachable with a code no other reason names"},
	{ReasonLocalFirewall, "this machine's own firewall refused to send"},
	{ReasonIPProto, "an IP protocol (GRE, ESP, AH) needs raw sockets to test"},
	{ReasonNegotiated, "the port is chosen per session and cannot be named in advance"},
	{ReasonRoleUnmapped, "the entry's destination role was not mapped to a host"},
	{ReasonEPMListed, "the RPC endpoint mapper listed its endpoints"},
	{ReasonEPMRefused, "the endpoint mapper spoke DCE/RPC but refused the lookup (bind_nak, fault)"},
	{ReasonEPMError, "the endpoint-mapper exchange failed (not DCE/RPC, malformed reply, timeout, reset)"},
	{ReasonNotRegistered, "the endpoint mapper lists no TCP endpoint for the RPC interface: the service is stopped or not installed (for MSDTC: network access is off)"},
	{ReasonEPMUnreadable, "the endpoint mapper could not be read (135 closed, filtered, not DCE/RPC, refused, malformed), so the RPC interface is unverified"},
	{ReasonRPCBindAck, "the RPC interface's registered port accepted a DCE/RPC bind to it: the service itself answered"},
	{ReasonRPCBindRejected, "the registered port spoke DCE/RPC but refused a bind to the interface (bind_nak, abstract syntax rejected): it is not that service"},
	{ReasonRPCBindError, "the registered port accepted the connection, but the bind got no DCE/RPC answer (reset, timeout, not DCE/RPC)"},
	{ReasonWrongService, "the port is open, but the expected service did not answer: another one did (445 open, but it answered HTTP), or nothing did (it closed or reset the connection before a word)"},
	{ReasonTLSFailed, "the TLS handshake on a TLS port failed (no common version or cipher, handshake refused)"},
	{ReasonCertExpired, "the server's certificate (or one it sent with it) has expired"},
	{ReasonCertExpiring, "the server's certificate expires within --cert-days days"},
	{ReasonCertNotYetValid, "the server's certificate (or one it sent with it) is not valid yet: its validity starts after the scan's clock"},
	{ReasonTLSUnverified, "with --tls-verify: the certificate chain does not verify against the system's roots and --ca-file (a self-signed certificate, a missing intermediate, an unknown CA)"},
	{ReasonCertNameMismatch, "the certificate does not carry the server's name: with --tls-verify, the target's (its chain verifies); for an LDAP server, the DC's (its rootDSE's, else the target's) as subject CN or SAN DNS name, as Microsoft's LDAPS rules require"},
	{ReasonConfirmTimeout, "the service's exchange did not end in time: it said nothing within --timeout, or its reply began and then stopped for --timeout, or the whole conversation outlasted 3 × --timeout (a slow or trickling server, or a port that is not the service; a longer --timeout tells them apart)"},
	{ReasonReplyTooLong, "the service's reply, or a line or message in it, passed the bound confirmation reads (64 KiB a reply, 16 KiB a line) without ending"},
	{ReasonCertNoServerAuth, "an LDAP server's certificate lacks the Server Authentication EKU (1.3.6.1.5.5.7.3.1) Microsoft requires for LDAPS"},
	{ReasonCertUntrusted, "with --ca-file: an LDAP server's certificate chain does not lead to a CA in it (or the system's): LDAPS clients refuse it"},
	{ReasonResolverAnswer, "this machine's resolver answered the DC locator's DNS question (it does not say which server or transport it used)"},
	{ReasonSRVMissing, "the DC locator's DNS SRV record does not exist (NXDOMAIN, or no SRV record): clients cannot find a DC through it"},
	{ReasonSiteSRVMissing, "the site's DC records are missing while the domain's exist: clients in the site use any DC (often a missing subnet-to-site mapping, or no DC covers the site)"},
	{ReasonSRVTargetUnresolved, "an SRV record names a host that has no A or AAAA record: a client that picks it fails (a stale record of a removed DC?)"},
	{ReasonLDAPPingWrongDomain, "the DC answered the LDAP ping for another domain or forest (or with no Netlogon entry): the DC locator passes it by"},
	{ReasonClockSkew, "the server's clock (a Kerberos error's time, an NTP reply) is further from this machine's than --max-skew (Kerberos' MaxClockSkew, 5m by default): Kerberos logons fail"},
	{ReasonNotAllowed, "the exporter's allow-list (portreach serve --allow) does not hold the address the DC locator found: nothing was sent to it"},
	{ReasonSMBSigningNotRequired, "the SMB server does not require signing, which the profile requires of it (domain controllers do by default): NTLM relaying to it is possible"},
	{ReasonProbeError, "the probe could not build its request"},
	{ReasonLocalError, "this machine failed to send (a socket error that says nothing about the port)"},
	{ReasonResolveFailed, "the host name did not resolve"},
	{ReasonNoRoute, "this machine has no route to the address (or no such address family)"},
	{ReasonInterrupted, "the run was cancelled before this port finished"},
	{ReasonMaxTime, "the run's time limit came before this port finished"},
	{ReasonPortLimit, "the scan's limit on ports (serve's --max-ports) was reached: the ports a reply revealed past it (SQL Server instances, registered RPC endpoints) or a further address of the host were not tested"},
	{ReasonInstanceNotListed, "the SQL Browser did not list the required SQL Server instance (stopped, not installed, or the Browser was silent)"},
	{ReasonInstanceNoTCP, "the SQL Browser lists the required instance with no TCP port: its TCP/IP protocol is off"},
	{ReasonPassedFirewall, "the port must be blocked, but the host answered (open, or closed by a RST or an ICMP port unreachable): the packet got through, so the rule that should stop it is missing (a firewall that rejects with a TCP reset looks exactly like this)"},
	{ReasonSourceUnreachable, "the policy's source could not be reached (connection refused or timed out, no route, its name did not resolve, its TLS handshake failed, ssh could not connect), so it measured nothing"},
	{ReasonSourceRefused, "the policy's source refused the request: its credentials (401, a client certificate, ssh authentication) or what was asked (403: a destination outside its allow-list)"},
	{ReasonSourceIncompatible, "the policy's source does not speak portreach's JSON answer: an older portreach, not portreach at all, or (ssh) portreach not installed there"},
	{ReasonSourceError, "the policy's source answered an error (busy, 400, 500) or an answer that breaks the protocol (malformed, a line or the answer over its byte cap, a result for another destination)"},
	{ReasonSourceTimeout, "the policy's source did not finish within its time limit (max_time)"},
	{ReasonListening, "portreach local: a process on this machine listens on the port (TCP) or has it bound (UDP)"},
	{ReasonLoopbackOnly, "portreach local: the port is bound on loopback addresses only, so other machines cannot reach it"},
	{ReasonNotListening, "portreach local: no process on this machine listens on the port: the service is not started (a firewall is not the cause)"},
}

// Reasons returns every reason of the vocabulary, in README's order.
func Reasons() []Reason {
	out := make([]Reason, len(vocabulary))
	for i, v := range vocabulary {
		out[i] = v.reason
	}
	return out
}

// Meaning returns the reason's one-line meaning, or "" for a reason outside the
// vocabulary (one read from a report written by another version).
func (r Reason) Meaning() string {
	for _, v := range vocabulary {
		if v.reason == r {
			return v.meaning
		}
	}
	return ""
}

// Known reports whether r is in the vocabulary.
func (r Reason) Known() bool { return r.Meaning() != "" }

// String returns the reason's word.
func (r Reason) String() string { return string(r) }
