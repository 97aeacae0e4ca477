// Package policy runs a policy: the checks of a plan file that says where each
// check runs from. Its sources are this machine ("local"), portreach exporters
// ("portreach serve", asked for JSON Lines answers) and ssh hosts (which run
// "portreach scan" there through the system's OpenSSH client); its rules are
// profiles and ports on destinations with an expectation, each checked from
// each of its sources. Every result says which source measured it, from which
// address, and for which rule; a source that measured nothing (unreachable,
// refusing the credentials, too old to answer in JSON) gives every check it was
// to run an outcome of its own (results.ReasonSourceUnreachable …), never a
// pass and never a port's verdict.
//
// The package owns the policy's meaning (Load: every source, profile, role and
// credential checked before anything is sent), the run (Runner: sources side
// by side, each bounded by its own time limit, all of it ended by the
// context) and the clients of remote sources, which treat what a remote sends
// as hostile: one deadline, a byte cap per line and per answer, every line
// checked against the result schema. The plans come from package checklist,
// so a rule checks from a source exactly what "portreach scan" checks there.
package policy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/portreach/portreach/checklist"
	"github.com/portreach/portreach/profiles"
)

// Policy is a policy checked and ready to run: its sources by name, its rules
// with their plans.
type Policy struct {
	Sources []*Source // by name
	Rules   []*Rule   // in the file's order
	Catalog *profiles.Catalog
	plan    *profiles.Plan // the file, for ssh sources' plans
}

// Kinds of Endpoint.
const (
	Local    = "local"
	Exporter = "exporter"
	SSH      = "ssh"
)

// Source is one named vantage point of the policy: one or more endpoints.
type Source struct {
	Name      string
	Endpoints []*Endpoint
}

// Endpoint is one machine a source checks from.
type Endpoint struct {
	Kind string // Local, Exporter or SSH
	// Label names it in details: "local", the exporter's URL, ssh://user@host.
	Label   string
	URL     *url.URL      // Exporter, SSH
	MaxTime time.Duration // 0: the runner's default
	SSHArgs []string

	client             *http.Client // Exporter
	username, password string
}

// Rule is one rule of the policy.
type Rule struct {
	Name string   // its name, or "rule N"
	From []string // source names
	To   []string // destinations as written
	// Item is the rule's check as a plan item, on To.
	Item checklist.Item
	// Plan is what the rule checks from anywhere, planned here: the ports
	// a source that measured nothing reports unknown, and the checks its
	// results are held to.
	Plan *checklist.Plan
	src  profiles.Rule
}

// Files reads the files a policy names (CA files, client certificates and
// keys, password files): the caller's reader, with its size limit and
// cancellation (flag names the policy field in errors).
type Files func(field, name string) ([]byte, error)

// Load checks a parsed policy (profiles.ParsePlan of a plan whose
// Plan.Policy is true) against cat, adding the policy's own profiles to it,
// and reads its credential files: every error here (an unknown profile,
// source or role, a bad port list, a file that cannot be read) comes before
// anything is sent.
func Load(ctx context.Context, p *profiles.Plan, cat *profiles.Catalog, read Files) (*Policy, error) {
	if !p.Policy() {
		return nil, errors.New("policy: the plan has no sources and rules")
	}
	if _, err := cat.AddPlan(p); err != nil {
		return nil, err
	}
	pol := &Policy{Catalog: cat, plan: p}
	names := make([]string, 0, len(p.Sources))
	for n := range p.Sources {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		src := &Source{Name: n}
		for _, e := range p.Sources[n] {
			e.CAFile, e.CertFile, e.KeyFile, e.PasswordFile = relative(p.File, e.CAFile), relative(p.File, e.CertFile), relative(p.File, e.KeyFile), relative(p.File, e.PasswordFile)
			ep, err := loadEndpoint(e, read)
			if err != nil {
				return nil, fmt.Errorf("%s: source %s: %w", e.Pos, n, err)
			}
			src.Endpoints = append(src.Endpoints, ep)
		}
		pol.Sources = append(pol.Sources, src)
	}
	used := map[string]bool{}
	for i, r := range p.Rules {
		rule, err := loadRule(ctx, cat, i, r)
		if err != nil {
			return nil, err
		}
		for _, f := range r.From {
			used[f] = true
		}
		pol.Rules = append(pol.Rules, rule)
	}
	for _, n := range names {
		if !used[n] {
			return nil, fmt.Errorf("%s: source %q is in no rule's \"from\"", p.SourcePos[n], n)
		}
	}
	return pol, nil
}

