package results

import (
	"net/netip"
	"strconv"
	"time"
)

// Tool names the program that wrote a report.
type Tool struct {
	Name    string `json:"name"`    // "portreach"
	Version string `json:"version"` // as the binary reports it; "devel" for untagged builds
}

// Report is a whole run: what was asked, when, whether it finished, and every result.
// It is what the JSON format writes and what baselines are read back into. The
// per-host summary (Hosts) is derived from Results; see Summarize.
type Report struct {
	// SchemaVersion is the JSON format's version the report was read from
	// (report.ReadJSON); report.WriteJSON writes report.SchemaVersion whatever
	// it holds (a zero value included), and refuses a version it cannot write.
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
// it was probed at (a CIDR or range target yields one Host per address), and in
// a policy run the source and rule it was checked by (HostKey).
type Host struct {
	// Vantage and Rule are, in a policy run, the source the host was checked
	// from and the rule that checked it: one host per (source, destination,
	// rule), each with its verdict. Nil and "" otherwise.
	Vantage *Vantage   `json:"source,omitempty"`
	Rule    string     `json:"rule,omitempty"`
	Target  string     `json:"target"`
	Addr    netip.Addr `json:"address"` // invalid when the target did not resolve
	// Source is the local address the host was scanned from: the address its
	// firewall sees. Invalid when the host was not scanned (it did not resolve).
	Source netip.Addr `json:"source_address,omitzero"`
	// Records are the DNS SRV records that named the host, when the DC
	// locator found it (Result.Records).
	Records []string `json:"records,omitempty"`
	Verdict Verdict  `json:"verdict"`
	Ports   int      `json:"ports"`  // ports (and IP protocols) reported for this host; a check whose port nothing revealed ("?/tcp") is not one
	Checks  int      `json:"checks"` // results with an expectation of open or closed
	Failed  int      `json:"failed"` // results that fail their expectation (see Fails)
	// Untested counts checks that could not be tested and do not fail the run:
	// IP protocols (not-tested), unmapped roles (skipped), protocols that never
	// answer the scanner.
	Untested int `json:"untested"`
	// Undetermined counts checks that were tested but whose answer cannot decide
	// them (checked for reachability: UDP silence, a service whose port nothing
	// reveals yet); they do not fail the run either.
	Undetermined int           `json:"undetermined"`
	States       map[State]int `json:"states"` // ports per state (as Ports counts them); states with none are absent
}

// Unmapped reports whether h stands for a destination role nobody mapped to a
// host (checklist reports its entries under "role ROLE", every one skipped):
// no host was scanned, so run summaries do not count it as one.
func (h *Host) Unmapped() bool { return h.Ports > 0 && h.States[Skipped] == h.Ports }

// Met is how many of the host's checks were met.
func (h *Host) Met() int { return h.Checks - h.Failed - h.Untested - h.Undetermined }

// Name is how tables title the host: the address, followed by the target in
// parentheses when the user named it differently ("198.18.1.2 (mail01)"); just the
// target when it has no address.
//
// In a policy run the source and rule come first: "dmz → 198.18.1.2 (dc01)
// [rule 2]" (the cell of a policy's matrix).
func (h *Host) Name() string {
	name := h.Target
	if a := h.Addr; a.IsValid() {
		name = a.String()
		if h.Target != "" && h.Target != name {
			name += " (" + h.Target + ")"
		}
	}
	if h.Vantage != nil {
		name = h.Vantage.Name + " → " + name
		if h.Rule != "" {
			name += " [" + h.Rule + "]"
		}
	}
	return name
}

// Hosts summarises the report's results per host (see Summarize).
func (rep *Report) Hosts() []Host { return Summarize(rep.Results) }

// Summarize groups results by host in Sort order (the input need not be sorted and
// is not modified) and counts states and verdicts.
func Summarize(rs []Result) []Host {
	sorted := Sorted(rs)
	var hosts []Host
	for i := range sorted {
		r := &sorted[i]
		if n := len(hosts); n == 0 || hosts[n-1].Key() != r.Key() {
			hosts = append(hosts, NewHost(r))
		}
		hosts[len(hosts)-1].Add(r)
	}
	for i := range hosts {
		hosts[i].Decide()
	}
	return hosts
}

// NewHost starts the summary of r's host (its Key): Add counts
// its results, Decide gives its verdict. Summarize does all three for results
// at hand; writers that stream (report's) keep one Host per host.
func NewHost(r *Result) Host {
	return Host{Vantage: r.Vantage, Rule: r.Rule, Target: r.Target, Addr: r.Addr, Verdict: VerdictNone, States: map[State]int{}}
}

// Add counts r, one of h's results, in h. Summaries are built one result at a
// time so that streaming formats need not keep every result.
func (h *Host) Add(r *Result) {
	if !r.Unrevealed() {
		h.Ports++
		h.States[r.State]++
	}
	if !h.Source.IsValid() {
		h.Source = r.Source
	}
	if len(h.Records) == 0 {
		h.Records = r.Records
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

// Decide sets h's verdict from its counts, once every result was added.
func (h *Host) Decide() {
	switch {
	case h.Failed > 0:
		h.Verdict = VerdictFail
	case h.Met() > 0: // a pass needs at least one check met
		h.Verdict = VerdictPass
	default:
		h.Verdict = VerdictNone
	}
}

// Unrevealed reports whether r is a TCP or UDP check whose port nothing
// revealed ("?/tcp": an RPC interface the endpoint mapper does not list, a SQL
// instance the Browser does not): a check, not a port, and never counted as one.
func (r *Result) Unrevealed() bool { return r.Port == 0 && (r.Proto == TCP || r.Proto == UDP) }

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
