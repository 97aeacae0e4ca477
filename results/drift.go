package results

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DriftKind names one kind of difference between a baseline report and a run.
type DriftKind string

// The kinds of drift, in the order a host's changes are listed.
const (
	// DriftHostAdded: a host (target and address) that the baseline did not have.
	DriftHostAdded DriftKind = "host-added"
	// DriftHostRemoved: a host of the baseline that this run did not report.
	DriftHostRemoved DriftKind = "host-removed"
	// DriftAddress: a named target now resolves to another address. Before and
	// After are the addresses; its ports are then compared as one host's.
	DriftAddress DriftKind = "address"
	// DriftPortAdded: a port (a profile entry, or a port a reply revealed) that
	// the baseline did not have on this host. After is its state.
	DriftPortAdded DriftKind = "port-added"
	// DriftPortRemoved: a port of the baseline that this run did not report on
	// the host. Before is its state then.
	DriftPortRemoved DriftKind = "port-removed"
	// DriftPortMoved: a port a reply revealed (a SQL instance, an RPC interface)
	// answered on another port: a firewall rule for the old one no longer
	// applies. Before and After are the port numbers.
	DriftPortMoved DriftKind = "port-moved"
	// DriftState: the port's state changed. Before and After are state names.
	// A port whose state is unknown on either side (the run stopped before it
	// finished) is not compared: not measured is neither a change nor the lack
	// of one, and the run already fails for it.
	DriftState DriftKind = "state"
	// DriftExpect: the profile entry now expects something else of the port
	// (the profile was edited). Before and After are the expectations.
	DriftExpect DriftKind = "expect"
	// DriftDetail: a probe detail named by a DetailRule changed. Path names
	// the field; Before and After are its values (absent when the field was).
	DriftDetail DriftKind = "detail"
)

// DriftKinds lists every kind, in the order changes of one port are listed.
var DriftKinds = []DriftKind{
	DriftHostAdded, DriftHostRemoved, DriftAddress, DriftPortAdded, DriftPortRemoved,
	DriftPortMoved, DriftState, DriftExpect, DriftDetail,
}

// StateChange reports whether the kind is a change in what is reachable (hosts
// and ports that appeared, disappeared, moved, or changed state), as opposed to
// an edited expectation or a changed probe detail.
func (k DriftKind) StateChange() bool {
	switch k {
	case DriftHostAdded, DriftHostRemoved, DriftAddress, DriftPortAdded, DriftPortRemoved, DriftPortMoved, DriftState:
		return true
	}
	return false
}

// Drift is what changed between a baseline report and this run.
type Drift struct {
	// Baseline says which report the run was compared with.
	Baseline BaselineRef `json:"baseline"`
	// Changes are the differences, in Sort order of hosts and ports, then in
	// DriftKinds order. Empty when nothing changed.
	Changes []Change `json:"changes"`
}

// BaselineRef identifies a baseline report.
type BaselineRef struct {
	File     string    `json:"file,omitempty"` // as the user named it; empty when not from a file
	Started  time.Time `json:"started"`        // the baseline run's start, UTC
	Finished time.Time `json:"finished"`       // the baseline run's end, UTC
}

// MarshalJSON writes the times in UTC, as every machine format does.
func (b BaselineRef) MarshalJSON() ([]byte, error) {
	type plain BaselineRef
	b.Started, b.Finished = b.Started.UTC(), b.Finished.UTC()
	return json.Marshal(plain(b))
}

