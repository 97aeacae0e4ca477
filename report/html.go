package report

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/portreach/portreach/results"
)

// The go-live report: one self-contained HTML file (styles inline, no scripts,
// no fonts or images to fetch) that opens offline from a change ticket and
// prints as it shows.

//go:embed html.tmpl
var htmlTemplate string

//go:embed style.css
var styleSheet string

// StyleSheet is the CSS the HTML report and the exporter's page share, so both
// look alike and print alike. It is a template.CSS: trusted, written by us.
func StyleSheet() template.CSS { return template.CSS(styleSheet) }

// htmlPage is parsed once; html/template escapes every value, so targets and
// reply details (which come from the network) cannot inject markup.
var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{"printable": printable}).Parse(htmlTemplate))

// HTMLOptions are what an HTML report says beyond the results.
type HTMLOptions struct {
	// Machine names the machine the run went from (its host name). Empty
	// leaves it out.
	Machine string
}

// maxListed caps the entries a host keeps per list (failing, untested and met
// checks, service replies), so that a sweep of every port cannot make the
// report, or its memory, grow without bound; the rest are counted (the host's
// summary counts them all) and the report says how many it left out.
const maxListed = 500

// HTMLWriter builds an HTML report from results written one at a time: it keeps
// per-host counts and a bounded number of failing, untested and met checks and
// of service replies, never every result. It is safe for concurrent use.
type HTMLWriter struct {
	mu     sync.Mutex
	w      io.Writer
	opt    HTMLOptions
	hosts  map[hostKey]*htmlHost
	matrix results.Matrix // a policy run's grid of sources × destinations
}

// htmlHost is one host as the report keeps it while results arrive.
type htmlHost struct {
	results.Host
	failing, untested, met, replies []results.Result
	errors                          []results.Result // the target itself failed (no checks to carry it)
	moreFailing, moreUntested       int
	moreMet, moreReplies            int
	traces                          map[*results.Trace]*tracedPorts // --trace: each trace once, with the ports that share it
	moreTraces                      int
}

// tracedPorts are the ports of a host that share one trace (a range traced once).
type tracedPorts struct {
	trace  *results.Trace
	first  results.Result // the lowest port
	lo, hi uint16
	n      int
}

// NewHTMLWriter returns a writer that renders to w on Close.
func NewHTMLWriter(w io.Writer, opt HTMLOptions) *HTMLWriter {
	return &HTMLWriter{w: w, opt: opt, hosts: map[hostKey]*htmlHost{}}
}

// Write takes one result into the report.
func (hw *HTMLWriter) Write(r results.Result) error {
	hw.mu.Lock()
	defer hw.mu.Unlock()
	k := r.Key()
	h := hw.hosts[k]
	if h == nil {
		h = &htmlHost{Host: results.NewHost(&r)}
		hw.hosts[k] = h
	}
	h.Add(&r)
	hw.matrix.Add(&r)
	switch results.Judge(&r).Status {
	case results.StatusFailed:
		h.failing, h.moreFailing = keep(h.failing, h.moreFailing, r)
	case results.StatusUntested, results.StatusUndetermined:
		h.untested, h.moreUntested = keep(h.untested, h.moreUntested, r)
	case results.StatusMet:
		h.met, h.moreMet = keep(h.met, h.moreMet, r)
	}
	switch {
	case r.State == results.Error && !results.Checked(&r):
		if len(h.errors) < maxListed {
			h.errors = append(h.errors, r)
		}
	case (r.Detail != "" || r.Under != "") && r.State != results.Error:
		h.replies, h.moreReplies = keep(h.replies, h.moreReplies, r)
	}
	if r.Trace != nil {
		h.addTrace(&r)
	}
	return nil
}

// addTrace notes a traced port under its trace: a host keeps at most
// maxListed traces, and counts the ports of the rest.
func (h *htmlHost) addTrace(r *results.Result) {
	if h.traces == nil {
		h.traces = map[*results.Trace]*tracedPorts{}
	}
	tp := h.traces[r.Trace]
	if tp == nil {
		if len(h.traces) >= maxListed {
			h.moreTraces++
			return
		}
		h.traces[r.Trace] = &tracedPorts{trace: r.Trace, first: *r, lo: r.Port, hi: r.Port, n: 1}
		return
	}
	tp.n++
	tp.lo, tp.hi = min(tp.lo, r.Port), max(tp.hi, r.Port)
	if r.Port < tp.first.Port {
		tp.first = *r
	}
}

