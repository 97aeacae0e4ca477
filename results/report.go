package results

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// SchemaVersion is the version of the JSON report format this package writes.
// It changes whenever a field is added, removed or changes meaning, together with
// a new schema file under schema/. ReadJSON reads this version and version 2.
//
// Version 2 added the optional "drift" section (a comparison with a baseline).
// Version 3 added each check's outcome (Result.Outcome), Host.Undetermined and
// the expectation "reachable", and "source_address" to results and
// hosts: the local address a host was scanned from.
const SchemaVersion = 3

// Tool names the program that wrote a report.
type Tool struct {
	Name    string `json:"name"`    // "portreach"
	Version string `json:"version"` // as the binary reports it; "devel" for untagged builds
}

// Report is a whole run: what was asked, when, whether it finished, and every result.
// It is what the JSON format writes and what baselines are read back into. The
// per-host summary (Hosts) is derived from Results; see Summarize.
type Report struct {
	// SchemaVersion is set by WriteJSON (a zero value is written as SchemaVersion)
	// and checked by ReadJSON.
	SchemaVersion int
	Tool          Tool
	Started       time.Time // written in UTC
	Finished      time.Time // written in UTC
	Command       []string  // the command line, arguments as given (os.Args)
	// Interrupted means the run was stopped (Ctrl-C, SIGTERM) before every port
	// finished; the unfinished ones are in Results with state Unknown.
	Interrupted bool
	// Incomplete means the run hit its --max-time bound; unfinished ports as above.
	Incomplete bool
	Results    []Result
	// Drift is the comparison with a baseline report (--baseline); nil when the
	// run was not compared with one.
	Drift *Drift
}

// Host summarises the results for one host: one target as given and the address
// it was probed at (a CIDR or range target yields one Host per address).
type Host struct {
	Target string     `json:"target"`
	Addr   netip.Addr `json:"address"` // invalid when the target did not resolve
	// Source is the local address the host was scanned from: the address its
	// firewall sees. Invalid when the host was not scanned (it did not resolve).
	Source  netip.Addr `json:"source_address,omitzero"`
	Verdict Verdict    `json:"verdict"`
	Ports   int        `json:"ports"`  // results for this host
	Checks  int        `json:"checks"` // results with an expectation of open or closed
	Failed  int        `json:"failed"` // results that fail their expectation (see Fails)
	// Untested counts checks that could not be tested and do not fail the run:
	// IP protocols (not-tested), unmapped roles (skipped), protocols that never
	// answer the scanner.
	Untested int `json:"untested"`
	// Undetermined counts checks that were tested but whose answer cannot decide
	// them (checked for reachability: UDP silence, a service whose port nothing
	// reveals yet); they do not fail the run either.
	Undetermined int           `json:"undetermined"`
	States       map[State]int `json:"states"` // results per state; states with none are absent
}

// Met is how many of the host's checks were met.
func (h *Host) Met() int { return h.Checks - h.Failed - h.Untested - h.Undetermined }

// Name is how tables title the host: the address, followed by the target in
// parentheses when the user named it differently ("198.18.1.2 (mail01)"); just the
// target when it has no address.
func (h *Host) Name() string {
	if !h.Addr.IsValid() {
		return h.Target
	}
	a := h.Addr.String()
	if h.Target == "" || h.Target == a {
		return a
	}
	return a + " (" + h.Target + ")"
}

// Summarize groups results by host in Sort order (the input need not be sorted and
// is not modified) and counts states and verdicts.
func Summarize(rs []Result) []Host {
	sorted := inOrder(rs)
	var hosts []Host
	for i := range sorted {
		r := &sorted[i]
		if n := len(hosts); n == 0 || hosts[n-1].Target != r.Target || hosts[n-1].Addr != r.Addr {
			hosts = append(hosts, newHost(r))
		}
		hosts[len(hosts)-1].add(r)
	}
	for i := range hosts {
		hosts[i].decide()
	}
	return hosts
}

// summarize counts r in its host's summary in m, started at its host's first
// result: the per-host state of the writers that keep no result.
func summarize(m map[hostKey]*Host, r *Result) {
	k := hostKey{r.Target, r.Addr}
	h := m[k]
	if h == nil {
		nh := newHost(r)
		h = &nh
		m[k] = h
	}
	h.add(r)
}

// hostResults returns the results of h that rs, in Sort order, starts with.
func hostResults(rs []Result, h *Host) []Result {
	n := 0
	for n < len(rs) && rs[n].Target == h.Target && rs[n].Addr == h.Addr {
		n++
	}
	return rs[:n]
}

// sortedHosts returns the summaries, decided, in Sort order.
func sortedHosts(m map[hostKey]*Host) []Host {
	hosts := make([]Host, 0, len(m))
	for _, h := range m {
		h.decide()
		hosts = append(hosts, *h)
	}
	slices.SortFunc(hosts, func(a, b Host) int {
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c
		}
		return cmp.Compare(a.Target, b.Target)
	})
	return hosts
}

// newHost starts the summary of r's host.
func newHost(r *Result) Host {
	return Host{Target: r.Target, Addr: r.Addr, Verdict: VerdictNone, States: map[State]int{}}
}

// add counts r, one of h's results, in h. Summaries are built one result at a
// time so that streaming formats (HTML) need not keep every result.
func (h *Host) add(r *Result) {
	h.Ports++
	h.States[r.State]++
	if !h.Source.IsValid() {
		h.Source = r.Source
	}
	switch Judge(r).Status {
	case StatusMet:
		h.Checks++
	case StatusFailed:
		h.Checks++
		h.Failed++
	case StatusUntested:
		h.Checks++
		h.Untested++
	case StatusUndetermined:
		h.Checks++
		h.Undetermined++
	}
}

// decide sets h's verdict from its counts, once every result was added.
func (h *Host) decide() {
	switch {
	case h.Failed > 0:
		h.Verdict = VerdictFail
	case h.Met() > 0: // a pass needs at least one check met
		h.Verdict = VerdictPass
	default:
		h.Verdict = VerdictNone
	}
}

// PortName renders a port the way tables, CSV and Via spell it: "443/tcp",
// "53/udp", for IP protocols (which have no ports) just the protocol, "gre",
// and for a TCP or UDP check whose port nothing revealed (a required SQL
// instance the Browser does not list) "?/tcp".
func PortName(p Proto, port uint16) string {
	if port == 0 && p != TCP && p != UDP {
		return string(p)
	}
	if port == 0 {
		return "?/" + string(p)
	}
	if p == "" {
		return strconv.Itoa(int(port))
	}
	return strconv.Itoa(int(port)) + "/" + string(p)
}
