package scan

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// fakeDNS is a DNS server on a loopback port, UDP and TCP, answering from
// records: a name's SRV, A or AAAA records, NXDOMAIN for a name it has none
// of, and over UDP a truncated empty reply for the names in truncate.
type fakeDNS struct {
	srv      map[string][]dnsmessage.SRVResource
	a        map[string][4]byte
	truncate map[string]bool
	silent   map[string]bool

	mu    sync.Mutex
	asked []string // "SRV name" in arrival order
}

func (f *fakeDNS) reply(q []byte, udp bool) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 {
		return nil
	}
	name := strings.TrimSuffix(qs[0].Name.String(), ".")
	f.mu.Lock()
	f.asked = append(f.asked, strings.TrimPrefix(qs[0].Type.String(), "Type")+" "+name)
	f.mu.Unlock()
	if f.silent[name] {
		return nil
	}
	out := dnsmessage.Message{Header: dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired},
		Questions: qs}
	rh := dnsmessage.ResourceHeader{Name: qs[0].Name, Class: dnsmessage.ClassINET, TTL: 600}
	switch {
	case udp && f.truncate[name]:
		out.Header.Truncated = true
	case qs[0].Type == dnsmessage.TypeSRV && f.srv[name] != nil:
		for _, r := range f.srv[name] {
			out.Answers = append(out.Answers, dnsmessage.Resource{Header: rh, Body: &r})
		}
	case qs[0].Type == dnsmessage.TypeA && f.a[name] != [4]byte{}:
		out.Answers = append(out.Answers, dnsmessage.Resource{Header: rh, Body: &dnsmessage.AResource{A: f.a[name]}})
	case f.srv[name] == nil && f.a[name] == [4]byte{}:
		out.Header.RCode = dnsmessage.RCodeNameError
	}
	b, _ := out.Pack()
	return b
}

// start serves f on one loopback port, UDP and TCP, until the test ends.
func (f *fakeDNS) start(t *testing.T) netip.AddrPort {
	t.Helper()
	var l net.Listener
	var pc net.PacketConn
	for range 20 {
		var err error
		if l, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if pc, err = net.ListenPacket("udp4", l.Addr().String()); err == nil {
			break
		}
		l.Close()
	}
	if pc == nil {
		t.Fatal("no loopback port free for both UDP and TCP")
	}
	t.Cleanup(func() { l.Close(); pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if b := f.reply(buf[:n], true); b != nil {
				pc.WriteTo(b, from)
			}
		}
	}()
	fakeService(t, l, func(c net.Conn) {
		var n [2]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		b := f.reply(q, false)
		c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...))
	})
	return netip.MustParseAddrPort(l.Addr().String())
}

func srvTo(port uint16, target string) dnsmessage.SRVResource {
	return dnsmessage.SRVResource{Priority: 0, Weight: 100, Port: port, Target: dnsmessage.MustNewName(target + ".")}
}

