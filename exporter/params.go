package exporter

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portreach/portreach/checklist"
	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

// The query parameters of /probe. Prometheus sends the ones a scrape job's
// params or relabelling set (__param_target, __param_profile); the page's form
// sends them all, empty ones included, so an empty value counts as absent.
const (
	paramTarget  = "target"    // the host whose ports are checked: one address or name
	paramProfile = "profile"   // profile slug, name or alias; repeatable or comma-separated
	paramPorts   = "ports"     // extra ports: T:135,445,U:53 (results.ParsePortList)
	paramRole    = "role"      // ROLE=HOST for profiles with destination roles; repeatable or comma-separated
	paramTimeout = "timeout"   // longest wait for one answer: 2s, 500ms, or seconds (1.5)
	paramExpect  = "expect"    // for ports= ports: open, closed, reachable or blocked; reachable and blocked also turn profiles' must-be-open entries into themselves
	paramTrace   = "trace"     // 1: trace where each filtered port's packets stop (Scanner.Trace); 0: do not; absent: serve's --trace
	paramAddrs   = "addresses" // first (the default) or all: a name's every address, each allowed and scanned
	paramFormat  = "format"    // prometheus (the default) or jsonl: the answer's format (also Accept: application/x-ndjson)

	// The DC locator: the DCs of domain= found as Windows finds them (site=
	// first; dns_server= asked instead of this machine's resolver) are the
	// targets, each checked with the profile (by default ad-dc-2016-2025).
	paramDomain    = "domain"
	paramSite      = "site"
	paramDNSServer = "dns_server"
)

var knownParams = []string{paramTarget, paramModule, paramProfile, paramPorts, paramRole, paramTimeout, paramExpect, paramTrace, paramAddrs, paramFormat, paramDomain, paramSite, paramDNSServer}

// The answers /probe gives: the Prometheus exposition format, or JSON Lines
// (one result per line, the schema of "portreach scan -f jsonl") for a
// portreach policy run that uses the exporter as a remote source.
const (
	formatPrometheus = "prometheus"
	formatJSONL      = "jsonl"
	// MediaJSONL is JSON Lines' media type, which a client names in its Accept
	// header to get the JSON Lines answer without format=jsonl.
	MediaJSONL = "application/x-ndjson"
)

// defaultDCProfile is the profile domain= checks each DC with when no
// profile= is given: the current domain controller profile.
const defaultDCProfile = "ad-dc-2016-2025"

// maxParamLen caps a parameter's value: a profile name is looked up against
// every name by edit distance, which a megabyte-long name would make costly.
const maxParamLen = 1024

// maxAnswerTimeout caps timeout=: a scrape is bounded by its scrape timeout
// anyway, and a minute of waiting per port is never what an operator meant.
const maxAnswerTimeout = time.Minute

// probeRequest is a parsed /probe query.
type probeRequest struct {
	target   scan.Target // Addr is set for an address, zero for a name to resolve
	profiles []*profiles.Profile
	ports    []results.ProtoRange // ad-hoc ports, checked on the target
	roles    checklist.Roles      // destination role → host (or host\instance)
	expect   results.Expectation  // expect=: for ports= ports; reachable and blocked also for the profiles' entries
	timeout  time.Duration        // 0: the exporter's default
	trace    *bool                // trace=: nil for the exporter's default
	all      bool                 // addresses=all: every address of a name
	jsonl    bool                 // format=jsonl: answer JSON Lines
	domain   *scan.Domain         // domain=: find its DCs and check each; nil without
}

// badRequest is an error in the request itself: 400, with the message as body.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func bad(format string, a ...any) error { return &badRequest{fmt.Sprintf(format, a...)} }