// keep adds r to list, one of a host's lists, and counts in more what the
// list leaves out: once full, it keeps the maxListed results that come first
// in results.Sort order, so the report lists the same entries whatever order
// the ports finished in (a scan streams them as they finish). A full list is a
// heap whose root, list[0], is the last of them in that order.
func keep(list []results.Result, more int, r results.Result) ([]results.Result, int) {
	if len(list) < maxListed {
		list = append(list, r)
		if len(list) == maxListed {
			for i := len(list)/2 - 1; i >= 0; i-- {
				siftDown(list, i)
			}
		}
		return list, more
	}
	if results.CompareInHost(&r, &list[0]) >= 0 {
		return list, more + 1
	}
	list[0] = r
	siftDown(list, 0)
	return list, more + 1
}

// siftDown restores the heap order below list[i]: every result comes after
// (or with) its children in results.Sort order.
func siftDown(list []results.Result, i int) {
	for {
		last := i
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < len(list) && results.CompareInHost(&list[c], &list[last]) > 0 {
				last = c
			}
		}
		if last == i {
			return
		}
		list[i], list[last] = list[last], list[i]
		i = last
	}
}

// Close renders the report: rep gives the run's command line, times, whether
// it finished, and the drift; its Results are not read (they were written).
func (hw *HTMLWriter) Close(rep *results.Report) error {
	hw.mu.Lock()
	defer hw.mu.Unlock()
	hs := make([]*htmlHost, 0, len(hw.hosts))
	for _, h := range hw.hosts {
		h.Decide()
		hs = append(hs, h)
	}
	// Failing hosts first, then passing ones, then those without a verdict;
	// each in results.Sort order (by source and rule in a policy run, address,
	// then target).
	rank := map[results.Verdict]int{results.VerdictFail: 0, results.VerdictPass: 1, results.VerdictNone: 2}
	slices.SortFunc(hs, func(a, b *htmlHost) int {
		if c := rank[a.Verdict] - rank[b.Verdict]; c != 0 {
			return c
		}
		return a.Key().Compare(b.Key())
	})
	hosts := make([]results.Host, len(hs))
	for i, h := range hs {
		hosts[i] = h.Host
	}
	v, text := runVerdict(hosts)
	d := htmlDoc{
		CSS:      StyleSheet(),
		Verdict:  string(v),
		Label:    verdictLabel(v),
		Summary:  text,
		Machine:  printable(hw.opt.Machine),
		Command:  printable(strings.Join(quoteArgs(rep.Command), " ")),
		Started:  stamp(rep.Started),
		Finished: stamp(rep.Finished),
		Tool:     printable(strings.TrimSpace(rep.Tool.Name + " " + rep.Tool.Version)),
		Drift:    rep.Drift,
	}
	if d.Tool == "" {
		d.Tool = "portreach"
	}
	if !rep.Started.IsZero() && !rep.Finished.IsZero() {
		d.Duration = rep.Finished.Sub(rep.Started).Round(time.Millisecond).String()
	}
	unknown := 0
	for _, h := range hs {
		unknown += h.States[results.Unknown]
	}
	if rep.Interrupted {
		d.Notes = append(d.Notes, fmt.Sprintf("The run was interrupted: %d %s did not finish (state unknown) and count as failed.", unknown, plural(unknown, "port", "ports")))
	}
	if rep.Incomplete {
		d.Notes = append(d.Notes, fmt.Sprintf("The run reached its time limit (--max-time): %d %s did not finish (state unknown) and count as failed.", unknown, plural(unknown, "port", "ports")))
	}
	if dr := rep.Drift; dr != nil {
		n, reg := len(dr.Changes), len(dr.Regressions())
		d.DriftSummary = fmt.Sprintf("%d %s since the baseline", n, plural(n, "change", "changes"))
		if reg > 0 {
			d.DriftSummary += fmt.Sprintf(", %d %s (checks that held then and fail now)", reg, plural(reg, "regression", "regressions"))
		}
	}
	for i, h := range hs {
		v := h.view()
		v.ID = fmt.Sprintf("host-%d", i+1)
		d.Hosts = append(d.Hosts, v)
	}
	if !hw.matrix.Empty() {
		d.Matrix = matrixView(&hw.matrix, hs)
	}
	return htmlPage.Execute(hw.w, d)
}

