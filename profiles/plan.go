package profiles

import (
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Plan is a go-live checklist: several scans, each naming profiles, the hosts to
// scan and the hosts that play the profiles' destination roles, and optionally
// the user's own profiles. In JSON:
//
//	{
//	  "items": [
//	    {"profiles": ["biztalk-send-server"], "targets": ["bts01"],
//	     "roles": {"sql": "sql01", "smtp": "mail01"}},
//	    {"profiles": ["domain-controller"], "targets": ["dc01", "dc02"], "trace": true}
//	  ],
//	  "profiles": [ … same schema as a --profile-file … ]
//	}
type Plan struct {
	Items    []PlanItem `json:"items"`
	Profiles []*Profile `json:"profiles"` // the user's own profiles
	File     string     `json:"-"`        // name given to ParsePlan
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
	if len(s.errs) == 0 && len(p.Items) == 0 {
		s.errorf(root.off, "plan has no items")
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