// locatorRun scans plan and returns its results by "target under proto/port".
func locatorRun(t *testing.T, s *Scanner, plan Plan) map[string]results.Result {
	t.Helper()
	got := map[string]results.Result{}
	err := s.Scan(context.Background(), plan, func(r results.Result) {
		k := strings.TrimSpace(r.Target + " " + strings.TrimSpace(r.Under+" "+results.PortName(r.Proto, r.Port)))
		if _, dup := got[k]; dup {
			t.Errorf("two results for %s", k)
		}
		got[k] = r
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Every question of the locator is a check that fires where it should: a site
// with no records while the domain has DCs, a missing PDC record, a record
// whose target does not resolve; a truncated reply is asked again over TCP;
// each DC found is scanned on the plan's ports and carries the records that
// named it.
func TestLocateWithDNSServer(t *testing.T) {
	open := openTCP(t)
	f := &fakeDNS{
		srv: map[string][]dnsmessage.SRVResource{
			"_ldap._tcp.dc._msdcs.lab.test":     {srvTo(389, "DC1.lab.test"), srvTo(389, "ghost.lab.test")},
			"_kerberos._tcp.dc._msdcs.lab.test": {srvTo(88, "dc1.lab.test")},
			"_kpasswd._tcp.lab.test":            {srvTo(464, "dc1.lab.test")},
			"_gc._tcp.lab.test":                 {srvTo(3268, "dc1.lab.test")},
		},
		a:        map[string][4]byte{"dc1.lab.test": {127, 0, 0, 1}},
		truncate: map[string]bool{"_gc._tcp.lab.test": true},
	}
	server := f.start(t)
	s := &Scanner{Timeout: 500 * time.Millisecond, Retries: new(0)}
	got := locatorRun(t, s, Plan{
		Ports:   []Port{{Proto: results.TCP, Lo: open}},
		Domains: []Domain{{Name: "Lab.Test.", Site: "Site-A", DNSServer: server}},
	})
	type row struct{ state, why, detail string }
	dnsPort := results.PortName(results.UDP, server.Port())
	want := map[string]row{
		"lab.test _ldap._tcp.Site-A._sites.dc._msdcs.lab.test " + dnsPort: {"open", "site-srv-missing", "NXDOMAIN: no DC registers for the site while the domain's do"},
		"lab.test _ldap._tcp.dc._msdcs.lab.test " + dnsPort:               {"open", "udp-response", "NOERROR, dc1.lab.test:389, ghost.lab.test:389"},
		"lab.test _kerberos._tcp.dc._msdcs.lab.test " + dnsPort:           {"open", "udp-response", "NOERROR, dc1.lab.test:88"},
		"lab.test _kpasswd._tcp.lab.test " + dnsPort:                      {"open", "udp-response", "NOERROR, dc1.lab.test:464"},
		"lab.test _ldap._tcp.pdc._msdcs.lab.test " + dnsPort:              {"open", "srv-missing", "NXDOMAIN: no DC is registered here"},
		"lab.test _gc._tcp.lab.test " + dnsPort:                           {"open", "udp-response", "NOERROR, dc1.lab.test:3268 (over TCP: the UDP reply was truncated)"},
		"ghost.lab.test":                                                  {"error", "srv-target-unresolved", "named by the SRV records, but it has no address: A: NXDOMAIN; AAAA: NXDOMAIN"},
		"dc1.lab.test 389/udp":                                            {"closed", "port-unreachable", ""},
		"dc1.lab.test " + results.PortName(results.TCP, open):             {"open", "syn-ack", ""},
	}
	for k, w := range want {
		r, ok := got[k]
		if !ok {
			t.Errorf("no result %s", k)
			continue
		}
		if r.State.String() != w.state || string(results.Why(&r)) != w.why || !strings.HasPrefix(r.Detail, w.detail) {
			t.Errorf("%s: %s %s %q; want %s %s %q…", k, r.State, results.Why(&r), r.Detail, w.state, w.why, w.detail)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected result %s", k)
		}
	}
	if r := got["lab.test _ldap._tcp.dc._msdcs.lab.test "+dnsPort]; r.Addr != server.Addr() || r.Probe != ProbeSRV || r.Check == nil || r.Check.Service != "DC locator" {
		t.Errorf("question row: %+v", r)
	}
	records := []string{"_ldap._tcp.dc._msdcs.lab.test", "_kerberos._tcp.dc._msdcs.lab.test", "_kpasswd._tcp.lab.test", "_gc._tcp.lab.test"}
	for _, k := range []string{"dc1.lab.test 389/udp", "dc1.lab.test " + results.PortName(results.TCP, open)} {
		if r := got[k]; !slices.Equal(r.Records, records) || r.Addr != loopback {
			t.Errorf("%s: records %q at %s, want %q", k, r.Records, r.Addr, records)
		}
	}
	if r := got["ghost.lab.test"]; !slices.Equal(r.Records, records[:1]) {
		t.Errorf("ghost: records %q", r.Records)
	}
	// The site first, the address questions after the SRV ones, the GC's over
	// UDP then TCP.
	f.mu.Lock()
	asked := slices.Clone(f.asked)
	f.mu.Unlock()
	if asked[0] != "SRV _ldap._tcp.Site-A._sites.dc._msdcs.lab.test" && !slices.Contains(asked[:5], "SRV _ldap._tcp.Site-A._sites.dc._msdcs.lab.test") {
		t.Errorf("asked %q", asked)
	}
	if n := strings.Count(strings.Join(asked, "\n"), "SRV _gc._tcp.lab.test"); n != 2 {
		t.Errorf("_gc asked %d times (UDP then TCP), want 2: %q", n, asked)
	}
}

// A DNS server that is silent leaves every question open|filtered: failed,
// with nothing to scan. No domain record at all is srv-missing everywhere, and
// a site's missing records are then no more than that.
func TestLocateFailures(t *testing.T) {
	silent := freeUDPPort(t)
	s := &Scanner{Timeout: 200 * time.Millisecond, Retries: new(0)}
	got := locatorRun(t, s, Plan{
		Ports:   []Port{{Proto: results.TCP, Lo: 9}},
		Domains: []Domain{{Name: "lab.test", DNSServer: netip.AddrPortFrom(loopback, silent)}},
	})
	if len(got) != 5 {
		t.Errorf("%d results, want the 5 questions (the site's is not asked)", len(got))
	}
	for k, r := range got {
		if r.State != results.Closed || results.Why(&r) != results.ReasonPortUnreach || !results.Fails(&r) {
			t.Errorf("%s: %s %s", k, r.State, results.Why(&r))
		}
	}

	f := &fakeDNS{silent: map[string]bool{"_kpasswd._tcp.lab.test": true}}
	got = locatorRun(t, s, Plan{Domains: []Domain{{Name: "lab.test", Site: "Site-A", DNSServer: f.start(t)}}})
	for k, r := range got {
		want := results.ReasonSRVMissing
		if strings.Contains(k, "_kpasswd") {
			want = results.ReasonNoResponse
		}
		if results.Why(&r) != want || !results.Fails(&r) {
			t.Errorf("%s: %s %s, want %s", k, r.State, results.Why(&r), want)
		}
	}
}

// Under Plan.MaxPorts, each DC found takes its ping and its ports from what
// the limit leaves, whole or not at all: of three DCs with two ports each (the
// ping and one), a limit of five scans two and reports the third port-limit,
// never pinged.
func TestLocateMaxPorts(t *testing.T) {
	open := openTCP(t)
	f := &fakeDNS{
		srv: map[string][]dnsmessage.SRVResource{
			"_ldap._tcp.dc._msdcs.lab.test": {srvTo(389, "dc1.lab.test"), srvTo(389, "dc2.lab.test"), srvTo(389, "dc3.lab.test")},
		},
		a: map[string][4]byte{"dc1.lab.test": {127, 0, 0, 1}, "dc2.lab.test": {127, 0, 0, 2}, "dc3.lab.test": {127, 0, 0, 3}},
	}
	s := &Scanner{Timeout: 500 * time.Millisecond, Retries: new(0)}
	got := locatorRun(t, s, Plan{
		Ports:    []Port{{Proto: results.TCP, Lo: open}},
		Domains:  []Domain{{Name: "lab.test", DNSServer: f.start(t)}},
		MaxPorts: 5,
	})
	var pinged, limited []string
	for k, r := range got {
		switch {
		case strings.HasSuffix(k, " 389/udp"):
			pinged = append(pinged, k)
		case r.Reason == results.ReasonPortLimit:
			limited = append(limited, k)
			if !results.Fails(&r) || !strings.HasSuffix(r.Detail, ", with 2 ports: 2 not tested, the scan reached its limit of 5 ports") || len(r.Records) != 1 {
				t.Errorf("%s: %q, records %q", k, r.Detail, r.Records)
			}
		}
	}
	if len(pinged) != 2 || len(limited) != 1 {
		t.Errorf("pinged %q, limited %q: want 2 and 1", pinged, limited)
	}
}

// The pure part of asking this machine's resolver: Go's resolver says "not
// found" for NXDOMAIN and for a name without the record, on Windows (DnsQuery's
// DNS_ERROR_RCODE_NAME_ERROR, DNS_INFO_NO_RECORDS) as elsewhere.
func TestSystemAnswer(t *testing.T) {
	ctx := context.Background()
	srvs := []*net.SRV{{Target: "DC1.Lab.Test.", Port: 389, Priority: 0, Weight: 100}, {Target: "bad name.lab.test.", Port: 389}, {Target: ".", Port: 389}}
	a := systemAnswer(ctx, "_ldap._tcp.dc._msdcs.lab.test", "SRV", srvs, nil, nil)
	if a.res.State != results.Open || a.res.Reason != results.ReasonResolverAnswer || a.d == nil ||
		!slices.Equal(a.d.SRV, []probes.SRVRecord{{Weight: 100, Port: 389, Target: "dc1.lab.test"}, {Port: 389, Target: "."}}) || a.d.Skipped != 1 {
		t.Errorf("records: %+v %+v", a.res, a.d)
	}
	if a.res.Detail != "this machine's resolver: dc1.lab.test:389, .:389, 1 records skipped" {
		t.Errorf("detail %q", a.res.Detail)
	}
	for _, tc := range []struct {
		err    error
		state  results.State
		reason results.Reason
		found  bool // an answer (d != nil) that finds nothing
		detail string
	}{
		{&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}, results.Open, results.ReasonResolverAnswer, true,
			"this machine's resolver: no such record (no such name, or no SRV record)"},
		{&net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}, results.OpenFiltered, results.ReasonNoResponse, false,
			"this machine's resolver: lookup x: i/o timeout"},
		{&net.DNSError{Err: "server misbehaving", Name: "x", Server: "127.0.0.53:53"}, results.Error, results.ReasonResolveFailed, false,
			"this machine's resolver: lookup x on 127.0.0.53:53: server misbehaving"},
		// What Go on Windows returns when DnsQuery fails otherwise (ERROR_TIMEOUT).
		{&net.DNSError{Err: "dnsquery: This operation returned because the timeout period expired.", Name: "x"}, results.Error, results.ReasonResolveFailed, false,
			"this machine's resolver: lookup x: dnsquery: This operation returned because the timeout period expired."},
		{errors.New("no DNS servers"), results.Error, results.ReasonResolveFailed, false, "this machine's resolver: no DNS servers"},
	} {
		a := systemAnswer(ctx, "x", "SRV", nil, nil, tc.err)
		if a.res.State != tc.state || a.res.Reason != tc.reason || (a.d != nil) != tc.found || a.res.Detail != tc.detail {
			t.Errorf("%v: %s %s %q (answer %v); want %s %s %q", tc.err, a.res.State, a.res.Reason, a.res.Detail, a.d != nil, tc.state, tc.reason, tc.detail)
		}
		if a.d != nil && a.d.Found() {
			t.Errorf("%v: found %+v", tc.err, a.d)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if a := systemAnswer(cancelled, "x", "SRV", nil, nil, &net.DNSError{Err: "operation was canceled"}); a.res.State != results.Unknown || a.res.Reason != results.ReasonInterrupted {
		t.Errorf("cancelled: %s %s", a.res.State, a.res.Reason)
	}
	addrs := systemAnswer(ctx, "dc1.lab.test", "A or AAAA", nil, []netip.Addr{netip.MustParseAddr("::ffff:198.18.1.2")}, nil)
	if !slices.Equal(addrs.d.Addrs, []netip.Addr{netip.MustParseAddr("198.18.1.2")}) || addrs.res.Detail != "this machine's resolver: 198.18.1.2" {
		t.Errorf("addresses: %+v %q", addrs.d, addrs.res.Detail)
	}
}

// With the system resolver (a net.Resolver whose Dial reaches the fake server),
// the questions are the same and so are the verdicts.
func TestLocateWithResolver(t *testing.T) {
	f := &fakeDNS{
		srv: map[string][]dnsmessage.SRVResource{"_ldap._tcp.dc._msdcs.lab.test": {srvTo(389, "dc1.lab.test")}},
		a:   map[string][4]byte{"dc1.lab.test": {127, 0, 0, 1}},
	}
	server := f.start(t)
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server.String())
	}}
	s := &Scanner{Timeout: 500 * time.Millisecond, Retries: new(0), Resolver: res}
	got := locatorRun(t, s, Plan{Domains: []Domain{{Name: "lab.test"}}})
	for k, want := range map[string]results.Reason{
		"lab.test _ldap._tcp.dc._msdcs.lab.test 53/udp":     results.ReasonResolverAnswer,
		"lab.test _kerberos._tcp.dc._msdcs.lab.test 53/udp": results.ReasonSRVMissing,
		"lab.test _gc._tcp.lab.test 53/udp":                 results.ReasonSRVMissing,
		"dc1.lab.test 389/udp":                              results.ReasonPortUnreach,
	} {
		r, ok := got[k]
		if !ok || results.Why(&r) != want || r.Addr.IsValid() != strings.HasPrefix(k, "dc1") {
			t.Errorf("%s: %v %s at %s, want %s", k, ok, results.Why(&r), r.Addr, want)
		}
	}
}