// WriteHTML writes rep as a go-live report (see HTMLWriter).
func WriteHTML(w io.Writer, rep *results.Report, opt HTMLOptions) error {
	hw := NewHTMLWriter(w, opt)
	for _, r := range rep.Results {
		if err := hw.Write(r); err != nil {
			return err
		}
	}
	return hw.Close(rep)
}

// htmlDoc is what the template renders.
type htmlDoc struct {
	CSS                                 template.CSS
	Verdict, Label, Summary             string
	Notes                               []string
	Machine, Command, Started, Finished string
	Duration, Tool                      string
	Hosts                               []htmlHostView
	Matrix                              *htmlMatrix // a policy run's grid; nil outside one
	Drift                               *results.Drift
	DriftSummary                        string
}

// htmlMatrix is a policy run's grid: a row per source, a column per
// destination (or rule × destination), each cell coloured by its verdict and
// linking to the section of the cell's ports.
type htmlMatrix struct {
	Columns []string
	Rows    []htmlMatrixRow
}

type htmlMatrixRow struct {
	Source string
	Cells  []htmlCell
}

// htmlCell is one cell: its text (PASS, FAIL n, the source's reason, —), its
// class (pass, fail, source, none) and the anchor of its host's section ("" for
// a cell nothing checked).
type htmlCell struct {
	Text, Class, Href string
}