// Change is one difference between the baseline and this run.
type Change struct {
	Kind DriftKind `json:"kind"`
	// Source and Rule are, in a policy run, the host's source (Vantage.Name)
	// and rule: drift compares a destination with itself checked from the same
	// source by the same rule.
	Source string     `json:"source,omitempty"`
	Rule   string     `json:"rule,omitempty"`
	Target string     `json:"target"`          // the target as given
	Addr   netip.Addr `json:"address"`         // this run's address (the baseline's for removed hosts)
	Proto  Proto      `json:"proto,omitempty"` // empty for host-level changes
	Port   uint16     `json:"port,omitempty"`  // this run's port (the baseline's when removed)
	Under  string     `json:"under,omitempty"` // for ports a reply revealed: what revealed them
	Probe  string     `json:"probe,omitempty"` // the probe whose detail changed
	Path   string     `json:"path,omitempty"`  // detail: the field, as its DetailRule names it
	// Before and After are the old and new values; what they hold depends on
	// Kind (see the constants). Absent means none: the field did not exist.
	Before any `json:"before,omitempty"`
	After  any `json:"after,omitempty"`
	// Check is the profile entry of the port: this run's, or the baseline's
	// when the port was removed.
	Check *Check `json:"check,omitempty"`
	// Regression is set when this run fails an expectation (see Fails) that the
	// baseline met or did not have: a required port that is no longer open, a
	// must-be-closed port that opened, a new entry or host that fails.
	Regression bool `json:"regression"`
}

// DetailRule names one probe detail field whose change matters to an audit.
// The probes declare them (probes.Probe.Drift); package scan lists them all
// (scan.DriftRules). Fields that change on every run (clocks, uptimes,
// counters) are never rules: they would drown real changes.
type DetailRule struct {
	Probe string // the probe's name (Result.Probe)
	// Path is a field path into the probe's JSON details: names separated by
	// dots; "name[key]" walks into each element of an array of objects,
	// identified by its field key (instances[name].tcp_port reads as
	// instances[SQLEXPRESS].tcp_port); "name[]" or "name[].field" collects the
	// values of an array into a set, compared without regard to order.
	Path    string
	Meaning string // what the change means to an administrator, in a sentence
}

// Diff compares a run with its baseline. It is pure: both reports are read,
// neither is modified. Hosts are matched by target and address (a named target
// whose only address changed is matched by name, with an address change);
// ports within a host by protocol and port, and ports a reply revealed (those
// with Under set) by protocol, probe and Under, so that a SQL instance that
// moved is one port-moved change rather than a port removed and another added.
func Diff(base, cur *Report, rules []DetailRule) *Drift {
	d := &Drift{
		Baseline: BaselineRef{Started: base.Started.UTC(), Finished: base.Finished.UTC()},
		Changes:  []Change{},
	}
	oldHosts, newHosts := groupHosts(base.Results), groupHosts(cur.Results)
	matched := map[hostKey]hostKey{} // new → old
	usedOld := map[hostKey]bool{}
	for _, k := range newHosts.order {
		if _, ok := oldHosts.byKey[k]; ok {
			matched[k], usedOld[k] = k, true
		}
	}
	// A name that resolved to one address then and another now is one host.
	for _, k := range newHosts.order {
		if _, ok := matched[k]; ok || !k.Addr.IsValid() || newHosts.perTarget[named(k)] != 1 || oldHosts.perTarget[named(k)] != 1 {
			continue
		}
		for _, o := range oldHosts.order {
			if named(o) == named(k) && o.Addr.IsValid() && !usedOld[o] {
				matched[k], usedOld[o] = o, true
				break
			}
		}
	}
	for _, k := range newHosts.order {
		rs := newHosts.byKey[k]
		ok, found := matched[k]
		if !found {
			c := Change{Kind: DriftHostAdded, Source: k.Vantage, Rule: k.Rule, Target: k.Target, Addr: k.Addr}
			for i := range rs {
				if Fails(&rs[i]) {
					c.Regression = true
				}
			}
			d.Changes = append(d.Changes, c)
			continue
		}
		if ok.Addr != k.Addr {
			d.Changes = append(d.Changes, Change{Kind: DriftAddress, Source: k.Vantage, Rule: k.Rule, Target: k.Target, Addr: k.Addr,
				Before: ok.Addr.String(), After: k.Addr.String()})
		}
		d.Changes = append(d.Changes, diffPorts(rules, k, oldHosts.byKey[ok], rs)...)
	}
	for _, k := range oldHosts.order {
		if !usedOld[k] {
			d.Changes = append(d.Changes, Change{Kind: DriftHostRemoved, Source: k.Vantage, Rule: k.Rule, Target: k.Target, Addr: k.Addr})
		}
	}
	slices.SortStableFunc(d.Changes, compareChanges)
	return d
}