func loadRule(ctx context.Context, cat *profiles.Catalog, i int, r profiles.Rule) (*Rule, error) {
	rule := &Rule{Name: r.Name, From: r.From, To: r.To, src: r}
	if rule.Name == "" {
		rule.Name = fmt.Sprintf("rule %d", i+1)
	}
	where := func(err error) error { return fmt.Errorf("%s: %s: %w", r.Pos, rule.Name, err) }
	it := checklist.Item{Targets: r.To, Pos: r.Pos.String()}
	for _, n := range r.Profiles {
		p, err := cat.Lookup(n)
		if err != nil {
			return nil, where(err)
		}
		it.Profiles = append(it.Profiles, p)
	}
	roles, err := checklist.ParseRoles(r.Roles)
	if err != nil {
		return nil, where(err)
	}
	it.Roles = roles
	if err := it.ParseOwn(r.Ports, r.Expect, r.Addresses); err != nil {
		return nil, where(err)
	}
	rule.Item = it
	pl, err := checklist.Build(ctx, checklist.Request{Catalog: cat, Items: []checklist.Item{it}})
	if err != nil {
		return nil, where(err)
	}
	rule.Plan = pl
	return rule, nil
}

func loadEndpoint(e profiles.Endpoint, read Files) (*Endpoint, error) {
	if e.URL == Local {
		return &Endpoint{Kind: Local, Label: Local}, nil
	}
	u, err := url.Parse(e.URL)
	if err != nil {
		return nil, err
	}
	ep := &Endpoint{URL: u, SSHArgs: e.SSHArgs}
	if e.MaxTime != "" {
		if ep.MaxTime, err = time.ParseDuration(e.MaxTime); err != nil {
			return nil, fmt.Errorf("max_time: %v", err)
		}
	}
	if u.Scheme == "ssh" {
		ep.Kind, ep.Label = SSH, e.URL
		return ep, nil
	}
	ep.Kind, ep.Label = Exporter, (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if e.CAFile != "" {
		pem, err := read("ca_file", e.CAFile)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificates in it", e.CAFile)
		}
		tc.RootCAs = pool
	}
	if e.CertFile != "" {
		certPEM, err := read("cert_file", e.CertFile)
		if err != nil {
			return nil, err
		}
		keyPEM, err := read("key_file", e.KeyFile)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("cert_file %s, key_file %s: %v", e.CertFile, e.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if e.Username != "" {
		pw, err := read("password_file", e.PasswordFile)
		if err != nil {
			return nil, err
		}
		ep.username, ep.password = e.Username, strings.TrimRight(string(pw), "\r\n")
		if ep.password == "" {
			return nil, fmt.Errorf("password_file %s is empty", e.PasswordFile)
		}
	}
	ep.client = &http.Client{
		Transport: &http.Transport{
			TLSClientConfig:       tc,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 0, // the request's deadline bounds it: a probe answers when its scan begins
			MaxIdleConnsPerHost:   maxProbesPerEndpoint,
			Proxy:                 nil, // a vantage point is asked directly: a proxy would be the vantage point
		},
		// A redirect would send the credentials elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return ep, nil
}

// relative resolves a file a policy names against the policy's own directory,
// as Prometheus resolves its configuration's files (a policy read from
// standard input resolves against the working directory).
func relative(policyFile, name string) string {
	if name == "" || filepath.IsAbs(name) || policyFile == "" || policyFile == "-" {
		return name
	}
	return filepath.Join(filepath.Dir(policyFile), name)
}
