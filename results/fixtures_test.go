package results

import (
	"net/netip"
	"time"
)

// base is the fixed clock of the fixtures: golden files must not depend on now.
var base = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

var (
	exchangeSrc = []Source{{Document: "exchange-network-ports.md", Section: "Client access, row 3"}}
	adSrc       = []Source{{Document: "ad-ports.md", Section: "Table 1"}, {Document: "kb179442.md"}}
)

// fixtureResults covers every state, a follow-up (found and closed), profile
// checks that pass and fail (open, closed, optional, a range entry), an IP
// protocol that cannot be tested, an unresolvable target, an IPv6 host, a run
// of alike ports to compress, and text that needs quoting in CSV. They are in
// no particular order, as a scan emits them.
func fixtureResults() []Result {
	mail := netip.MustParseAddr("198.18.1.2")
	v6 := netip.MustParseAddr("2001:db8::10")
	mb := func(svc, purpose string, e Expectation) *Check {
		return &Check{Profiles: []string{"exchange-mailbox"}, Service: svc, Purpose: purpose, Expect: e, Sources: exchangeSrc}
	}
	rpcRange := mb("RPC over HTTP", "Outlook Anywhere back end", ExpectOpen)
	rs := []Result{
		{Target: "mail01", Addr: mail, Proto: TCP, Port: 443, State: Filtered, Reason: "no-response", Attempts: 2,
			Check: mb("HTTPS", "Outlook, OWA and EWS clients", ExpectOpen), Time: at(3)},
		{Target: "mail01", Addr: mail, Proto: TCP, Port: 25, State: Open, Reason: "syn-ack", RTT: 412 * time.Microsecond, Attempts: 1,
			Check: mb("SMTP", "mail from other transport servers", ExpectOpen), Time: at(1)},
		{Target: "mail01", Addr: mail, Proto: TCP, Port: 3389, State: Open, Reason: "syn-ack", RTT: 380 * time.Microsecond, Attempts: 1,
			Check: &Check{Profiles: []string{"hardening"}, Service: "RDP", Purpose: "remote desktop must not face clients", Expect: ExpectClosed,
				Sources: []Source{{Document: "site-policy.md"}}}, Time: at(1)},
		{Target: "mail01", Addr: mail, Proto: TCP, Port: 88, State: Unknown, Reason: "unfinished",
			Check: &Check{Profiles: []string{"hardening"}, Service: "Kerberos", Purpose: "only DCs answer Kerberos", Expect: ExpectClosed, Sources: adSrc}},
		{Target: "mail01", Addr: mail, Proto: TCP, Port: 389, State: Skipped, Reason: "role-unmapped",
			Check: &Check{Profiles: []string{"ad-member"}, Service: "LDAP", Purpose: "directory lookups", Expect: ExpectOpen, Role: "dc", Sources: adSrc}},
		{Target: "mail01", Addr: mail, Proto: TCP, Port: 445, State: Closed, Reason: "conn-refused", RTT: 295 * time.Microsecond, Attempts: 1,
			Check: mb("SMB", "file shares, \"optional\" here, per policy", ExpectOptional), Time: at(1)},
		{Target: "mail01", Addr: mail, Proto: TCP, Port: 135, State: Open, Reason: "syn-ack", RTT: 301 * time.Microsecond, Attempts: 1,
			Probe: "epm", Detail: "12 endpoints", Details: map[string]any{"endpoints": float64(12)},
			Check: mb("RPC endpoint mapper", "RPC endpoint discovery", ExpectOpen), Time: at(2)},
		{Target: "mail01", Addr: mail, Proto: UDP, Port: 53, State: Open, Reason: "udp-response", RTT: 1250 * time.Microsecond, Attempts: 1,
			Probe: "dns", Detail: `REFUSED, version "9.18.49"`, Details: map[string]any{"rcode": "REFUSED", "version": "9.18.49"}, Time: at(2)},
		{Target: "mail01", Addr: mail, Proto: UDP, Port: 161, State: OpenFiltered, Reason: "no-response", Attempts: 3, Probe: "snmp",
			Check: mb("SNMP", "monitoring", ExpectOptional), Time: at(4)},
		{Target: "mail01", Addr: mail, Proto: UDP, Port: 1434, State: Open, Reason: "udp-response", RTT: 520 * time.Microsecond, Attempts: 1,
			Probe: "sql-browser", Detail: "2 instances: MSSQLSERVER tcp 1433, SQLEXPRESS tcp 49733",
			Details: map[string]any{"instances": []any{
				map[string]any{"name": "MSSQLSERVER", "tcp": float64(1433)},
				map[string]any{"name": "SQLEXPRESS", "tcp": float64(49733)},
			}}, Time: at(2)},
		{Target: "mail01", Addr: mail, Proto: TCP, Port: 1433, State: Open, Reason: "syn-ack", RTT: 330 * time.Microsecond, Attempts: 1,
			Under: "instance MSSQLSERVER", Via: "1434/udp", Time: at(3)},
		{Target: "mail01", Addr: mail, Proto: TCP, Port: 49733, State: Closed, Reason: "conn-refused", RTT: 310 * time.Microsecond, Attempts: 1,
			Under: "instance SQLEXPRESS", Via: "1434/udp", Time: at(3)},
		{Target: "mail01", Addr: mail, Proto: "gre", State: NotTested, Reason: "ip-protocol",
			Check: &Check{Profiles: []string{"exchange-mailbox"}, Service: "PPTP tunnel", Expect: ExpectOpen, Sources: exchangeSrc}},
	}
	for p := uint16(6001); p <= 6004; p++ {
		rs = append(rs, Result{Target: "mail01", Addr: mail, Proto: TCP, Port: p, State: Open, Reason: "syn-ack",
			RTT: time.Duration(300+p-6001) * time.Microsecond, Attempts: 1, Check: rpcRange, Time: at(2)})
	}
	for p := uint16(50101); p <= 50200; p++ {
		rs = append(rs, Result{Target: "mail01", Addr: mail, Proto: TCP, Port: p, State: Filtered, Reason: "no-response", Attempts: 2, Time: at(5)})
	}
	rs = append(rs,
		Result{Target: "2001:db8::10", Addr: v6, Proto: TCP, Port: 22, State: Open, Reason: "syn-ack", RTT: 95 * time.Microsecond, Attempts: 1, Time: at(1)},
		Result{Target: "2001:db8::10", Addr: v6, Proto: TCP, Port: 80, State: Closed, Reason: "conn-refused", RTT: 80 * time.Microsecond, Attempts: 1, Time: at(1)},
		Result{Target: "2001:db8::10", Addr: v6, Proto: TCP, Port: 81, State: Closed, Reason: "conn-refused", RTT: 82 * time.Microsecond, Attempts: 1, Time: at(1)},
		Result{Target: "2001:db8::10", Addr: v6, Proto: TCP, Port: 82, State: Closed, Reason: "conn-refused", RTT: 81 * time.Microsecond, Attempts: 1, Time: at(1)},
		Result{Target: "2001:db8::10", Addr: v6, Proto: TCP, Port: 8443, State: Filtered, Reason: "admin-prohibited", RTT: 150 * time.Microsecond, Attempts: 1, Time: at(1)},
		Result{Target: "2001:db8::10", Addr: v6, Proto: UDP, Port: 123, State: Open, Reason: "udp-response", RTT: 12500 * time.Microsecond, Attempts: 1,
			Probe: "ntp", Detail: "stratum 2, ref 198.18.0.1", Details: map[string]any{"stratum": float64(2)}, Time: at(2)},
		Result{Target: "nosuch.invalid", Proto: "", State: Error, Reason: "no-such-host",
			Detail: "lookup nosuch.invalid: no such host", Time: at(0)},
	)
	// Every scanned host carries the local address it was scanned from.
	src4, src6 := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:db8::1")
	for i := range rs {
		switch rs[i].Addr {
		case mail:
			rs[i].Source = src4
		case v6:
			rs[i].Source = src6
		}
	}
	return rs
}

func fixtureReport() *Report {
	return &Report{
		Tool:        Tool{Name: "portreach", Version: "0.1.0-test"},
		Started:     base,
		Finished:    base.Add(5*time.Second + 250*time.Millisecond),
		Command:     []string{"portreach", "scan", "--profile", "exchange-mailbox,hardening", "mail01", "2001:db8::10", "nosuch.invalid"},
		Interrupted: true,
		Results:     fixtureResults(),
	}
}
