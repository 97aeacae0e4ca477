// Package resultstest provides the results of a fixed scan, for the tests of
// results and of the packages that render them (report): every state, checks
// that pass and fail, a follow-up, an IP protocol, a target that did not
// resolve, an IPv6 host and a run of alike ports. The clock is fixed, so golden
// files do not depend on now.
package resultstest

import (
	"net/netip"
	"time"

	"github.com/portreach/portreach/results"
)

// base is the fixed clock of the fixtures: golden files must not depend on now.
var base = time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

var (
	exchangeSrc = []results.Source{{Document: "exchange-network-ports.md", Section: "Client access, row 3"}}
	adSrc       = []results.Source{{Document: "ad-ports.md", Section: "Table 1"}, {Document: "kb179442.md"}}
)

// Results covers every state, a follow-up (found and closed), profile
// checks that pass and fail (open, closed, optional, a range entry), an IP
// protocol that cannot be tested, an unresolvable target, an IPv6 host, a run
// of alike ports to compress (which share one trace), traces of each kind,
// text that needs quoting in CSV, and the DC locator's questions and a DC it
// found (records, clock offsets). They are in
// no particular order, as a scan emits them.
func Results() []results.Result {
	mail := netip.MustParseAddr("198.18.1.2")
	v6 := netip.MustParseAddr("2001:db8::10")
	mb := func(svc, purpose string, e results.Expectation) *results.Check {
		return &results.Check{Profiles: []string{"exchange-mailbox"}, Service: svc, Purpose: purpose, Expect: e, Sources: exchangeSrc}
	}
	rpcRange := mb("RPC over HTTP", "Outlook Anywhere back end", results.ExpectOpen)
	rs := []results.Result{
		{Target: "mail01", Addr: mail, Proto: results.TCP, Port: 443, State: results.Filtered, Reason: "no-response", Attempts: 2,
			Check: mb("HTTPS", "Outlook, OWA and EWS clients", results.ExpectOpen), Time: at(3)},
		{Target: "mail01", Addr: mail, Proto: results.TCP, Port: 25, State: results.Open, Reason: "syn-ack", RTT: 412 * time.Microsecond, Attempts: 1,
			Check: mb("SMTP", "mail from other transport servers", results.ExpectOpen), Time: at(1)},
		{Target: "mail01", Addr: mail, Proto: results.TCP, Port: 3389, State: results.Open, Reason: "syn-ack", RTT: 380 * time.Microsecond, Attempts: 1,
			Check: &results.Check{Profiles: []string{"hardening"}, Service: "RDP", Purpose: "remote desktop must not face clients", Expect: results.ExpectClosed,
				Sources: []results.Source{{Document: "site-policy.md"}}}, Time: at(1)},
		{Target: "mail01", Addr: mail, Proto: results.TCP, Port: 88, State: results.Unknown, Reason: "unfinished",
			Check: &results.Check{Profiles: []string{"hardening"}, Service: "Kerberos", Purpose: "only DCs answer Kerberos", Expect: results.ExpectClosed, Sources: adSrc}},
		{Target: "mail01", Addr: mail, Proto: results.TCP, Port: 389, State: results.Skipped, Reason: "role-unmapped",
			Check: &results.Check{Profiles: []string{"ad-member"}, Service: "LDAP", Purpose: "directory lookups", Expect: results.ExpectOpen, Role: "dc", Sources: adSrc}},
		{Target: "mail01", Addr: mail, Proto: results.TCP, Port: 445, State: results.Closed, Reason: "conn-refused", RTT: 295 * time.Microsecond, Attempts: 1,
			Check: mb("SMB", "file shares, \"optional\" here, per policy", results.ExpectOptional), Time: at(1)},
		{Target: "mail01", Addr: mail, Proto: results.TCP, Port: 135, State: results.Open, Reason: "syn-ack", RTT: 301 * time.Microsecond, Attempts: 1,
			Probe: results.ProbeEPM, Detail: "12 endpoints", Details: map[string]any{"endpoints": float64(12)},
			Check: mb("RPC endpoint mapper", "RPC endpoint discovery", results.ExpectOpen), Time: at(2)},
		{Target: "mail01", Addr: mail, Proto: results.UDP, Port: 53, State: results.Open, Reason: "udp-response", RTT: 1250 * time.Microsecond, Attempts: 1,
			Probe: "dns", Detail: `REFUSED, version "9.18.49"`, Details: map[string]any{"rcode": "REFUSED", "version": "9.18.49"}, Time: at(2)},
		{Target: "mail01", Addr: mail, Proto: results.UDP, Port: 161, State: results.OpenFiltered, Reason: "no-response", Attempts: 3, Probe: "snmp",
			Check: mb("SNMP", "monitoring", results.ExpectOptional), Time: at(4)},
		{Target: "mail01", Addr: mail, Proto: results.UDP, Port: 1434, State: results.Open, Reason: "udp-response", RTT: 520 * time.Microsecond, Attempts: 1,
			Probe: results.ProbeSQLBrowser, Detail: "2 instances: MSSQLSERVER tcp 1433, SQLEXPRESS tcp 49733",
			Details: map[string]any{"instances": []any{
				map[string]any{"name": "MSSQLSERVER", "tcp": float64(1433)},
				map[string]any{"name": "SQLEXPRESS", "tcp": float64(49733)},
			}}, Time: at(2)},
		{Target: "mail01", Addr: mail, Proto: results.TCP, Port: 1433, State: results.Open, Reason: "syn-ack", RTT: 330 * time.Microsecond, Attempts: 1,
			Under: results.InstanceLabel("MSSQLSERVER"), Via: "1434/udp", Time: at(3)},
		{Target: "mail01", Addr: mail, Proto: results.TCP, Port: 49733, State: results.Closed, Reason: "conn-refused", RTT: 310 * time.Microsecond, Attempts: 1,
			Under: results.InstanceLabel("SQLEXPRESS"), Via: "1434/udp", Time: at(3)},
		{Target: "mail01", Addr: mail, Proto: "gre", State: results.NotTested, Reason: "ip-protocol",
			Check: &results.Check{Profiles: []string{"exchange-mailbox"}, Service: "PPTP tunnel", Expect: results.ExpectOpen, Sources: exchangeSrc}},
	}
	for p := uint16(6001); p <= 6004; p++ {
		rs = append(rs, results.Result{Target: "mail01", Addr: mail, Proto: results.TCP, Port: p, State: results.Open, Reason: "syn-ack",
			RTT: time.Duration(300+p-6001) * time.Microsecond, Attempts: 1, Check: rpcRange, Time: at(2)})
	}
	// The range's ports share one trace: a router two hops away drops them.
	r1, r2, r3 := netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("198.18.0.6"), netip.MustParseAddr("198.18.0.10")
	te := func(ttl int, a netip.Addr, us int) results.Hop {
		return results.Hop{TTL: ttl, Addr: a, Reason: results.ReasonTTLExceeded, RTT: time.Duration(us) * time.Microsecond}
	}
	silent := func(ttl int) results.Hop { return results.Hop{TTL: ttl, Reason: results.ReasonNoResponse} }
	rangeTrace := &results.Trace{End: results.TraceDropped, Hop: 2, Addr: r2, Name: "fw-core.example", HostHop: 4, Via: "50101/tcp",
		Hops: []results.Hop{te(1, r1, 210), {TTL: 2, Addr: r2, Name: "fw-core.example", Reason: results.ReasonTTLExceeded, RTT: 320 * time.Microsecond}, silent(3), silent(4), silent(5)}}
	for p := uint16(50101); p <= 50200; p++ {
		rs = append(rs, results.Result{Target: "mail01", Addr: mail, Proto: results.TCP, Port: p, State: results.Filtered, Reason: "no-response", Attempts: 2,
			Trace: rangeTrace, Time: at(5)})
	}
	// 443 reaches the host, whose own firewall drops it.
	rs[0].Trace = &results.Trace{End: results.TraceHostDrops, Hop: 3, Addr: r3, HostHop: 4,
		Hops: []results.Hop{te(1, r1, 205), te(2, r2, 300), te(3, r3, 390), silent(4), silent(5), silent(6)}}
	rs = append(rs,
		results.Result{Target: "2001:db8::10", Addr: v6, Proto: results.TCP, Port: 22, State: results.Open, Reason: "syn-ack", RTT: 95 * time.Microsecond, Attempts: 1, Time: at(1)},
		results.Result{Target: "2001:db8::10", Addr: v6, Proto: results.TCP, Port: 80, State: results.Closed, Reason: "conn-refused", RTT: 80 * time.Microsecond, Attempts: 1, Time: at(1)},
		results.Result{Target: "2001:db8::10", Addr: v6, Proto: results.TCP, Port: 81, State: results.Closed, Reason: "conn-refused", RTT: 82 * time.Microsecond, Attempts: 1, Time: at(1)},
		results.Result{Target: "2001:db8::10", Addr: v6, Proto: results.TCP, Port: 82, State: results.Closed, Reason: "conn-refused", RTT: 81 * time.Microsecond, Attempts: 1, Time: at(1)},
		results.Result{Target: "2001:db8::10", Addr: v6, Proto: results.TCP, Port: 8443, State: results.Filtered, Reason: "admin-prohibited", RTT: 150 * time.Microsecond, Attempts: 1,
			Detail: "ICMP from 2001:db8:1::1, a router on the way, not the host", Time: at(1),
			Trace: &results.Trace{End: results.TraceRejected, Hop: 1, Addr: netip.MustParseAddr("2001:db8:1::1"), Reason: results.ReasonAdminProhibited,
				Hops: []results.Hop{
					{TTL: 1, Addr: netip.MustParseAddr("2001:db8:1::1"), Reason: results.ReasonTTLExceeded, RTT: 60 * time.Microsecond},
					{TTL: 2, Addr: netip.MustParseAddr("2001:db8:1::1"), Reason: results.ReasonAdminProhibited, RTT: 70 * time.Microsecond},
				}}},
		results.Result{Target: "2001:db8::10", Addr: v6, Proto: results.UDP, Port: 123, State: results.Open, Reason: "udp-response", RTT: 12500 * time.Microsecond, Attempts: 1,
			Probe: "ntp", Detail: "stratum 2, ref 198.18.0.1", Details: map[string]any{"stratum": float64(2)}, Time: at(2)},
		results.Result{Target: "nosuch.invalid", Proto: "", State: results.Error, Reason: "no-such-host",
			Detail: "lookup nosuch.invalid: no such host", Time: at(0)},
	)
	// The DC locator: two questions asked of the domain's DNS server, one
	// answered, one whose record is missing; and a DC they named, found by two
	// records, whose KDC agrees with this machine's clock and NTP server does not.
	dns, dc := netip.MustParseAddr("198.18.1.53"), netip.MustParseAddr("198.18.1.10")
	locator := func(purpose string) *results.Check {
		return &results.Check{Service: "DC locator", Purpose: purpose, Expect: results.ExpectOpen,
			Sources: []results.Source{{Document: "ms-adts.md", Section: "6.3.6.1 DNS-Based Discovery"}}}
	}
	dcCheck := func(svc string) *results.Check {
		return &results.Check{Profiles: []string{"ad-dc"}, Service: svc, Purpose: "member logons", Expect: results.ExpectOpen, Sources: adSrc}
	}
	records := []string{"_ldap._tcp.dc._msdcs.lab.example", "_kerberos._tcp.dc._msdcs.lab.example"}
	kdcClock, ntpClock := 0.25, 402.5
	rs = append(rs,
		results.Result{Target: "lab.example", Addr: dns, Proto: results.UDP, Port: 53, State: results.Open, Reason: "udp-response", RTT: 900 * time.Microsecond, Attempts: 1,
			Probe: "srv", Under: "_ldap._tcp.dc._msdcs.lab.example", Detail: "NOERROR, dc01.lab.example:389",
			Check: locator("clients find the domain's DCs here"), Time: at(1)},
		results.Result{Target: "lab.example", Addr: dns, Proto: results.UDP, Port: 53, State: results.Open, Reason: "udp-response", RTT: 850 * time.Microsecond, Attempts: 1,
			Probe: "srv", Under: "_ldap._tcp.pdc._msdcs.lab.example", Detail: "NXDOMAIN: no DC is registered here: clients cannot find one through it",
			Check: locator("the PDC emulator is found here"), Outcome: &results.Outcome{Status: results.StatusFailed, Why: "srv-missing"}, Time: at(1)},
		results.Result{Target: "dc01.lab.example", Addr: dc, Proto: results.UDP, Port: 88, State: results.Open, Reason: "udp-response", RTT: 700 * time.Microsecond, Attempts: 1,
			Probe: "kerberos", Detail: "C_PRINCIPAL_UNKNOWN (6), clock +0s", Records: records, ClockOffset: &kdcClock, Check: dcCheck("Kerberos"), Time: at(2)},
		results.Result{Target: "dc01.lab.example", Addr: dc, Proto: results.UDP, Port: 123, State: results.Open, Reason: "udp-response", RTT: 650 * time.Microsecond, Attempts: 1,
			Probe: "ntp", Detail: "stratum 3, offset +402.500s; clock +6m43s, beyond --max-skew 5m0s: Kerberos refuses logons",
			Records: records, ClockOffset: &ntpClock, Check: dcCheck("NTP"), Outcome: &results.Outcome{Status: results.StatusFailed, Why: "clock-skew"}, Time: at(2)},
	)
	// Every scanned host carries the local address it was scanned from.
	src4, src6 := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:db8::1")
	for i := range rs {
		switch rs[i].Addr {
		case mail, dns, dc:
			rs[i].Source = src4
		case v6:
			rs[i].Source = src6
		}
	}
	return rs
}

