package exporter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/portreach/portreach/checklist"
	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/scan"
)

// paramModule names a module of the configuration file: the probe's
// profiles, ports and settings, as blackbox_exporter's module= does.
const paramModule = "module"

// Modules are the named modules of serve's configuration file
// (--config.file), as blackbox_exporter has them: what a probe checks,
// chosen by module=NAME, so that a scrape config names a module and the
// exporter's operator decides what it means. Build them with ParseModules;
// a Modules is not modified after and is safe for concurrent use.
type Modules struct {
	byName map[string]url.Values // the /probe parameters each module sets
	names  []string              // sorted
	adHoc  bool
}

// moduleFile is the configuration file's schema.
type moduleFile struct {
	// AdHocParams: false accepts only target=, module= and format= in a
	// probe; true (the default) also the parameters a module sets, as
	// without a configuration file.
	AdHocParams *bool                 `yaml:"ad_hoc_params"`
	Modules     map[string]moduleSpec `yaml:"modules"`
}

// moduleSpec is one module: the /probe parameters of the same names.
type moduleSpec struct {
	Profiles  []string          `yaml:"profiles"`
	Ports     string            `yaml:"ports"`
	Expect    string            `yaml:"expect"`
	Timeout   string            `yaml:"timeout"`
	Roles     map[string]string `yaml:"roles"`
	Addresses string            `yaml:"addresses"`
	Trace     *bool             `yaml:"trace"`
	// The DC locator: the DCs of Domain are the targets (Site first;
	// DNSServer asked instead of this machine's resolver).
	Domain    string `yaml:"domain"`
	Site      string `yaml:"site"`
	DNSServer string `yaml:"dns_server"`
}

// moduleName is what a module may be called: a URL needs no escaping for
// it.
var moduleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ParseModules reads a configuration file (name is for errors) strictly: an
// unknown key, a repeated key, a second document, a module that names an
// unknown profile or bad ports, or one that checks nothing, is an error
// naming the line. Each module is checked as a probe of it would be, with
// cat's profiles and at most maxPorts ports (0: no limit).
func ParseModules(name string, b []byte, cat *profiles.Catalog, maxPorts int) (*Modules, error) {
	fail := func(line int, format string, a ...any) error {
		return fmt.Errorf("%s: line %d: %s", name, line, fmt.Sprintf(format, a...))
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f moduleFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty: want modules:", name)
		}
		return nil, fmt.Errorf("%s: %s", name, yamlError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: more than one YAML document: want one", name)
	}
	lines := moduleLines(b)
	if len(f.Modules) == 0 {
		return nil, fmt.Errorf("%s: no modules: want modules: NAME: {profiles: [...], ports: ...}", name)
	}
	m := &Modules{byName: map[string]url.Values{}, adHoc: f.AdHocParams == nil || *f.AdHocParams}
	for mod, spec := range f.Modules {
		line := lines[mod]
		if !moduleName.MatchString(mod) {
			return nil, fail(line, "module %q: a name of letters, digits, '_', '.' and '-', at most 64, starting with a letter or digit", mod)
		}
		q := spec.values()
		if err := checkModule(q, cat, maxPorts); err != nil {
			return nil, fail(line, "module %s: %v", mod, err)
		}
		m.byName[mod] = q
		m.names = append(m.names, mod)
	}
	slices.Sort(m.names)
	return m, nil
}

// yamlError is the decoder's error as serve says it: each of its lines
// ("line 4: field timout not found in type exporter.moduleSpec") in the
// file's terms ("line 4: unknown key timout").
func yamlError(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		msgs[i] = unknownField.ReplaceAllString(e, "${1}unknown key $2")
	}
	return strings.Join(msgs, "; ")
}

var unknownField = regexp.MustCompile(`^(line \d+: )field (\S+) not found in type \S+$`)

// moduleLines finds the line of each module's name in the file, for errors.
func moduleLines(b []byte) map[string]int {
	out := map[string]int{}
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return out
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "modules" {
			continue
		}
		mods := root.Content[i+1]
		for j := 0; j+1 < len(mods.Content); j += 2 {
			out[mods.Content[j].Value] = mods.Content[j].Line
		}
	}
	return out
}

// values are the /probe parameters a module sets.
func (s *moduleSpec) values() url.Values {
	q := url.Values{}
	if len(s.Profiles) > 0 {
		q[paramProfile] = slices.Clone(s.Profiles)
	}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set(paramPorts, s.Ports)
	set(paramExpect, s.Expect)
	set(paramTimeout, s.Timeout)
	set(paramAddrs, s.Addresses)
	set(paramDomain, s.Domain)
	set(paramSite, s.Site)
	set(paramDNSServer, s.DNSServer)
	if s.Trace != nil {
		q.Set(paramTrace, map[bool]string{true: "1", false: "0"}[*s.Trace])
	}
	for _, role := range slices.Sorted(maps.Keys(s.Roles)) {
		q.Add(paramRole, role+"="+s.Roles[role])
	}
	return q
}