// hostKey is HostKey: in a policy run, a destination is matched with itself
// checked from the same source by the same rule.
type hostKey = HostKey

// named is k without its address: a target as given (from one source, by one
// rule), whatever it resolved to.
func named(k hostKey) hostKey { k.Addr = netip.Addr{}; return k }

type hostGroups struct {
	order     []hostKey
	byKey     map[hostKey][]Result
	perTarget map[hostKey]int // by named
}

func groupHosts(rs []Result) hostGroups {
	sorted := Sorted(rs)
	g := hostGroups{byKey: map[hostKey][]Result{}, perTarget: map[hostKey]int{}}
	for _, r := range sorted {
		k := r.Key()
		if _, ok := g.byKey[k]; !ok {
			g.order = append(g.order, k)
			g.perTarget[named(k)]++
		}
		g.byKey[k] = append(g.byKey[k], r)
	}
	return g
}

// portKey identifies a port within a host across runs: ports a reply revealed
// by what revealed them, the others by number.
type portKey struct {
	proto Proto
	port  uint16
	probe string
	under string
}

func keyOf(r *Result) portKey {
	if r.Under != "" {
		return portKey{proto: r.Proto, probe: r.Probe, under: r.Under}
	}
	return portKey{proto: r.Proto, port: r.Port}
}

func diffPorts(rules []DetailRule, h hostKey, old, cur []Result) []Change {
	var out []Change
	oldBy := map[portKey][]*Result{}
	var oldOrder []portKey
	for i := range old {
		k := keyOf(&old[i])
		if _, ok := oldBy[k]; !ok {
			oldOrder = append(oldOrder, k)
		}
		oldBy[k] = append(oldBy[k], &old[i])
	}
	curBy := map[portKey][]*Result{}
	var curOrder []portKey
	for i := range cur {
		k := keyOf(&cur[i])
		if _, ok := curBy[k]; !ok {
			curOrder = append(curOrder, k)
		}
		curBy[k] = append(curBy[k], &cur[i])
	}
	for _, k := range curOrder {
		pairs, added, removed := pairPorts(oldBy[k], curBy[k])
		for _, p := range pairs {
			out = append(out, diffPort(rules, h, p[0], p[1])...)
		}
		for _, r := range added {
			out = append(out, portChange(DriftPortAdded, h, r, nil, r.State.String(), Fails(r)))
		}
		for _, r := range removed {
			out = append(out, portChange(DriftPortRemoved, h, r, r.State.String(), nil, false))
		}
	}
	for _, k := range oldOrder {
		if _, ok := curBy[k]; ok {
			continue
		}
		for _, r := range oldBy[k] {
			out = append(out, portChange(DriftPortRemoved, h, r, r.State.String(), nil, false))
		}
	}
	return out
}

// pairPorts matches the results of one key: the same port first, then the
// rest in port order (a moved follow-up); what is left over was added or
// removed.
func pairPorts(old, cur []*Result) (pairs [][2]*Result, added, removed []*Result) {
	usedOld := make([]bool, len(old))
	var rest []*Result
	for _, c := range cur {
		found := false
		for i, o := range old {
			if !usedOld[i] && o.Port == c.Port {
				usedOld[i], found = true, true
				pairs = append(pairs, [2]*Result{o, c})
				break
			}
		}
		if !found {
			rest = append(rest, c)
		}
	}
	var oldRest []*Result
	for i, o := range old {
		if !usedOld[i] {
			oldRest = append(oldRest, o)
		}
	}
	n := min(len(rest), len(oldRest))
	for i := range n {
		pairs = append(pairs, [2]*Result{oldRest[i], rest[i]})
	}
	return pairs, rest[n:], oldRest[n:]
}