// Report is an interrupted run of Results, of three targets.
func Report() *results.Report {
	return &results.Report{
		Tool:        results.Tool{Name: "portreach", Version: "0.1.0-test"},
		Started:     base,
		Finished:    base.Add(5*time.Second + 250*time.Millisecond),
		Command:     []string{"portreach", "scan", "--profile", "exchange-mailbox,hardening", "mail01", "2001:db8::10", "nosuch.invalid"},
		Interrupted: true,
		Results:     Results(),
	}
}

// DriftRules are the rules the tests compare with (the scanner's come
// from the probes, see scan.DriftRules).
var DriftRules = []results.DetailRule{
	{Probe: "sqlbrowser", Path: "instances[].name", Meaning: "a SQL Server instance appeared or disappeared"},
	{Probe: "sqlbrowser", Path: "instances[name].tcp_port", Meaning: "a SQL Server instance moved to another TCP port"},
	{Probe: "cldap", Path: "netlogon.flag_names[]", Meaning: "the DC's roles changed"},
	{Probe: "cldap", Path: "netlogon.dns_domain", Meaning: "the DC answers for another domain"},
	{Probe: "ntp", Path: "stratum", Meaning: "stratum 16 means unsynchronised"},
	{Probe: "ntp", Path: "leap", Meaning: "leap 3 means the clock is not synchronised"},
	{Probe: "dns", Path: "root_ns.rcode", Meaning: "the server answers the root NS question differently"},
	{Probe: "dns", Path: "version", Meaning: "the DNS server software changed"},
}
