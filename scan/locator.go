package scan

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// The DC locator. A Windows client finds its domain's domain controllers by
// asking DNS for SRV records ([MS-ADTS] 6.3.6.1: _ldap._tcp.dc._msdcs.DOMAIN, and
// first _ldap._tcp.SITE._sites.dc._msdcs.DOMAIN when it knows its site), then
// pings each DC they name with an LDAP search over UDP ([MS-ADTS] 6.3.3) and
// takes the first that answers for the domain. Kerberos clients ask
// _kerberos._tcp.dc._msdcs.DOMAIN, password changes _kpasswd._tcp.DOMAIN, the
// PDC emulator is _ldap._tcp.pdc._msdcs.DOMAIN, and global catalogs
// _gc._tcp.FOREST. A scan of a Domain asks every one of these questions,
// resolves and pings every DC they name, and reports each question and each
// ping as a check, before it checks every DC found on the domain's ports.

// ProbeSRV is the Probe name of the results of the DC locator's DNS questions.
const ProbeSRV = "srv"

// Where the locator's checks come from.
var (
	locatorDNSSource  = results.Source{Document: "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-adts/7fcdce70-5205-44d6-9c3a-260e616a2f04", Section: "[MS-ADTS] 6.3.6.1 DNS-Based Discovery"}
	locatorPingSource = results.Source{Document: "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-adts/895a7744-aff3-4f64-bcfa-f8c05915d2e9", Section: "[MS-ADTS] 6.3.3 LDAP Ping"}
)

func locatorCheck(purpose string, src results.Source) *results.Check {
	return &results.Check{Service: "DC locator", Purpose: purpose, Expect: results.ExpectOpen, Sources: []results.Source{src}}
}

// question is one of the locator's DNS questions.
type question struct {
	name    string // _ldap._tcp.dc._msdcs.lab.example
	dcs     bool   // the domain's DCs (_ldap._tcp.dc._msdcs.DOMAIN)
	site    bool   // a site's records: missing while the domain's exist is site-srv-missing
	gc      bool   // _gc._tcp.FOREST: its DCs may be of another domain of the forest
	purpose string
}

// questions lists what the locator asks about domain d first: the site's DCs
// (when a site is given), the domain's, its KDCs, its kpasswd servers and its
// PDC emulator.
func (d Domain) questions() []question {
	var qs []question
	if d.Site != "" {
		qs = append(qs, siteQuestion(d.Name, d.Site))
	}
	return append(qs,
		question{name: "_ldap._tcp.dc._msdcs." + d.Name, dcs: true, purpose: "clients find the domain's DCs here"},
		question{name: "_kerberos._tcp.dc._msdcs." + d.Name, purpose: "Kerberos clients find the domain's KDCs here"},
		question{name: "_kpasswd._tcp." + d.Name, purpose: "password changes find a Kerberos kpasswd server here"},
		question{name: "_ldap._tcp.pdc._msdcs." + d.Name, purpose: "the PDC emulator (password changes, account lockout, Group Policy edits) is found here"})
}

func siteQuestion(domain, site string) question {
	return question{name: "_ldap._tcp." + site + "._sites.dc._msdcs." + domain, site: true,
		purpose: "clients in site " + site + " find their own site's DCs here first"}
}

func gcQuestion(forest string) question {
	return question{name: "_gc._tcp." + forest, gc: true, purpose: "logons and searches find the forest's global catalogs here"}
}