func portChange(kind DriftKind, h hostKey, r *Result, before, after any, regression bool) Change {
	return Change{Kind: kind, Source: h.Vantage, Rule: h.Rule, Target: h.Target, Addr: h.Addr, Proto: r.Proto, Port: r.Port, Under: r.Under,
		Before: before, After: after, Check: r.Check, Regression: regression}
}

// diffPort compares one port's two results.
func diffPort(rules []DetailRule, h hostKey, o, c *Result) []Change {
	var out []Change
	regression := Fails(c) && !Fails(o)
	if o.Port != c.Port {
		out = append(out, portChange(DriftPortMoved, h, c, float64(o.Port), float64(c.Port), regression))
		regression = false // said once per port
	}
	if o.State != c.State && o.State != Unknown && c.State != Unknown {
		out = append(out, portChange(DriftState, h, c, o.State.String(), c.State.String(), regression))
		regression = false
	}
	if oe, ce := expectOf(o), expectOf(c); oe != ce {
		out = append(out, portChange(DriftExpect, h, c, nonEmpty(string(oe)), nonEmpty(string(ce)), regression))
	}
	if o.Probe == c.Probe && o.Probe != "" && o.Details != nil && c.Details != nil {
		out = append(out, diffDetails(rules, h, c, o.Details, c.Details)...)
	}
	return out
}

func expectOf(r *Result) Expectation {
	if r.Check == nil {
		return ExpectNone
	}
	return r.Check.Expect
}

// nonEmpty maps "" to nil, so that an absent value is absent in JSON too.
func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func diffDetails(rules []DetailRule, h hostKey, c *Result, oldDetails, curDetails any) []Change {
	ov, cv := genericJSON(oldDetails), genericJSON(curDetails)
	var out []Change
	for _, rule := range rules {
		if rule.Probe != c.Probe {
			continue
		}
		om, cm := map[string]any{}, map[string]any{}
		segs := strings.Split(rule.Path, ".")
		walkPath(ov, segs, "", om)
		walkPath(cv, segs, "", cm)
		var paths []string
		for p := range om {
			paths = append(paths, p)
		}
		for p := range cm {
			if _, ok := om[p]; !ok {
				paths = append(paths, p)
			}
		}
		slices.Sort(paths)
		for _, p := range paths {
			if reflect.DeepEqual(om[p], cm[p]) {
				continue
			}
			ch := portChange(DriftDetail, h, c, om[p], cm[p], false)
			ch.Probe, ch.Path = c.Probe, p
			out = append(out, ch)
		}
	}
	return out
}

// genericJSON returns v as encoding/json decodes it into an any: details of
// this run are probe structs, a baseline's are maps, and both must compare
// alike.
func genericJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

// walkPath evaluates a DetailRule path on a generic JSON value, adding each
// concrete path it reaches, with its value, to out. A missing field adds
// nothing.
func walkPath(v any, segs []string, prefix string, out map[string]any) {
	if len(segs) == 0 {
		out[prefix] = v
		return
	}
	name, sel, hasSel := strings.Cut(segs[0], "[")
	sel = strings.TrimSuffix(sel, "]")
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	child, ok := obj[name]
	if !ok || child == nil {
		return
	}
	p := name
	if prefix != "" {
		p = prefix + "." + name
	}
	if !hasSel {
		walkPath(child, segs[1:], p, out)
		return
	}
	arr, ok := child.([]any)
	if !ok {
		return
	}
	if sel == "" {
		set := []string{}
		for _, e := range arr {
			sub := map[string]any{}
			walkPath(e, segs[1:], "", sub)
			for _, x := range sub {
				set = append(set, scalarText(x))
			}
		}
		slices.Sort(set)
		set = slices.Compact(set)
		vals := make([]any, len(set))
		for i, s := range set {
			vals[i] = s
		}
		out[strings.Join(append([]string{p + "[]"}, segs[1:]...), ".")] = vals
		return
	}
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		key, ok := m[sel]
		if !ok {
			continue
		}
		walkPath(e, segs[1:], p+"["+scalarText(key)+"]", out)
	}
}