func TestDomainCheck(t *testing.T) {
	for _, tc := range []struct {
		d    Domain
		want string
	}{
		{Domain{}, "scan: a domain without a name"},
		{Domain{Name: "lab..example"}, `scan: domain "lab..example" has an empty label`},
		{Domain{Name: "lab.example", Site: "Site A"}, `scan: site "Site A": not a DNS label (letters, digits, '-' and '_', at most 63)`},
		{Domain{Name: strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 50), Site: strings.Repeat("s", 40)},
			`scan: domain "` + strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 50) + `", site "` + strings.Repeat("s", 40) + `": name of 302 bytes (at most 253)`},
	} {
		err := (&Scanner{}).Scan(context.Background(), Plan{Domains: []Domain{tc.d}}, func(results.Result) {})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v, want %q", tc.d, err, tc.want)
		}
	}
}

// The LDAP ping is the profile's 389/udp entry when the profile has one alone:
// its check, and the port not scanned twice.
func TestSplitPing(t *testing.T) {
	prof := &results.Check{Profiles: []string{"ad-dc"}, Service: "LDAP", Expect: results.ExpectOpen}
	ports := []Port{{Proto: results.TCP, Lo: 389}, {Proto: results.UDP, Lo: 389, Probe: "cldap", Check: prof}, {Proto: results.UDP, Lo: 88}}
	ping, rest := splitPing(ports)
	if ping.Check != prof || ping.Probe != "cldap" || len(rest) != 2 || rest[0].Proto != results.TCP || rest[1].Lo != 88 {
		t.Errorf("ping %+v, rest %+v", ping, rest)
	}
	// A range that covers 389 stays; the ping has the locator's own check.
	ping, rest = splitPing([]Port{{Proto: results.UDP, Lo: 1, Hi: 1024}})
	if ping.Check == nil || ping.Check.Service != "DC locator" || len(rest) != 1 {
		t.Errorf("range: ping %+v, rest %+v", ping, rest)
	}
}

