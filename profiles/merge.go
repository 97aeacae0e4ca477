package profiles

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/portreach/portreach/results"
)

// Unmapped is an entry whose destination role the user did not map to a host.
// The scanner reports it as skipped, with Flag as the way to test it.
type Unmapped struct {
	Entry Entry
	Flag  string // "--role sql=HOST"
}

// Merge turns the profiles a user asked for into the list of checks to run.
//
// Includes are resolved. Entries are de-duplicated by (role, protocol, port range,
// kind); a merged entry keeps the first entry's service and purpose, and
// remembers every requested profile (the profile the user named, not the one
// included) and every source that asked for it, in order. Notes are joined, and
// so are the RPC interfaces of dynamic-rpc entries (one endpoint-mapper question
// answers them all) and what the entries require of the service.
//
// Expectations combine by strictness: open (required) beats optional, and closed
// beats optional. An entry one profile requires open and another requires closed
// cannot be satisfied; Merge returns an error naming both.
//
// roles maps destination role keys to hosts. Entries for a mapped role carry the
// host in Host; entries for an unmapped role come back in Unmapped, never dropped;
// entries without a role are for the scanned host and have Host "". A role key in
// roles that none of the profiles uses is an error (a likely typo).
func (c *Catalog) Merge(roles map[string]string, ps ...*Profile) ([]Entry, []Unmapped, error) {
	type key struct {
		role  string
		proto results.Proto
		port  results.PortRange
		kind  Kind
	}
	var out []Entry
	index := map[key]int{}
	used := map[string]bool{}
	var errs []error
	for _, p := range ps {
		entries, declared := c.Resolve(p)
		for _, r := range declared {
			used[r.Key] = true
		}
		for _, e := range entries {
			k := key{e.Role, e.Proto, e.Port, e.Kind}
			i, ok := index[k]
			if !ok {
				e.Interfaces = slices.Clone(e.Interfaces)
				e.Require = slices.Clone(e.Require)
				e.Profiles = []string{p.Slug}
				e.Sources = nil
				if e.Source.Document != "" {
					e.Sources = []results.Source{e.Source}
				}
				if e.Role != "" {
					e.Host = roles[e.Role]
				}
				index[k] = len(out)
				out = append(out, e)
				continue
			}
			m := &out[i]
			if !slices.Contains(m.Profiles, p.Slug) {
				m.Profiles = append(m.Profiles, p.Slug)
			}
			if e.Source.Document != "" && !slices.Contains(m.Sources, e.Source) {
				m.Sources = append(m.Sources, e.Source)
			}
			for _, i := range e.Interfaces {
				if !slices.Contains(m.Interfaces, i) {
					m.Interfaces = append(m.Interfaces, i)
				}
			}
			for _, r := range e.Require {
				if !slices.Contains(m.Require, r) {
					m.Require = append(m.Require, r)
				}
			}
			if e.Note != "" && !strings.Contains(m.Note, e.Note) {
				if m.Note != "" {
					m.Note += " | "
				}
				m.Note += e.Note
			}
			switch {
			case m.Expect == e.Expect:
			case m.Expect == results.ExpectOptional:
				m.Expect = e.Expect
			case e.Expect == results.ExpectOptional:
			default:
				errs = append(errs, fmt.Errorf("%s%s: profile %s expects it %s, profile %s expects it %s",
					e.Label(), roleSuffix(e.Role), m.Profiles[0], m.Expect, e.Profile, e.Expect))
			}
		}
	}
	var unknown []string
	for r := range roles {
		if !used[r] {
			unknown = append(unknown, r)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		var known []string
		for r := range used {
			known = append(known, r)
		}
		slices.Sort(known)
		have := "they use no roles"
		if len(known) > 0 {
			have = "they use: " + strings.Join(known, ", ")
		}
		errs = append(errs, fmt.Errorf("role %s not used by the selected profiles (%s)", strings.Join(quoteAll(unknown), ", "), have))
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	var mapped []Entry
	var unmapped []Unmapped
	for _, e := range out {
		if e.Role != "" && e.Host == "" {
			unmapped = append(unmapped, Unmapped{Entry: e, Flag: "--role " + e.Role + "=HOST"})
			continue
		}
		mapped = append(mapped, e)
	}
	return mapped, unmapped, nil
}

func roleSuffix(r string) string {
	if r == "" {
		return ""
	}
	return " (role " + r + ")"
}

func quoteAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, fmt.Sprintf("%q", s))
	}
	return out
}

// Check returns the profile entry as the scanner attaches it to a result. For an
// entry that did not pass through Merge, Profiles is its defining profile and
// Sources its own source.
func (e *Entry) Check() *results.Check {
	c := &results.Check{
		Profiles: slices.Clone(e.Profiles),
		Service:  e.Service,
		Purpose:  e.Purpose,
		Expect:   e.Expect,
		Role:     e.Role,
		Require:  slices.Clone(e.Require),
		Sources:  slices.Clone(e.Sources),
	}
	if len(c.Profiles) == 0 && e.Profile != "" {
		c.Profiles = []string{e.Profile}
	}
	if len(c.Sources) == 0 && e.Source.Document != "" {
		c.Sources = []results.Source{e.Source}
	}
	return c
}