// scalarText renders a JSON value for a path or a set: strings as they are,
// anything else as JSON.
func scalarText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Key is the host c is about.
func (c *Change) Key() HostKey {
	return HostKey{Vantage: c.Source, Rule: c.Rule, Target: c.Target, Addr: c.Addr}
}

func compareChanges(a, b Change) int {
	if c := a.Key().Compare(b.Key()); c != 0 {
		return c
	}
	hostLevel := func(c Change) int {
		if c.Proto == "" && c.Port == 0 {
			return 0
		}
		return 1
	}
	if c := cmp.Compare(hostLevel(a), hostLevel(b)); c != 0 {
		return c
	}
	if c := CompareProto(a.Proto, b.Proto); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Under, b.Under); c != 0 {
		return c
	}
	if c := cmp.Compare(slices.Index(DriftKinds, a.Kind), slices.Index(DriftKinds, b.Kind)); c != 0 {
		return c
	}
	return cmp.Compare(a.Path, b.Path)
}

// Regressions returns the changes that are regressions (see Change.Regression).
func (d *Drift) Regressions() []Change {
	if d == nil {
		return nil
	}
	var out []Change
	for _, c := range d.Changes {
		if c.Regression {
			out = append(out, c)
		}
	}
	return out
}

// HostName is how tables name the change's host (see Host.Name).
func (c *Change) HostName() string {
	h := Host{Target: c.Target, Addr: c.Addr}
	return h.Name()
}

// Where is the port the change is about ("443/tcp", "49733/tcp instance
// SQLEXPRESS"), or "" for host-level changes.
func (c *Change) Where() string {
	if c.Proto == "" && c.Port == 0 {
		return ""
	}
	s := PortName(c.Proto, c.Port)
	if c.Under != "" {
		s += " " + c.Under
	}
	return s
}

// Text says what changed, in one line without the host and port:
// "open → filtered", "new: open", "gone (was open)", "moved from 49152/tcp",
// "expect optional → open", "sqlbrowser instances[SQLEXPRESS].tcp_port: 49152 → 49733",
// "cldap netlogon.flag_names[]: lost GC".
func (c *Change) Text() string {
	switch c.Kind {
	case DriftHostAdded:
		return "host appeared"
	case DriftHostRemoved:
		return "host disappeared"
	case DriftAddress:
		return "address " + valueText(c.Before) + " → " + valueText(c.After)
	case DriftPortAdded:
		return "new: " + valueText(c.After)
	case DriftPortRemoved:
		return "gone (was " + valueText(c.Before) + ")"
	case DriftPortMoved:
		return "moved from " + PortName(c.Proto, uint16(asFloat(c.Before)))
	case DriftState:
		return valueText(c.Before) + " → " + valueText(c.After)
	case DriftExpect:
		return "expect " + valueText(c.Before) + " → " + valueText(c.After)
	case DriftDetail:
		head := strings.TrimSpace(c.Probe + " " + c.Path + ":")
		if strings.Contains(c.Path, "[]") {
			ob, _ := c.Before.([]any)
			ab, _ := c.After.([]any)
			var parts []string
			if lost := setMinus(ob, ab); len(lost) > 0 {
				parts = append(parts, "lost "+strings.Join(lost, ", "))
			}
			if got := setMinus(ab, ob); len(got) > 0 {
				parts = append(parts, "gained "+strings.Join(got, ", "))
			}
			if len(parts) > 0 {
				return head + " " + strings.Join(parts, "; ")
			}
		}
		return head + " " + valueText(c.Before) + " → " + valueText(c.After)
	}
	return string(c.Kind)
}

func setMinus(a, b []any) []string {
	var out []string
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y any) bool { return reflect.DeepEqual(x, y) }) {
			out = append(out, valueText(x))
		}
	}
	return out
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return 0
}

// valueText renders a Before or After value: "(none)" when absent.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return "(none)"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