// Validate refuses a domain the locator cannot ask about: a name or site that
// makes no DNS name. Scan refuses a plan with such a domain.
func (d Domain) Validate() error {
	if d.Name == "" {
		return errors.New("scan: a domain without a name")
	}
	if _, err := probes.NewLookup(rand.Reader, d.Name, probes.LookupA); err != nil {
		return fmt.Errorf("scan: domain %s", strings.TrimPrefix(err.Error(), "dns lookup: "))
	}
	if d.Site != "" {
		// A site name is one label of the locator's questions.
		if _, err := probes.NewLookup(rand.Reader, strings.ReplaceAll(d.Site, ".", ".."), probes.LookupA); err != nil {
			return fmt.Errorf("scan: site %q: not a DNS label (letters, digits, '-' and '_', at most 63)", d.Site)
		}
	}
	for _, q := range append(d.questions(), gcQuestion(d.Name)) {
		if _, err := probes.NewLookup(rand.Reader, q.name, probes.LookupSRV); err != nil {
			return fmt.Errorf("scan: domain %q, site %q: %s", d.Name, d.Site, strings.TrimPrefix(err.Error(), "dns lookup: "))
		}
	}
	return nil
}

// dcFound is one host the locator's records name.
type dcFound struct {
	name    string
	records []string
	glue    []netip.Addr // addresses the SRV replies gave for it
	gcOnly  bool         // named only by _gc._tcp.FOREST so far
	located *Located
	ping    *host           // nil until pinged; it holds the ping's result until flush
	fail    *results.Result // why it was not pinged: no address, no route
}

// locateRun is one Domain's locator.
type locateRun struct {
	r   *run
	d   Domain
	dns *host // the DNS server asked, nil for this machine's resolver

	mu           sync.Mutex
	dcs          []*dcFound
	byName       map[string]*dcFound
	forest       string // the forest the DCs' pings name
	clientSite   string // the site the DCs' pings say this machine is in
	domainHasDCs bool   // _ldap._tcp.dc._msdcs.DOMAIN names a DC
	perDC        int    // the ports a DC found costs a limited scan: its ping and the plan's
}

// answer is what one DNS question got: the result to report, and the records.
type answer struct {
	res results.Result
	d   *probes.LookupDetail // nil when no reply came
}