// matrixView lays out m, linking each cell to the first of hs (in the order the
// report shows them, with their IDs host-1, host-2 …) that holds the cell's
// checks: the source's checks of the destination (by that rule, when the grid
// has a column per rule). A destination checked at several addresses
// (--addresses all) has a section per address; the cell links to the first.
func matrixView(m *results.Matrix, hs []*htmlHost) *htmlMatrix {
	cols, cells := m.Grid()
	mv := &htmlMatrix{}
	for _, c := range cols {
		mv.Columns = append(mv.Columns, printable(c.Name))
	}
	for i, src := range m.Rows {
		row := htmlMatrixRow{Source: printable(src)}
		for j, c := range cells[i] {
			cell := htmlCell{Text: c.Text(), Class: "none"}
			switch {
			case c == nil:
			case c.Source != "" && c.Failed == c.Checks:
				cell.Class = "source"
			case c.Verdict() == results.VerdictFail:
				cell.Class = "fail"
			case c.Verdict() == results.VerdictPass:
				cell.Class = "pass"
			}
			if c != nil {
				col := cols[j]
				k := slices.IndexFunc(hs, func(h *htmlHost) bool {
					return h.Vantage != nil && h.Vantage.Name == src && h.Target == col.Target && (col.Rule == "" || h.Rule == col.Rule)
				})
				if k >= 0 {
					cell.Href = fmt.Sprintf("#host-%d", k+1)
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		mv.Rows = append(mv.Rows, row)
	}
	return mv
}

type htmlHostView struct {
	ID                                            string // the section's anchor, which the matrix links to
	Name, Source, Verdict, Label, Summary, States string
	Records                                       string // the SRV records that named a DC the locator found
	Errors                                        []string
	Failing, Untested, Met                        []htmlCheck
	MoreFailing, MoreUntested, MoreMet            int
	Replies                                       []htmlReplies
	MoreReplies                                   int
	Traces                                        []htmlTrace
	MoreTraces                                    int
}

// htmlTrace is one trace and the ports it stands for (--trace).
type htmlTrace struct {
	Ports, State, Where, Hops string
}

// htmlCheck is one check as the report explains it.
type htmlCheck struct {
	Port, Service, Profiles, Purpose, Role, Expect string
	State, Reason, Meaning, Fix, Detail            string
	Sources                                        string // "document § section; § section"
	Trace, Hops                                    string // where the packets stop, and the hops (--trace)
	Failed                                         bool
}

type htmlReply struct {
	Port, State, Probe, Detail string
}

// htmlReplies is one kind of reply, under its own heading.
type htmlReplies struct {
	Title string
	Rows  []htmlReply
}

// hasTLS reports whether r's details describe a TLS session (a confirmed
// service's "tls": certificate, version, expiry), whatever type carries them.
func hasTLS(r *results.Result) bool {
	if r.Details == nil {
		return false
	}
	b, err := json.Marshal(r.Details)
	if err != nil {
		return false
	}
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m["tls"] != nil && string(m["tls"]) != "null"
}

type replyKind struct {
	title string
	is    func(r *results.Result) bool
}

// replyKinds are the headings replies go under, in order, and which results
// each takes; the last takes the rest.
var replyKinds = []replyKind{
	{"RPC endpoints and interfaces", func(r *results.Result) bool { return r.Probe == results.ProbeEPM }},
	{"SQL Server instances", func(r *results.Result) bool {
		_, instance := r.SQLInstance()
		return r.Probe == results.ProbeSQLBrowser || instance
	}},
	{"Certificates and TLS", hasTLS},
	{"Other replies", func(*results.Result) bool { return true }},
}

func (h *htmlHost) view() htmlHostView {
	v := htmlHostView{Name: printable(h.Name()), Verdict: string(h.Verdict), Label: verdictLabel(h.Verdict), States: stateCounts(&h.Host),
		MoreFailing: h.moreFailing, MoreUntested: h.moreUntested, MoreMet: h.moreMet, MoreReplies: h.moreReplies}
	if h.Source.IsValid() {
		v.Source = h.Source.String()
	}
	if len(h.Records) > 0 {
		v.Records = printable(strings.Join(h.Records, ", "))
	}
	switch h.Verdict {
	case results.VerdictFail:
		v.Summary = fmt.Sprintf("%d of %d checks failed", h.Failed, h.Checks)
	case results.VerdictPass:
		v.Summary = fmt.Sprintf("%d %s met", h.Met(), plural(h.Met(), "check", "checks"))
	case results.VerdictNone:
		v.Summary = "nothing checked"
		if h.Checks > 0 {
			v.Summary = "no check could be decided"
		}
	}
	if n := h.Untested + h.Undetermined; n > 0 {
		v.Summary += fmt.Sprintf(", %d not tested or undetermined", n)
	}
	for _, l := range []struct {
		in  []results.Result
		out *[]htmlCheck
	}{{h.failing, &v.Failing}, {h.untested, &v.Untested}, {h.met, &v.Met}} {
		results.Sort(l.in)
		for i := range l.in {
			*l.out = append(*l.out, checkView(&l.in[i]))
		}
	}
	// By port, then by what went wrong: in the same order however they came.
	slices.SortFunc(h.errors, func(a, b results.Result) int {
		return cmp.Or(results.CompareInHost(&a, &b), cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Detail, b.Detail))
	})
	for _, r := range h.errors {
		e := "Not scanned: " + string(r.Reason)
		if m := r.Reason.Meaning(); m != "" {
			e += " (" + m + ")"
		}
		if r.Detail != "" {
			e += ": " + r.Detail
		}
		if fix := remedies[r.Reason]; fix != "" {
			e += ". " + fix
		}
		v.Errors = append(v.Errors, printable(e))
	}
	results.Sort(h.replies)
	groups := make([]htmlReplies, len(replyKinds))
	for i := range h.replies {
		r := &h.replies[i]
		port := results.PortName(r.Proto, r.Port)
		if r.Under != "" {
			port += " " + r.Under
		}
		k := slices.IndexFunc(replyKinds, func(k replyKind) bool { return k.is(r) })
		groups[k].Title = replyKinds[k].title
		groups[k].Rows = append(groups[k].Rows, htmlReply{Port: printable(port), State: r.State.String(), Probe: printable(r.Probe), Detail: printable(r.Detail)})
	}
	v.Traces, v.MoreTraces = h.traceViews(), h.moreTraces
	for _, g := range groups {
		if len(g.Rows) > 0 {
			v.Replies = append(v.Replies, g)
		}
	}
	return v
}

func checkView(r *results.Result) htmlCheck {
	o := results.Judge(r)
	c := htmlCheck{Port: results.PortName(r.Proto, r.Port), State: r.State.String(), Reason: string(o.Why),
		Meaning: o.Why.Meaning(), Fix: Remedy(r), Detail: r.Detail, Failed: o.Status == results.StatusFailed}
	if r.Port == 0 && r.Proto == "" {
		c.Port = "" // a host-level or interface-level result: no port
	}
	c.Port = strings.TrimSpace(c.Port + " " + r.Under)
	if c.Port == "" {
		c.Port = "host"
	}
	if k := r.Check; k != nil {
		c.Service, c.Purpose, c.Role, c.Expect, c.Sources = k.Service, k.Purpose, k.Role, string(k.Expect), sourcesText(k.Sources)
		c.Profiles = strings.Join(k.Profiles, ", ")
	}
	if t := r.Trace; t != nil {
		c.Trace, c.Hops = t.Summary(), t.Path()
	}
	printables(&c.Port, &c.Service, &c.Profiles, &c.Purpose, &c.Role, &c.Expect, &c.Reason, &c.Detail, &c.Sources, &c.Trace, &c.Hops)
	return c
}

// printables makes each of the report's texts printable: html/template
// escapes markup, not the control characters a reply or a name can carry.
func printables(texts ...*string) {
	for _, s := range texts {
		*s = printable(*s)
	}
}

// Remedy says, for a check that failed or could not be tested, what usually
// fixes it, in the words of the person who has to: the reason names the layer
// (a firewall that drops or rejects, a service that is not listening, a name
// that does not resolve), the expectation which way it must go. It is ""
// for a check that was met, and for results without a check.
func Remedy(r *results.Result) string {
	o := results.Judge(r)
	if o.Status == results.StatusNone || o.Status == results.StatusMet {
		return ""
	}
	if r.Check.Expect == results.ExpectClosed && r.State == results.Open {
		return "A service answers on a port that must be closed: stop or uninstall the service, or block the port in the host's firewall."
	}
	if fix, ok := remedies[o.Why]; ok {
		return fix
	}
	switch r.State {
	case results.Filtered:
		return "Something on the path stops the traffic: a firewall (the host's own, or one between) or a router. Allow the port from this machine's address."
	case results.Closed:
		return "The host answered that nothing listens: start the service, or check the port it is configured to use."
	case results.Open:
		return "The port answers, but not with what the check asks for: check that the right service (and instance or interface) runs there."
	case results.Unknown:
		return "The run stopped before this port finished: run it again to the end."
	}
	return ""
}

// remedies are the fixes that follow from a reason alone.
var remedies = map[results.Reason]string{
	results.ReasonNoResponse: "Nothing answered: a firewall on the path drops the traffic (the host's own firewall, a network firewall, a security group), " +
		"or the host is down. Allow the port from this machine's address, and check that the host is up.",
	results.ReasonAdminProhibited: "A firewall rejected the traffic (ICMP administratively prohibited): add a rule that allows the port from this machine's address.",
	results.ReasonConnRefused:     "The host is up and the packet got through, but no service is listening on the port: start the service (portreach local on the server shows what listens), or check the port it is configured to use.",
	results.ReasonPortUnreach:     "The host is up and the datagram got through, but no service is listening on the UDP port: start the service, or check the port it is configured to use.",
	results.ReasonSelfConnect:     "No service is listening on the port: start the service.",
	results.ReasonHostUnreach:     "A router (or this machine) cannot reach the host: check that it is up, its address, and the routes between.",
	results.ReasonNetUnreach:      "There is no route to the host's network: check the routes between this machine and the host.",
	results.ReasonProtoUnreach:    "The host does not handle the protocol: check that the role is installed on it.",
	results.ReasonTTLExceeded:     "The packets loop or die on the way: check the routes between this machine and the host.",
	results.ReasonICMPUnreach:     "A device on the path refused the traffic: check the firewalls and routes between.",
	results.ReasonLocalFirewall:   "This machine's own firewall refused to send: allow outgoing traffic to the port here.",
	results.ReasonNoReplyExpected: "The protocol never answers a scanner, and no ICMP error came, so the port is not closed: confirm on the server (portreach local) that the service listens.",
	results.ReasonIPProto:         "An IP protocol cannot be tested with sockets: confirm with a packet capture at the far end, or with the firewall's logs.",
	results.ReasonNegotiated:      "The port is chosen per session: test the service itself (a real connection) rather than a port.",
	results.ReasonRoleUnmapped:    "Name the host that plays the role (--role ROLE=HOST) to test it.",
	results.ReasonEPMRefused:      "The RPC endpoint mapper refused the lookup: check the RPC service's restrictions (RestrictRemoteClients) and that the host is a Windows RPC server.",
	results.ReasonEPMError:        "The RPC endpoint mapper did not answer properly: check that the RPC service (RpcSs) runs and that nothing on the path inspects or cuts RPC.",
	results.ReasonProbeError:      "portreach could not build the request: report it as a bug.",
	results.ReasonLocalError:      "This machine failed to send (out of sockets or memory, or no address): run again with a lower --concurrency.",
	results.ReasonResolveFailed:   "The name did not resolve: fix the DNS record (or the hosts file), or give the address.",
	results.ReasonNoRoute:         "This machine has no route to the address (or no address of its family): check its network configuration, or use --source.",
	results.ReasonInterrupted:     "The run was stopped before the port finished: run it again to the end.",
	results.ReasonMaxTime:         "The run's time limit came first: run again with a longer --max-time, or fewer ports.",
	results.ReasonPortLimit:       "The probe reached its limit on ports (serve's --max-ports) before testing every port a reply revealed: raise --max-ports, or find out why the server lists so many (a SQL Browser with hundreds of instances, an endpoint mapper with hundreds of ports).",
	// Reasons a check's producer gives (RPC interfaces, SQL instances).
	results.ReasonNotRegistered:      "The endpoint mapper does not list the interface on a TCP port: the RPC service behind it is stopped or not installed (for MSDTC: enable Network DTC Access). Start it; no firewall rule fixes this.",
	results.ReasonEPMUnreadable:      "The RPC endpoint mapper (135/tcp) could not be read, so the interface is unverified: open 135/tcp from this machine and check that RpcSs answers there.",
	results.ReasonRPCBindAck:         "The interface answered a bind on its registered port.",
	results.ReasonRPCBindRejected:    "The registered port refused a bind to the interface: another service holds the port, or the registration is stale. Restart the service so it registers again.",
	results.ReasonRPCBindError:       "The registered port accepted the connection but gave no DCE/RPC answer: something on the path (an inspecting firewall, a proxy) or another program holds the port.",
	results.ReasonNotListening:       "Start the service on the server, or check the port it is configured to use: nothing listens on it.",
	results.ReasonLoopbackOnly:       "The service listens on loopback only: configure it to listen on the server's network address (or all addresses).",
	results.ReasonInstanceNotListed:  "The SQL Server Browser does not list the instance: start the instance (and the SQL Server Browser service), or check its name.",
	results.ReasonInstanceNoTCP:      "The instance does not listen on TCP: enable the TCP/IP protocol in SQL Server Configuration Manager and restart the instance.",
	results.ReasonPassedFirewall:     "The packet reached the host, so nothing on the path blocks the port from this machine: add a rule that drops it, or rejects it with an ICMP unreachable, between this source and the host. (A firewall that rejects with a TCP reset cannot be told from the host's own reset: if yours does, the port is blocked and this check cannot show it.)",
	results.ReasonSourceUnreachable:  "Nothing was measured from this source: check that its exporter (portreach serve) runs and listens where the policy says, that this machine reaches it, and its TLS settings (ca_file); for ssh, that the host answers.",
	results.ReasonSourceRefused:      "The source refused the credentials or the request: check username and password_file against its --web.config.file, the client certificate, the ssh key, or its --allow list for the destination.",
	results.ReasonSourceIncompatible: "The source does not answer in portreach's JSON: upgrade portreach there (an exporter that knows format=jsonl), or install it (ssh sources run portreach scan on the host).",
	results.ReasonSourceError:        "The source answered with an error or a malformed answer: see the detail and the source's own log (portreach serve -v).",
	results.ReasonSourceTimeout:      "The source did not finish in its time limit: give it a longer max_time in the policy, or fewer checks per rule.",
	// Reasons of service confirmation (what answers behind an open port).
	results.ReasonWrongService:     "The expected service does not answer on the port: another one does, or something accepts and says nothing (a load balancer with no healthy server, a port forward to the wrong host). Check what holds the port (portreach local on the server) and the forwarding.",
	results.ReasonTLSFailed:        "The TLS handshake failed: enable a TLS version and cipher suites clients share (TLS 1.2 or later), and bind a certificate to the port.",
	results.ReasonCertExpired:      "The certificate has expired: renew it and bind the new one to the service.",
	results.ReasonCertExpiring:     "The certificate expires soon: renew it before it does.",
	results.ReasonCertNotYetValid:  "The certificate is not valid yet (its validity starts in the future): clients refuse it until then. Check the clocks of the server, of this machine and of the CA that issued it, or bind a certificate valid now.",
	results.ReasonTLSUnverified:    "The certificate chain does not verify: install the intermediate certificates on the server, and check that clients trust its root (give portreach a private CA with --ca-file).",
	results.ReasonCertNameMismatch: "The certificate does not name the host as it was reached: bind a certificate whose names (SANs) include the name clients use, or scan by that name; a DC's LDAPS certificate needs its fully qualified name (dc01.example.com) as the subject CN or a SAN DNS name.",
	results.ReasonReplyTooLong:     "The service's reply did not end within what a first exchange ever takes: check what answers on the port (portreach local on the server); a service that floods its greeting or declares a huge message is broken or hostile.",
	results.ReasonConfirmTimeout:   "The service answered too slowly to be confirmed (it began a reply and stalled, or trickled it): run again with a longer --timeout; if it stays slow, check the server's load and anything on the path that delays or inspects the traffic (a greeting delay such as Postfix's postscreen needs a --timeout longer than its wait).",
	// Reasons of the DC locator (--domain).
	results.ReasonResolverAnswer:        "This machine's resolver answered.",
	results.ReasonSRVMissing:            "No DC is registered under this name: check that Netlogon runs on the DCs and can register its records (dcdiag /test:registerindns, nltest /dsregdns), and that this DNS server holds (or forwards to) the domain's zones.",
	results.ReasonSiteSRVMissing:        "No DC registers for the site: map this machine's subnet to its site (Active Directory Sites and Services), and check that a DC in the site, or one covering it, registers the site's records.",
	results.ReasonSRVTargetUnresolved:   "The record names a host without an address: remove the stale records of a DC that is gone (or fix its A record), so clients do not pick it.",
	results.ReasonLDAPPingWrongDomain:   "The DC answers for another domain: the DNS records point at the wrong servers (a zone copied from another domain, a stale record), or the DC is not one of this domain's.",
	results.ReasonClockSkew:             "The clocks differ too much for Kerberos: synchronise the DC with the domain's time source (w32tm /resync; the PDC emulator with a reliable NTP source) and this machine with the DCs.",
	results.ReasonSMBSigningNotRequired: "Require SMB signing on the server: the policy \"Microsoft network server: Digitally sign communications (always)\" (Set-SmbServerConfiguration -RequireSecuritySignature $true; Samba: server signing = mandatory); domain controllers have it by default, so a DC without it has had it turned off.",
	results.ReasonNotAllowed:            "The exporter may not scan the address: if the DC belongs to the domain, start portreach serve with --allow covering its network.",
	// The LDAPS certificate rules.
	results.ReasonCertNoServerAuth: "Issue the DC a certificate whose Enhanced Key Usage includes Server Authentication (1.3.6.1.5.5.7.3.1): the Kerberos Authentication or Domain Controller Authentication template, or a third-party certificate made for it.",
	results.ReasonCertUntrusted:    "The chain does not lead to a trusted CA: install the intermediate certificates on the DC, and the root on the clients (or give the right --ca-file).",
}

func verdictLabel(v results.Verdict) string {
	switch v {
	case results.VerdictFail:
		return "FAIL"
	case results.VerdictPass:
		return "PASS"
	}
	return "NO VERDICT"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// quoteArgs quotes the arguments a shell would split, so the command line can
// be run again as shown.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`;&|<>()*?[]{}#~!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

// traceViews lists a host's traces in port order, each with the ports that
// share it: "50101-50200/tcp (100 ports)".
func (h *htmlHost) traceViews() []htmlTrace {
	tps := make([]*tracedPorts, 0, len(h.traces))
	for _, tp := range h.traces {
		tps = append(tps, tp)
	}
	slices.SortFunc(tps, func(a, b *tracedPorts) int { return results.CompareInHost(&a.first, &b.first) })
	out := make([]htmlTrace, len(tps))
	for i, tp := range tps {
		ports := results.PortName(tp.first.Proto, tp.lo)
		if tp.n > 1 {
			ports = fmt.Sprintf("%d-%s (%d ports)", tp.lo, results.PortName(tp.first.Proto, tp.hi), tp.n)
		}
		out[i] = htmlTrace{Ports: ports, State: tp.first.State.String() + " (" + string(tp.first.Reason) + ")",
			Where: printable(tp.trace.Summary()), Hops: printable(tp.trace.Path())}
	}
	return out
}
