package profiles

import (
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// Plan is a go-live checklist: several scans, each naming profiles, the hosts to
// scan and the hosts that play the profiles' destination roles, and optionally
// the user's own profiles. In JSON:
//
//	{
//	  "items": [
//	    {"profiles": ["biztalk-send-server"], "targets": ["bts01"],
//	     "roles": {"sql": "sql01", "smtp": "mail01"}},
//	    {"profiles": ["domain-controller"], "targets": ["dc01", "dc02"], "trace": true},
//	    {"profiles": ["ad-dc-2016-2025"], "domain": "lab.example", "site": "Site-A",
//	     "dns_server": "198.18.1.2"}
//	  ],
//	  "profiles": [ … same schema as a --profile-file … ]
//	}
//
// A plan that says where each check runs from is a policy: instead of items,
// named sources (this machine, portreach exporters, ssh hosts) and rules, each
// checked from each of its sources (docs/policy.md):
//
//	{
//	  "sources": {"here": ["local"], "dmz": ["https://dmz01:9469"]},
//	  "rules": [{"from": ["here", "dmz"], "to": ["dc01"], "ports": "T:445", "expect": "blocked"}]
//	}
type Plan struct {
	Items    []PlanItem            `json:"items"`
	Sources  map[string][]Endpoint `json:"sources"`  // a policy's sources, by name
	Rules    []Rule                `json:"rules"`    // a policy's rules
	Profiles []*Profile            `json:"profiles"` // the user's own profiles
	File     string                `json:"-"`        // name given to ParsePlan
	// Pos is where each source is named: its line, for errors about it.
	SourcePos map[string]Pos `json:"-"`
}

// Policy reports whether the plan is a policy (sources and rules).
func (p *Plan) Policy() bool { return len(p.Sources) > 0 || len(p.Rules) > 0 }

// Endpoint is one machine a policy's source checks from: "local" (this
// machine), a portreach exporter ("https://app01:9469", with the client side
// of its --web.config.file), or an ssh host ("ssh://admin@jump01", which runs
// portreach scan there through the system's OpenSSH client). In JSON, a
// string (its URL) or an object.
type Endpoint struct {
	URL string `json:"url"`
	// CAFile, CertFile, KeyFile, Username and PasswordFile are an exporter's
	// TLS and basic-auth client settings: the CA that signed its certificate
	// (besides the system's), this client's certificate and key, and the user
	// and the file holding the password.
	CAFile       string `json:"ca_file"`
	CertFile     string `json:"cert_file"`
	KeyFile      string `json:"key_file"`
	Username     string `json:"username"`
	PasswordFile string `json:"password_file"`
	// SSHArgs are more arguments to ssh for an ssh:// endpoint ("-i",
	// "key", "-o", "…"), given before the host.
	SSHArgs []string `json:"ssh_args"`
	// MaxTime bounds what the endpoint is given for its checks ("2m"); empty:
	// the run's default.
	MaxTime string `json:"max_time"`
	Pos     Pos    `json:"-"`
}

// Rule is one check of a policy: profiles and ports on the destinations To,
// checked from each source From, with an expectation and role mappings as a
// plan item has them.
type Rule struct {
	Name      string            `json:"name"` // how reports name it; "" names it "rule N"
	From      []string          `json:"from"` // source names
	To        []string          `json:"to"`   // destination hosts: names or addresses
	Profiles  []string          `json:"profiles"`
	Ports     string            `json:"ports"`
	Expect    string            `json:"expect"`
	Roles     map[string]string `json:"roles"`
	Addresses string            `json:"addresses"`
	Pos       Pos               `json:"-"`
}

// PlanItem is one scan of a Plan.
type PlanItem struct {
	Profiles []string          `json:"profiles"` // slugs, names or aliases, as for --profile
	Targets  []string          `json:"targets"`  // hosts whose own ports are checked
	Roles    map[string]string `json:"roles"`    // destination role key → host
	Trace    bool              `json:"trace"`    // trace where filtered ports' packets stop, as --trace does, for this item
	// Ports are ad-hoc ports checked on Targets, in -p's syntax
	// ("T:135,445,U:53"), with Expect: open, closed, reachable or blocked
	// (reachable and blocked also apply to the profiles' must-be-open
	// entries, as --expect does).
	Ports  string `json:"ports"`
	Expect string `json:"expect"`
	// Addresses is which addresses of a host name are checked: "first" (the
	// default) or "all" (--addresses).
	Addresses string `json:"addresses"`
	// Domain, Site and DNSServer find an Active Directory domain's DCs as
	// --domain, --site and --dns-server do; each DC found is checked as a
	// target.
	Domain    string `json:"domain"`
	Site      string `json:"site"`
	DNSServer string `json:"dns_server"`
	Pos       Pos    `json:"-"`
}

type planFile = Plan

// ParsePlan reads a plan strictly: unknown fields, bad ports and other mistakes are
// errors naming the file (name) and line. Profile names in items are resolved by
// Catalog.AddPlan, which also adds the plan's own profiles.
func ParsePlan(r io.Reader, name string) (*Plan, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	s := &source{name: name, data: b}
	root, err := s.parse()
	if err != nil {
		return nil, err
	}
	p := &Plan{File: name}
	s.decode(root, reflect.ValueOf(p).Elem(), "plan file")
	if len(s.errs) == 0 {
		p.checkPolicy(s, root)
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return p, nil
}

func (it *PlanItem) validate(c *checker) {
	if len(it.Profiles) == 0 && it.Ports == "" {
		c.errorf("profiles", "plan item needs at least one profile, or ports")
	}
	if it.Domain == "" {
		if it.Site != "" {
			c.errorf("site", "site %q needs a domain", it.Site)
		}
		if it.DNSServer != "" {
			c.errorf("dns_server", "dns_server %q needs a domain", it.DNSServer)
		}
	}
	for _, t := range it.Targets {
		if strings.TrimSpace(t) == "" || strings.ContainsAny(t, " \t") {
			c.errorf("targets", "target %q: want a host name or address", t)
		}
	}
	keys := make([]string, 0, len(it.Roles))
	for k := range it.Roles {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		h := it.Roles[k]
		if !slugRE.MatchString(k) {
			c.errorf("roles", "role key %q: want lower-case words joined by hyphens", k)
		}
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, " \t") {
			c.errorf("roles", "role %q: host %q: want a host name or address", k, h)
		}
	}
}

// AddPlan adds the plan's own profiles to the catalogue and checks that every
// item's profile names resolve. The returned slices hold, per item, the profiles
// its names resolve to. On error the catalogue is unchanged only if the plan's
// profiles were invalid; an unknown name in an item is reported with its line.
func (c *Catalog) AddPlan(p *Plan) ([][]*Profile, error) {
	if len(p.Profiles) > 0 {
		if err := c.add(p.Profiles); err != nil {
			return nil, err
		}
	}
	var errs errList
	out := make([][]*Profile, len(p.Items))
	for i, it := range p.Items {
		for _, n := range it.Profiles {
			q, err := c.Lookup(n)
			if err != nil {
				errs.at(it.Pos, "item %d: %v", i+1, err)
				continue
			}
			out[i] = append(out[i], q)
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// String summarises an item: "biztalk-send-server on bts01 (sql=sql01)".
func (it PlanItem) String() string {
	s := strings.Join(it.Profiles, ", ")
	if len(it.Targets) > 0 {
		s += " on " + strings.Join(it.Targets, ", ")
	}
	if len(it.Roles) > 0 {
		var rs []string
		for k, v := range it.Roles {
			rs = append(rs, fmt.Sprintf("%s=%s", k, v))
		}
		sortStrings(rs)
		s += " (" + strings.Join(rs, ", ") + ")"
	}
	return s
}

// checkPolicy checks what spans the plan: items or a policy's sources and
// rules, and every rule's sources named.
func (p *Plan) checkPolicy(s *source, root *node) {
	if !p.Policy() {
		if len(p.Items) == 0 {
			s.errorf(root.off, "plan has no items")
		}
		return
	}
	switch {
	case len(p.Items) > 0:
		s.errorf(root.off, "a policy has sources and rules, not items: make each item a rule")
	case len(p.Sources) == 0:
		s.errorf(root.off, `policy has rules but no "sources"`)
	case len(p.Rules) == 0:
		s.errorf(root.off, `policy has sources but no "rules"`)
	}
	names := make([]string, 0, len(p.Sources))
	for n := range p.Sources {
		names = append(names, n)
	}
	sortStrings(names)
	p.SourcePos = map[string]Pos{}
	for _, mb := range root.members {
		if mb.name == "sources" && mb.val.kind == nObject {
			for _, src := range mb.val.members {
				p.SourcePos[src.name] = Pos{File: s.name, Line: s.line(src.off)}
			}
		}
	}
	for _, n := range names {
		if !slugRE.MatchString(n) {
			s.errorAt(p.SourcePos[n], "source %q: want lower-case words joined by hyphens (dmz, app-servers)", n)
		}
		if len(p.Sources[n]) == 0 {
			s.errorAt(p.SourcePos[n], "source %q has no endpoint: give \"local\", an exporter's URL or ssh://user@host", n)
		}
	}
	for i, r := range p.Rules {
		for _, f := range r.From {
			if _, ok := p.Sources[f]; !ok {
				s.errorAt(r.Pos, "rule %d: unknown source %q (sources: %s)", i+1, f, strings.Join(names, ", "))
			}
		}
	}
}

func (e *Endpoint) validate(c *checker) {
	for _, msg := range e.problems() {
		c.errorf("url", "%s", msg)
	}
}

// problems says what is wrong with the endpoint, if anything.
func (e *Endpoint) problems() []string {
	var out []string
	u, err := url.Parse(e.URL)
	scheme := ""
	switch {
	case e.URL == "local":
		scheme = "local"
	case err != nil || u.Host == "":
		return []string{fmt.Sprintf("source %q: want \"local\", http(s)://HOST:PORT of a portreach exporter, or ssh://[USER@]HOST", e.URL)}
	default:
		scheme = u.Scheme
	}
	switch scheme {
	case "local", "http", "https", "ssh":
	default:
		return []string{fmt.Sprintf("source %q: scheme %q: want http, https or ssh (or \"local\")", e.URL, scheme)}
	}
	if u != nil && scheme != "ssh" && scheme != "local" {
		if _, set := u.User.Password(); set {
			out = append(out, fmt.Sprintf("source %q: a password in the URL: give username and password_file", e.URL))
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			out = append(out, fmt.Sprintf("source %q: give the exporter's address alone (https://HOST:PORT)", e.URL))
		}
	}
	tlsSet := e.CAFile != "" || e.CertFile != "" || e.KeyFile != ""
	authSet := e.Username != "" || e.PasswordFile != ""
	switch {
	case tlsSet && scheme != "https":
		out = append(out, fmt.Sprintf("source %q: ca_file, cert_file and key_file need an https:// URL", e.URL))
	case (e.CertFile == "") != (e.KeyFile == ""):
		out = append(out, fmt.Sprintf("source %q: cert_file and key_file go together", e.URL))
	}
	switch {
	case authSet && scheme != "http" && scheme != "https":
		out = append(out, fmt.Sprintf("source %q: username and password_file are an exporter's basic auth (http:// or https://)", e.URL))
	case (e.Username == "") != (e.PasswordFile == ""):
		out = append(out, fmt.Sprintf("source %q: username and password_file go together", e.URL))
	}
	if len(e.SSHArgs) > 0 && scheme != "ssh" {
		out = append(out, fmt.Sprintf("source %q: ssh_args need an ssh:// URL", e.URL))
	}
	if e.MaxTime != "" {
		if d, err := time.ParseDuration(e.MaxTime); err != nil || d <= 0 {
			out = append(out, fmt.Sprintf("source %q: max_time %q: want a duration such as 2m", e.URL, e.MaxTime))
		}
	}
	return out
}

func (r *Rule) validate(c *checker) {
	if len(r.From) == 0 {
		c.errorf("from", "rule needs \"from\": the sources it is checked from")
	}
	if len(r.To) == 0 {
		c.errorf("to", "rule needs \"to\": the destination hosts")
	}
	for _, t := range r.To {
		if strings.TrimSpace(t) == "" || strings.ContainsAny(t, " \t/") {
			c.errorf("to", "destination %q: want one host name or address", t)
		}
	}
	if len(r.Profiles) == 0 && r.Ports == "" {
		c.errorf("profiles", "rule needs profiles, or ports")
	}
	keys := make([]string, 0, len(r.Roles))
	for k := range r.Roles {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		if !slugRE.MatchString(k) {
			c.errorf("roles", "role key %q: want lower-case words joined by hyphens", k)
		}
	}
}