// locate runs the locator for d and returns the DCs to scan on ports (the LDAP
// ping's entry left out: the ping is done).
func (r *run) locate(ctx context.Context, d Domain, ports []Port) []Target {
	d.Name = strings.ToLower(strings.TrimSuffix(d.Name, "."))
	lr := &locateRun{r: r, d: d, byName: map[string]*dcFound{}}
	if d.DNSServer.IsValid() {
		h := &host{name: d.DNSServer.Addr().String(), addr: d.DNSServer.Addr().Unmap()}
		h.est.ceiling = r.timeout
		src, noRoute := r.preflight(ctx, h.addr, r.Source)
		if d.Allow != nil && !d.Allow(h.addr) {
			noRoute = &verdict{state: results.Error, reason: results.ReasonNotAllowed, final: true,
				err: fmt.Errorf("the DNS server %s is not in the allow-list", h.addr)}
		}
		if noRoute != nil {
			for _, q := range d.questions() {
				res := results.Result{Proto: results.UDP, Port: d.DNSServer.Port(), Probe: ProbeSRV, Under: q.name,
					State: noRoute.state, Reason: noRoute.reason, Detail: noRoute.detail(h.addr)}
				if stopped(ctx) {
					res.State, res.Reason, res.Detail = results.Unknown, stopReason(ctx), ""
				}
				r.emit(h, d.Name, withCheck(res, locatorCheck(q.purpose, locatorDNSSource)))
			}
			return nil
		}
		h.source = src
		h.cap, h.ports = r.eng.host(h.addr)
		defer r.eng.unhost(h.addr, h.ports)
		lr.dns = h
	}
	ping, rest := splitPing(ports)
	lr.perDC = 1 + PortCount(rest)

	lr.round(ctx, d.questions(), ping)
	// What the pings said: global catalogs are the forest's, and without a site
	// given, the site this machine is in is the one to ask for.
	next := []question{gcQuestion(cmpOr(lr.forest, d.Name))}
	if d.Site == "" && lr.clientSite != "" {
		next = append(next, siteQuestion(d.Name, lr.clientSite))
	}
	lr.round(ctx, next, ping)

	// Every DC's records are known now: out go the pings and the failures, and
	// the DCs that were pinged are the targets.
	var out []Target
	for _, dc := range lr.dcs {
		dc.located.Records = dc.records
		if dc.gcOnly {
			dc.located.Forest = cmpOr(lr.forest, d.Name)
		}
		if dc.fail != nil {
			f := *dc.fail
			f.Records = dc.records
			r.emit(dc.ping, dc.name, f)
			continue
		}
		if dc.ping == nil {
			continue
		}
		r.flush(dc.ping)
		if len(rest) > 0 {
			out = append(out, Target{Name: dc.name, Addr: dc.ping.addr, Ports: rest, Located: dc.located})
		}
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// round asks qs, reports each, then resolves and pings the DCs they named that
// earlier rounds had not.
func (lr *locateRun) round(ctx context.Context, qs []question, ping Port) {
	answers := make([]answer, len(qs))
	var wg sync.WaitGroup
	for i, q := range qs {
		wg.Go(func() { answers[i] = lr.ask(ctx, q.name, probes.LookupSRV) })
	}
	wg.Wait()
	var fresh []*dcFound
	for i, q := range qs {
		if a := answers[i].d; a != nil && q.dcs && a.Found() {
			lr.domainHasDCs = true
		}
	}
	for i, q := range qs {
		a := answers[i]
		lr.report(q, a)
		if a.d == nil {
			continue
		}
		for _, rec := range a.d.SRV {
			if rec.Target == "." {
				continue
			}
			dc := lr.byName[rec.Target]
			if dc == nil {
				dc = &dcFound{name: rec.Target, gcOnly: true, located: &Located{Domain: lr.d.Name, Site: lr.d.Site}}
				lr.byName[rec.Target] = dc
				lr.dcs = append(lr.dcs, dc)
				fresh = append(fresh, dc)
			}
			dc.gcOnly = dc.gcOnly && q.gc
			dc.glue = append(dc.glue, a.d.Glue[rec.Target]...)
			if !slices.Contains(dc.records, q.name) {
				dc.records = append(dc.records, q.name)
			}
		}
	}
	var pings sync.WaitGroup
	for _, dc := range fresh {
		pings.Go(func() { lr.resolveAndPing(ctx, dc, ping) })
	}
	pings.Wait()
}

// report emits the result of one question: its check fails when the record is
// missing (for a site's, while the domain's exist: site-srv-missing).
func (lr *locateRun) report(q question, a answer) {
	res := a.res
	res.Probe, res.Under = ProbeSRV, q.name
	res.Check = locatorCheck(q.purpose, locatorDNSSource)
	switch {
	case a.d == nil || a.d.Found() || res.State != results.Open:
	case a.d.RCode != "NOERROR" && a.d.RCode != "NXDOMAIN" && a.d.RCode != "":
		// SERVFAIL, REFUSED …: the server would not say.
		res.Fail(results.ReasonResolveFailed)
		res.Detail += ": the DNS server did not answer the question (does it serve, or forward to, the domain's zones?)"
	case q.site && lr.domainHasDCs:
		res.Fail(results.ReasonSiteSRVMissing)
		res.Detail += ": no DC registers for the site while the domain's do: clients in the site use any DC (a missing subnet-to-site mapping, or no DC covers the site)"
	default:
		res.Fail(results.ReasonSRVMissing)
		res.Detail += ": no DC is registered here: clients cannot find one through it"
	}
	lr.r.emit(lr.dns, lr.d.Name, res)
}

// resolveAndPing finds dc's address (the SRV reply's glue, else an A and then
// an AAAA question) and pings it over CLDAP; a name without an address is a
// failed check of its own, and is not scanned.
func (lr *locateRun) resolveAndPing(ctx context.Context, dc *dcFound, ping Port) {
	r := lr.r
	addr, fail := lr.resolve(ctx, dc)
	if !addr.IsValid() {
		fail.Check = locatorCheck("the DCs the SRV records name must resolve: a client that picks one that does not fails", locatorDNSSource)
		dc.fail = &fail
		return
	}
	h := &host{name: dc.name, addr: addr.Unmap(), located: dc.located, holdAll: true}
	h.est.ceiling = r.timeout
	if lr.d.Allow != nil && !lr.d.Allow(h.addr) {
		// The address is not said: an exporter's answer tells no client
		// what a name resolves to outside its allow-list (#18.9).
		fail := withCheck(results.Result{State: results.Error, Reason: results.ReasonNotAllowed,
			Detail: "its address is not in the allow-list: not pinged, not scanned"}, ping.Check)
		dc.fail = &fail
		return
	}
	// A limited scan (Plan.MaxPorts) grants each DC found its ping and its
	// ports whole, or not at all, as it grants a target's further
	// addresses: records naming a thousand DCs do not make a probe of a
	// thousand hosts.
	if !r.budget.takeAll(lr.perDC) {
		fail := r.budget.limited(fmt.Sprintf("DC %s (%s), with %d ports", dc.name, h.addr, lr.perDC), lr.perDC)
		fail.Proto, fail.Addr = "", h.addr
		fail = withCheck(fail, ping.Check)
		dc.fail = &fail
		return
	}
	src, noRoute := r.preflight(ctx, h.addr, r.Source)
	if noRoute != nil {
		fail := withCheck(results.Result{Addr: h.addr, State: noRoute.state, Reason: noRoute.reason, Detail: noRoute.detail(h.addr)}, ping.Check)
		if stopped(ctx) {
			fail.State, fail.Reason, fail.Detail = results.Unknown, stopReason(ctx), ""
		}
		dc.fail = &fail
		return
	}
	dc.ping = h
	h.source = src
	h.cap, h.ports = r.eng.host(h.addr)
	r.scanOn(ctx, h, []Port{ping})
	r.eng.unhost(h.addr, h.ports)
	h.mu.Lock()
	held := slices.Clone(h.held)
	h.mu.Unlock()
	for _, res := range held {
		d, ok := res.Details.(*probes.CLDAPDetail)
		if !ok || d.Netlogon == nil || !strings.EqualFold(d.Netlogon.DNSDomain, lr.d.Name) {
			continue
		}
		lr.mu.Lock()
		lr.forest = cmpOr(lr.forest, strings.ToLower(d.Netlogon.DNSForest))
		lr.clientSite = cmpOr(lr.clientSite, d.Netlogon.ClientSite)
		lr.mu.Unlock()
	}
}

// resolve returns dc's address, or the result that says why it has none.
func (lr *locateRun) resolve(ctx context.Context, dc *dcFound) (netip.Addr, results.Result) {
	if len(dc.glue) > 0 {
		return dc.glue[0], results.Result{}
	}
	var tried []string
	for _, t := range []probes.LookupType{probes.LookupA, probes.LookupAAAA} {
		if lr.dns == nil && t == probes.LookupAAAA {
			break // this machine's resolver asks for both at once
		}
		a := lr.ask(ctx, dc.name, t)
		switch {
		case a.d != nil && len(a.d.Addrs) > 0:
			return a.d.Addrs[0], results.Result{}
		case a.res.State == results.Unknown:
			return netip.Addr{}, results.Result{State: results.Unknown, Reason: a.res.Reason}
		case a.d == nil || a.res.State != results.Open || a.d.RCode != "NOERROR" && a.d.RCode != "NXDOMAIN" && a.d.RCode != "":
			// No answer, or an error answer: the name's fate is unknown.
			return netip.Addr{}, results.Result{State: results.Error, Reason: results.ReasonResolveFailed,
				Detail: fmt.Sprintf("named by the SRV records, but its address could not be asked: %s, %s (%s)", a.res.State, a.res.Reason, a.res.Detail)}
		}
		tried = append(tried, a.d.Type+": "+a.res.Detail)
	}
	return netip.Addr{}, results.Result{State: results.Error, Reason: results.ReasonSRVTargetUnresolved,
		Detail: "named by the SRV records, but it has no address: " + strings.Join(tried, "; ")}
}

// ask asks one question of the domain's DNS server, or of this machine's
// resolver.
func (lr *locateRun) ask(ctx context.Context, name string, t probes.LookupType) answer {
	if lr.dns == nil {
		return lr.r.askSystem(ctx, name, t)
	}
	return lr.r.askServer(ctx, lr.dns, lr.d.DNSServer.Port(), name, t)
}

// askServer asks the DNS server h over UDP, through the UDP engine (retries,
// ICMP errors, the run's rate and timeouts), and over TCP when the reply came
// truncated (RFC 7766 §5). The result's state is the UDP exchange's.
func (r *run) askServer(ctx context.Context, h *host, port uint16, name string, t probes.LookupType) answer {
	res := results.Result{Proto: results.UDP, Port: port}
	l, err := probes.NewLookup(rand.Reader, name, t)
	if err != nil {
		res.State, res.Reason, res.Detail = results.Error, results.ReasonProbeError, err.Error()
		return answer{res: res}
	}
	// One UDP port's exchange on the engine's loops, as any port's (its
	// retries, pace and ICMP errors), whose result is the question's.
	j := &udpJob{port: port, plan: Port{Proto: results.UDP, Lo: port}, query: l, full: true, result: res, quiet: true}
	r.startUDP(ctx, h, []*udpJob{j})()
	res = j.result
	switch {
	case !j.done && stopped(ctx):
		res.State, res.Reason = results.Unknown, stopReason(ctx)
		return answer{res: res}
	case !j.done:
		res.State, res.Reason = results.OpenFiltered, results.ReasonNoResponse
		res.Detail = "the DNS server did not answer"
		return answer{res: res}
	}
	d, _ := res.Details.(*probes.LookupDetail)
	if d == nil || !d.Truncated {
		return answer{res: res, d: d}
	}
	reason, note := r.converse(ctx, h, port, probes.DNSTCP, l.TCPDialog())
	if a := l.Answer(); a != nil && !a.Truncated {
		res.Details, res.Detail = a, a.Summary()+" (over TCP: the UDP reply was truncated)"
		return answer{res: res, d: a}
	}
	res.Detail += "; asked again over TCP: " + strings.TrimPrefix(string(reason)+" "+note, " ")
	return answer{res: res, d: d}
}

// askSystem asks this machine's resolver (Scanner.Resolver).
func (r *run) askSystem(ctx context.Context, name string, t probes.LookupType) answer {
	res := r.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	if t == probes.LookupSRV {
		_, srvs, err := res.LookupSRV(ctx, "", "", name)
		return systemAnswer(ctx, name, "SRV", srvs, nil, err)
	}
	addrs, err := res.LookupNetIP(ctx, "ip", name)
	return systemAnswer(ctx, name, "A or AAAA", nil, addrs, err)
}

// systemAnswer reads what this machine's resolver said (classifyResolver has
// the verdict): the records, or why there are none.
func systemAnswer(ctx context.Context, name, typ string, srvs []*net.SRV, addrs []netip.Addr, err error) answer {
	v := classifyResolver(err)
	res := results.Result{Proto: results.UDP, Port: 53, State: v.state, Reason: v.reason}
	d := &probes.LookupDetail{Name: name, Type: typ}
	switch {
	case err == nil:
		d.RCode = "NOERROR"
		for _, s := range srvs {
			if target, ok := systemHost(s.Target); ok {
				d.SRV = append(d.SRV, probes.SRVRecord{Priority: s.Priority, Weight: s.Weight, Port: s.Port, Target: target})
			} else {
				d.Skipped++
			}
		}
		for _, a := range addrs {
			d.Addrs = append(d.Addrs, a.Unmap())
		}
	case stopped(ctx):
		res.State, res.Reason = results.Unknown, stopReason(ctx)
		return answer{res: res}
	case v.state == results.Open: // not found: an answer without the record
		res.Detail = "this machine's resolver: no such record (no such name, or no " + typ + " record)"
		res.Details = d
		return answer{res: res, d: d}
	default:
		res.Detail = "this machine's resolver: " + err.Error()
		return answer{res: res}
	}
	res.Details, res.Detail = d, "this machine's resolver: "+strings.TrimPrefix(d.Summary(), "NOERROR, ")
	return answer{res: res, d: d}
}

// systemHost is the host name of an SRV target from net.Resolver: lower case,
// without the final dot Go adds (on Windows too), and only if it is a host
// name, as probes.Lookup keeps them.
func systemHost(target string) (string, bool) {
	s := strings.ToLower(strings.TrimSuffix(target, "."))
	if s == "" {
		return ".", true
	}
	if _, err := probes.NewLookup(rand.Reader, s, probes.LookupA); err != nil {
		return "", false
	}
	return s, true
}

// splitPing takes the LDAP ping out of ports: the entry that checks 389/udp
// alone with the cldap probe gives its check to the ping; without one, the
// ping checks with the locator's own.
func splitPing(ports []Port) (Port, []Port) {
	ping := Port{Proto: results.UDP, Lo: 389, Probe: probes.CLDAP.Name, udpProbe: probes.CLDAP, Check: locatorCheck(
		"the DC locator pings each DC the records name over CLDAP, and uses the first that answers for the domain", locatorPingSource)}
	rest := make([]Port, 0, len(ports))
	taken := false
	for _, p := range ports {
		if !taken && p.Proto == results.UDP && p.Kind == KindPort && p.Why == "" && p.Lo == 389 && p.hi() == 389 &&
			(p.Probe == "" || p.Probe == probes.CLDAP.Name) && len(p.Instances) == 0 {
			if p.Check != nil {
				ping.Check = p.Check
			}
			taken = true
			continue
		}
		rest = append(rest, p)
	}
	return ping, rest
}

// judgeLocated fails the LDAP ping of a located DC that answers, but not as a
// DC of its domain (or, for a global catalog of the forest, of its forest); and
// notes a site that is not the one the user gave.
func judgeLocated(r *results.Result, loc *Located) {
	if r.Probe != probes.CLDAP.Name || r.State != results.Open {
		return
	}
	d, ok := r.Details.(*probes.CLDAPDetail)
	if !ok {
		return
	}
	n := d.Netlogon
	switch {
	case n == nil:
		r.Fail(results.ReasonLDAPPingWrongDomain)
		r.Detail += "; not a DC's answer to the LDAP ping: the DC locator passes it by"
		return
	case loc.Forest != "" && !strings.EqualFold(n.DNSForest, loc.Forest):
		r.Fail(results.ReasonLDAPPingWrongDomain)
		r.Detail += fmt.Sprintf("; answers for forest %s, not %s: the DC locator passes it by", n.DNSForest, loc.Forest)
	case loc.Forest == "" && !strings.EqualFold(n.DNSDomain, loc.Domain):
		r.Fail(results.ReasonLDAPPingWrongDomain)
		r.Detail += fmt.Sprintf("; answers for %s, not %s: the DC locator passes it by", n.DNSDomain, loc.Domain)
	}
	if loc.Site != "" && !strings.EqualFold(n.ClientSite, loc.Site) {
		mapped := "to no site"
		if n.ClientSite != "" {
			mapped = "to site " + n.ClientSite
		}
		r.Detail += fmt.Sprintf("; this DC maps this machine's address %s, not %s", mapped, loc.Site)
	}
}