// checkModule checks a module's parameters as a probe of it would be
// checked, on a stand-in target: the parameters (parseProbe), then the plan
// (checklist.Build: roles the profiles do not have, expect without ports,
// more ports than maxPorts).
func checkModule(q url.Values, cat *profiles.Catalog, maxPorts int) error {
	probe := url.Values{}
	for k, v := range q {
		probe[k] = v
	}
	if q.Get(paramDomain) == "" {
		probe.Set(paramTarget, "127.0.0.1") // a domain's DCs are its targets
	}
	req, err := parseProbe(probe, cat)
	if err != nil {
		return err
	}
	item := checklist.Item{
		Profiles: req.profiles, Roles: req.roles, Domain: req.domain,
		Ports: req.ports, Expect: req.expect, AllAddresses: req.all,
	}
	if req.target.Name != "" {
		item.Targets = []string{req.target.Name}
	}
	_, err = checklist.Build(context.Background(), checklist.Request{Catalog: cat, MaxPorts: maxPorts, Items: []checklist.Item{item}})
	var nothing *checklist.NothingToTestError
	var tooMany *scan.TooManyPortsError
	switch {
	case errors.Is(err, checklist.ErrExpectNeedsPorts):
		return errors.New("expect applies to ports; profiles set their own expectations (expect: reachable or blocked turns them into must-be-reachable or must-be-blocked)")
	case errors.As(err, &nothing):
		return fmt.Errorf("nothing to test: the profile's ports are on destination roles (%s); map them with roles:", strings.Join(nothing.Unmapped, ", "))
	case errors.As(err, &tooMany):
		return fmt.Errorf("%d ports to test; this exporter allows at most %d a probe (--max-ports)", tooMany.Ports, tooMany.Max)
	}
	return err
}

// Names are the modules' names, sorted.
func (m *Modules) Names() []string {
	if m == nil {
		return nil
	}
	return slices.Clone(m.names)
}

// AdHocParams reports whether a probe may give the parameters a module sets
// (ports=, profile=, role=, timeout=, expect=, addresses=, trace=) itself.
func (m *Modules) AdHocParams() bool { return m == nil || m.adHoc }

// apply turns a /probe query with module=NAME into the query of the
// parameters it stands for: the module's, and the request's own when ad-hoc
// parameters are allowed (profile= and role= add to the module's; a
// single-valued parameter the module sets is refused rather than
// overridden, so that a scrape config cannot quietly change what a module
// checks).
func (m *Modules) apply(q url.Values) (url.Values, error) {
	var mods []string
	for _, v := range q[paramModule] {
		if v = strings.TrimSpace(v); v != "" {
			mods = append(mods, v)
		}
	}
	out := url.Values{}
	for k, v := range q {
		if k != paramModule {
			out[k] = v
		}
	}
	switch {
	case len(mods) > 1:
		return nil, bad("%s given %d times; give it once", paramModule, len(mods))
	case len(mods) == 1 && m == nil:
		return nil, bad("module %q: this exporter has no modules (portreach serve --config.file)", mods[0])
	case m == nil:
		return out, nil
	}
	if !m.adHoc {
		for _, k := range slices.Sorted(maps.Keys(out)) {
			vs := out[k]
			if k == paramTarget || k == paramFormat || !slices.ContainsFunc(vs, func(v string) bool { return strings.TrimSpace(v) != "" }) {
				continue
			}
			return nil, bad("%s: this exporter takes only target=, module= and format= (ad_hoc_params: false in its --config.file); modules: %s",
				k, strings.Join(m.names, ", "))
		}
	}
	if len(mods) == 0 {
		if !m.adHoc {
			return nil, bad("missing module: /probe?target=HOST&module=NAME; modules: %s", strings.Join(m.names, ", "))
		}
		return out, nil
	}
	set, ok := m.byName[mods[0]]
	if !ok {
		return nil, bad("module %q: no such module; modules: %s", mods[0], strings.Join(m.names, ", "))
	}
	for k, vs := range set {
		if k != paramProfile && k != paramRole && slices.ContainsFunc(out[k], func(v string) bool { return strings.TrimSpace(v) != "" }) {
			return nil, bad("%s: module %s sets it; give it in the module, or probe without module=", k, mods[0])
		}
		out[k] = append(slices.Clone(vs), out[k]...)
	}
	return out, nil
}