// The ping of a DC of another domain, or a reply with no Netlogon entry, fails
// with ldap-ping-wrong-domain; a DC that maps this machine to another site than
// the one given says so.
func TestJudgeLocated(t *testing.T) {
	ping := func(n *probes.NetlogonResponse) results.Result {
		return results.Result{Proto: results.UDP, Port: 389, Probe: "cldap", State: results.Open, Reason: results.ReasonUDPResponse,
			Details: &probes.CLDAPDetail{Netlogon: n}, Detail: "DC", Check: &results.Check{Expect: results.ExpectOpen}}
	}
	lab := &probes.NetlogonResponse{DNSForest: "lab.example", DNSDomain: "LAB.example", ClientSite: "Site-A"}
	other := &probes.NetlogonResponse{DNSForest: "other.example", DNSDomain: "other.example"}
	for _, tc := range []struct {
		loc    Located
		n      *probes.NetlogonResponse
		why    results.Reason
		detail string
	}{
		{Located{Domain: "lab.example", Site: "Site-A"}, lab, results.ReasonUDPResponse, "DC"},
		{Located{Domain: "lab.example", Site: "Site-B"}, lab, results.ReasonUDPResponse, "DC; this DC maps this machine's address to site Site-A, not Site-B"},
		{Located{Domain: "lab.example"}, other, results.ReasonLDAPPingWrongDomain, "DC; answers for other.example, not lab.example: the DC locator passes it by"},
		{Located{Domain: "lab.example", Site: "Site-A"}, other, results.ReasonLDAPPingWrongDomain, "DC; answers for other.example, not lab.example: the DC locator passes it by; this DC maps this machine's address to no site, not Site-A"},
		{Located{Domain: "child.lab.example", Forest: "lab.example"}, lab, results.ReasonUDPResponse, "DC"},
		{Located{Domain: "lab.example", Forest: "lab.example"}, other, results.ReasonLDAPPingWrongDomain, "DC; answers for forest other.example, not lab.example: the DC locator passes it by"},
		{Located{Domain: "lab.example"}, nil, results.ReasonLDAPPingWrongDomain, "DC; not a DC's answer to the LDAP ping: the DC locator passes it by"},
	} {
		r := ping(tc.n)
		judgeLocated(&r, &tc.loc)
		if results.Why(&r) != tc.why || r.Detail != tc.detail {
			t.Errorf("%+v: %s %q, want %s %q", tc.loc, results.Why(&r), r.Detail, tc.why, tc.detail)
		}
	}
	// Not a ping, or a silent one: nothing to judge.
	r := results.Result{Proto: results.UDP, Port: 389, Probe: "cldap", State: results.OpenFiltered, Reason: results.ReasonNoResponse}
	judgeLocated(&r, &Located{Domain: "lab.example"})
	if r.Outcome != nil || r.Detail != "" {
		t.Errorf("silent ping judged: %+v", r)
	}
}

func ExampleDomain() {
	plan := Plan{
		Ports:   []Port{{Proto: results.TCP, Lo: 88}, {Proto: results.UDP, Lo: 88, Probe: "kerberos"}},
		Domains: []Domain{{Name: "lab.example", Site: "Site-A", DNSServer: netip.MustParseAddrPort("198.18.1.2:53")}},
	}
	fmt.Println(len(plan.Domains[0].questions()), "questions first, then _gc._tcp.FOREST")
	// Output: 5 questions first, then _gc._tcp.FOREST
}