// parseProbe checks a /probe query strictly: unknown parameters (a typo such as
// "profle") and repeated single-valued ones are errors, so that a scrape config
// mistake shows up as a failed scrape with a message rather than as a probe of
// something else.
func parseProbe(q url.Values, cat *profiles.Catalog) (*probeRequest, error) {
	var unknown []string
	for k := range q {
		if !slices.Contains(knownParams, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, bad("unknown parameter %q (known: %s)", unknown[0], strings.Join(knownParams, ", "))
	}
	for k, vs := range q {
		for _, v := range vs {
			if len(v) > maxParamLen {
				return nil, bad("%s: longer than %d bytes", k, maxParamLen)
			}
		}
	}
	single := func(name string) (string, error) {
		var vals []string
		for _, v := range q[name] {
			if v = strings.TrimSpace(v); v != "" {
				vals = append(vals, v)
			}
		}
		if len(vals) > 1 {
			return "", bad("%s given %d times; give it once", name, len(vals))
		}
		if len(vals) == 0 {
			return "", nil
		}
		return vals[0], nil
	}
	list := func(name string) []string {
		var out []string
		for _, v := range q[name] {
			for _, item := range strings.Split(v, ",") {
				if item = strings.TrimSpace(item); item != "" {
					out = append(out, item)
				}
			}
		}
		return out
	}

	req := &probeRequest{}
	var err error
	if req.domain, err = parseDomain(single); err != nil {
		return nil, err
	}
	target, err := single(paramTarget)
	if err != nil {
		return nil, err
	}
	switch {
	case target == "" && req.domain == nil:
		return nil, bad("missing target: /probe?target=HOST&profile=SLUG (or domain=DOMAIN)")
	case target != "":
		if req.target, err = oneHost(paramTarget, target); err != nil {
			return nil, err
		}
	}

	for _, name := range list(paramProfile) {
		if cat == nil {
			return nil, bad("profile %q: this exporter has no profiles", name)
		}
		p, err := cat.Lookup(name)
		if err != nil {
			return nil, bad("profile: %v", err)
		}
		if !slices.Contains(req.profiles, p) {
			req.profiles = append(req.profiles, p)
		}
	}

	ports, err := single(paramPorts)
	if err != nil {
		return nil, err
	}
	if ports != "" {
		if req.ports, err = results.ParsePortList(ports); err != nil {
			return nil, bad("ports: %v", err)
		}
	}
	expectText, err := single(paramExpect)
	if err != nil {
		return nil, err
	}
	expect, err := checklist.ParseExpect(expectText)
	if err != nil {
		return nil, bad("expect %v", err)
	}
	req.expect = expect

	for _, s := range list(paramRole) {
		r, err := checklist.ParseRole(s)
		if err != nil {
			return nil, bad("role %v, e.g. role=sql=sql01 or role=sql=sql01\\BTS", err)
		}
		if _, err := oneHost("role "+r.Key, r.Host); err != nil {
			return nil, err
		}
		if req.roles == nil {
			req.roles = checklist.Roles{}
		}
		if err := req.roles.Add(r); err != nil {
			return nil, bad("role %v", err)
		}
	}
	if len(req.roles) > 0 && len(req.profiles) == 0 {
		return nil, bad("role needs a profile with destination roles")
	}
	if req.domain != nil && len(req.profiles) == 0 && cat != nil {
		p, err := cat.Lookup(defaultDCProfile)
		if err != nil {
			return nil, bad("domain: %v", err)
		}
		req.profiles = []*profiles.Profile{p}
	}
	if len(req.profiles) == 0 && len(req.ports) == 0 {
		return nil, bad("nothing to probe: give profile=SLUG or ports=LIST (T:135,445,U:53)")
	}

	format, err := single(paramFormat)
	if err != nil {
		return nil, err
	}
	switch format {
	case "", formatPrometheus:
	case formatJSONL:
		req.jsonl = true
	default:
		return nil, bad("format %q: want prometheus or jsonl", format)
	}

	addrs, err := single(paramAddrs)
	if err != nil {
		return nil, err
	}
	if req.all, err = checklist.ParseAddresses(addrs); err != nil {
		return nil, bad("addresses %v", err)
	}

	timeout, err := single(paramTimeout)
	if err != nil {
		return nil, err
	}
	if timeout != "" {
		if req.timeout, err = parseSeconds(timeout); err != nil {
			return nil, bad("timeout %q: %v", timeout, err)
		}
		if req.timeout > maxAnswerTimeout {
			return nil, bad("timeout %q: at most %s", timeout, maxAnswerTimeout)
		}
	}

	trace, err := single(paramTrace)
	if err != nil {
		return nil, err
	}
	switch trace {
	case "":
	case "1", "0":
		on := trace == "1"
		req.trace = &on
	default:
		return nil, bad("trace %q: want 1 (trace where filtered ports' packets stop) or 0", trace)
	}
	return req, nil
}

// parseDomain reads domain=, site= and dns_server=; nil without domain=.
func parseDomain(single func(string) (string, error)) (*scan.Domain, error) {
	var vals [3]string
	for i, name := range []string{paramDomain, paramSite, paramDNSServer} {
		v, err := single(name)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	if vals[0] == "" {
		if vals[1] != "" || vals[2] != "" {
			return nil, bad("site and dns_server need domain=DOMAIN")
		}
		return nil, nil
	}
	d := &scan.Domain{Name: vals[0], Site: vals[1]}
	if vals[2] != "" {
		var err error
		if d.DNSServer, err = checklist.ParseDNSServer(vals[2]); err != nil {
			return nil, bad("dns_server %v", err)
		}
	}
	if err := d.Validate(); err != nil {
		return nil, bad("%s", strings.TrimPrefix(err.Error(), "scan: "))
	}
	return d, nil
}

// oneHost parses a target or role host: one address or one host name. Networks
// and ranges are refused: one probe is one host, and Prometheus scrapes each host
// as its own target (and the allow-list is checked host by host).
func oneHost(what, s string) (scan.Target, error) {
	if strings.Count(s, ":") == 1 && !strings.HasPrefix(s, "[") {
		return scan.Target{}, bad("%s %q: give the host alone; ports come from the profile or ports=", what, s)
	}
	var ts scan.Targets
	if err := ts.Add(s); err != nil {
		return scan.Target{}, bad("%s: %v", what, err)
	}
	if ts.Count(1) != 1 {
		return scan.Target{}, bad("%s %q: one host per probe, not a network or range (scrape each host as its own target)", what, s)
	}
	for t := range ts.All() {
		return t, nil
	}
	return scan.Target{}, bad("%s %q: no host", what, s)
}

// parseSeconds parses a Go duration ("2s", "500ms") or a number of seconds
// ("1.5"), the form Prometheus uses for its own timeouts in headers.
func parseSeconds(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > 1e6 {
			return 0, fmt.Errorf("want a positive duration")
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 2s, 500ms or 1.5")
	}
	if d <= 0 {
		return 0, fmt.Errorf("want a positive duration")
	}
	return d, nil
}
