package profiles

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/portreach/portreach/results"
)

// Field rules. Every field is checked where it is decoded, so each message names
// the line of the offending value; rules that span profiles (includes, unique
// names, declared roles) are checked when profiles join a Catalog.

var (
	slugRE  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	probeRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// protos are the protocols an entry may name: the two the scanner tests and the
// IP protocols the documents list, which are reported not-tested.
var protos = []results.Proto{results.TCP, results.UDP, "gre", "esp", "ah"}

var expectations = []results.Expectation{results.ExpectOpen, results.ExpectOptional, results.ExpectClosed, results.ExpectBlocked}

var kinds = []Kind{Fixed, DynamicRPC, Negotiated}

func (p *Profile) validate(c *checker) {
	if !slugRE.MatchString(p.Slug) {
		c.errorf("slug", "slug %q: want lower-case words joined by hyphens (exchange-2016-mailbox)", p.Slug)
	}
	for _, f := range []struct{ name, val string }{{"name", p.Name}, {"description", p.Description}, {"product", p.Product}} {
		if strings.TrimSpace(f.val) == "" {
			c.errorf(f.name, "profile %q: %s is required", p.Slug, f.name)
		}
	}
	for _, a := range p.Aliases {
		if strings.TrimSpace(a) == "" {
			c.errorf("aliases", "profile %q: empty alias", p.Slug)
		}
	}
	for i, pl := range p.Platforms {
		switch {
		case strings.TrimSpace(pl) == "":
			c.errorf("platforms", "profile %q: empty platform", p.Slug)
		case slices.Contains(p.Platforms[:i], pl):
			c.errorf("platforms", "profile %q: platform %q listed twice", p.Slug, pl)
		}
	}
	for _, s := range p.Include {
		if !slugRE.MatchString(s) {
			c.errorf("include", "profile %q: include %q is not a slug", p.Slug, s)
		}
		if s == p.Slug {
			c.errorf("include", "profile %q includes itself", p.Slug)
		}
	}
	if len(p.Entries) == 0 && len(p.Include) == 0 {
		c.errorf("entries", "profile %q has no entries and includes nothing", p.Slug)
	}
	seen := map[string]bool{}
	for _, r := range p.Roles {
		if seen[r.Key] {
			c.s.errorf(c.s.offsetOf(r.Pos), "profile %q: role %q declared twice", p.Slug, r.Key)
		}
		seen[r.Key] = true
	}
}

func (r *Role) validate(c *checker) {
	if !slugRE.MatchString(r.Key) {
		c.errorf("key", "role key %q: want lower-case words joined by hyphens (sql, master-secret)", r.Key)
	}
	if strings.TrimSpace(r.Description) == "" {
		c.errorf("description", "role %q: description is required", r.Key)
	}
	if c.has("source") && r.Source.Document == "" {
		c.errorf("source", "role %q: source needs a document", r.Key)
	}
}

func (e *Entry) validate(c *checker) {
	if !slices.Contains(protos, e.Proto) {
		c.errorf("proto", "proto %q: want one of %s", e.Proto, joinAny(protos))
		return
	}
	if !slices.Contains(kinds, e.Kind) {
		c.errorf("kind", "kind %q: want \"\" (a fixed port), %q or %q", e.Kind, DynamicRPC, Negotiated)
		return
	}
	ip := e.Proto != results.TCP && e.Proto != results.UDP
	switch {
	case ip && !e.Port.IsZero():
		c.errorf("port", "proto %s is an IP protocol and has no port", e.Proto)
	case ip && e.Kind != Fixed:
		c.errorf("kind", "proto %s is an IP protocol; kind %q needs tcp or udp", e.Proto, e.Kind)
	case !ip && e.Kind == Fixed && e.Port.IsZero():
		c.errorf("proto", "%s entry needs a port (or kind %q / %q)", e.Proto, DynamicRPC, Negotiated)
	}
	if e.Probe != "" {
		if e.Proto != results.UDP && e.Proto != results.TCP {
			c.errorf("probe", "probe %q on a %s entry: probes are for udp entries (a UDP probe) and tcp entries (the service to confirm)", e.Probe, e.Proto)
		} else if !probeRE.MatchString(e.Probe) {
			c.errorf("probe", "probe name %q: want lower-case words joined by hyphens", e.Probe)
		}
	}
	for _, name := range e.Interfaces {
		if e.Kind != DynamicRPC {
			c.errorf("interfaces", "%s: interfaces are for kind %q entries only", e.Label(), DynamicRPC)
			break
		}
		if _, err := LookupInterfaceSet(name); err != nil {
			c.errorf("interfaces", "%s: %v", e.Label(), err)
		}
	}
	for _, r := range e.Require {
		if e.Proto != results.TCP {
			c.errorf("require", "%s: require is for tcp entries: what the service confirmed there must show", e.Label())
			break
		}
		if !probeRE.MatchString(r) {
			c.errorf("require", "requirement %q: want lower-case words joined by hyphens", r)
		}
	}
	if !c.has("expect") {
		c.errorf("expect", "expect is required: one of %s", joinAny(expectations))
	} else if !slices.Contains(expectations, e.Expect) {
		c.errorf("expect", "expect %q: want one of %s", e.Expect, joinAny(expectations))
	}
	if strings.TrimSpace(e.Service) == "" {
		c.errorf("service", "%s: service is required", e.Label())
	}
	if strings.TrimSpace(e.Purpose) == "" {
		c.errorf("purpose", "%s: purpose is required", e.Label())
	}
	if e.Role != "" && !slugRE.MatchString(e.Role) {
		c.errorf("role", "role %q: want lower-case words joined by hyphens", e.Role)
	}
	if c.has("source") && e.Source.Document == "" {
		c.errorf("source", "%s: source needs a document", e.Label())
	}
}

func joinAny[T ~string](xs []T) string {
	var ss []string
	for _, x := range xs {
		ss = append(ss, string(x))
	}
	return strings.Join(ss, ", ")
}

// offsetOf turns a Pos of this source back into an offset at the start of its line,
// for errors found after decoding.
func (s *source) offsetOf(p Pos) int64 {
	s.line(0) // fills s.nl
	if p.Line <= 1 || len(s.nl) == 0 {
		return 0
	}
	return s.nl[min(p.Line-2, len(s.nl)-1)] + 1
}

// add joins profiles to the catalogue after checking what single files cannot:
// unique slugs, names and aliases (case-insensitive, across all of them), includes
// that exist and form no cycle, and entry roles declared by the profile or one of
// its includes. On error the catalogue is unchanged.
func (c *Catalog) add(ps []*Profile) error {
	var errs errList
	bySlug := map[string]*Profile{}
	byName := map[string]*Profile{}
	for s, p := range c.bySlug {
		bySlug[s] = p
	}
	for n, p := range c.byName {
		byName[n] = p
	}
	for _, p := range ps {
		if q := bySlug[p.Slug]; q != nil {
			errs.at(p.Pos, "profile %q is already defined at %s", p.Slug, q.Pos)
			continue
		}
		bySlug[p.Slug] = p
		for _, n := range append([]string{p.Slug, p.Name}, p.Aliases...) {
			k := strings.ToLower(n)
			if q := byName[k]; q != nil && q != p {
				errs.at(p.Pos, "profile %q: name %q is already used by profile %q (%s)", p.Slug, n, q.Slug, q.Pos)
				continue
			}
			byName[k] = p
		}
	}
	for _, p := range ps {
		for _, s := range p.Include {
			if bySlug[s] == nil {
				errs.at(p.Pos, "profile %q includes %q, which does not exist", p.Slug, s)
			}
		}
	}
	if len(errs) == 0 {
		for _, p := range ps {
			if cyc := findCycle(p, bySlug); cyc != nil {
				errs.at(p.Pos, "profile %q: include cycle %s", p.Slug, strings.Join(cyc, " → "))
			}
		}
	}
	if len(errs) == 0 {
		tmp := &Catalog{bySlug: bySlug}
		for _, p := range ps {
			_, roles := tmp.Resolve(p)
			for i := range p.Entries {
				e := &p.Entries[i]
				if e.Role != "" && !slices.ContainsFunc(roles, func(r Role) bool { return r.Key == e.Role }) {
					errs.at(e.Pos, "profile %q: entry %s names role %q, which neither it nor its includes declare", p.Slug, e.Label(), e.Role)
				}
			}
		}
	}
	if len(errs) > 0 {
		return errs.err()
	}
	c.bySlug, c.byName = bySlug, byName
	c.profiles = c.profiles[:0]
	for _, p := range bySlug {
		c.profiles = append(c.profiles, p)
	}
	slices.SortFunc(c.profiles, func(a, b *Profile) int { return strings.Compare(a.Slug, b.Slug) })
	return nil
}

// findCycle returns the include path that leads from p back to p, or nil.
func findCycle(p *Profile, bySlug map[string]*Profile) []string {
	var path []string
	onPath := map[string]bool{}
	done := map[string]bool{}
	var walk func(q *Profile) []string
	walk = func(q *Profile) []string {
		if onPath[q.Slug] {
			i := slices.Index(path, q.Slug)
			return append(slices.Clone(path[i:]), q.Slug)
		}
		if done[q.Slug] {
			return nil
		}
		onPath[q.Slug] = true
		path = append(path, q.Slug)
		for _, s := range q.Include {
			if r := bySlug[s]; r != nil {
				if cyc := walk(r); cyc != nil {
					return cyc
				}
			}
		}
		path = path[:len(path)-1]
		onPath[q.Slug] = false
		done[q.Slug] = true
		return nil
	}
	cyc := walk(p)
	if len(cyc) > 0 && cyc[0] != p.Slug {
		return nil // a cycle further down; reported for the profile on it
	}
	return cyc
}

type errList []error

func (l *errList) at(p Pos, format string, args ...any) {
	*l = append(*l, &Error{File: p.File, Line: p.Line, Msg: fmt.Sprintf(format, args...)})
}

func (l errList) err() error {
	if len(l) == 0 {
		return nil
	}
	return errors.Join(l...)
}
