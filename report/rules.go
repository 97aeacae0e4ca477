package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/portreach/portreach/results"
)

// RulesWriter writes the firewall request a run's failures make: for every
// failed check a firewall can fix, a line "allow|deny PROTO from SOURCE to
// DESTINATION port P  # destination, why (source, rule, profiles; documents)",
// grouped by action, protocol, source and destination address, ports merged
// into ranges: what an administrator sends to the firewall team. A check that must be open,
// reachable (or that a role needs) and was filtered is an allow; one that must
// be blocked or closed and answered is a deny. Failures a firewall does not
// fix (a stopped service, a source that measured nothing, a name that did not
// resolve, a silent UDP port) are counted by reason in a closing comment, not
// turned into rules. It keeps only the failures. A RulesWriter is safe for
// concurrent use.
type RulesWriter struct {
	mu     sync.Mutex
	w      io.Writer
	groups map[ruleGroup]*ruleLines
	other  map[results.Reason]int // failures no rule fixes, by reason
}

// NewRulesWriter returns a firewall-request writer to w.
func NewRulesWriter(w io.Writer) *RulesWriter {
	return &RulesWriter{w: w, groups: map[ruleGroup]*ruleLines{}, other: map[results.Reason]int{}}
}

type ruleGroup struct {
	action   string // allow, deny
	proto    results.Proto
	from, to string
}

type ruleLines struct {
	ports   []uint16 // as written: sorted and compacted at Close (a range scan may add 65535)
	why     []string // destination names and reasons, in order seen
	profile []string
	docs    []string
}

// firewallAction is what a firewall must do about r's failed check, or "".
func firewallAction(r *results.Result) string {
	if !results.Fails(r) || r.Port == 0 || (r.Proto != results.TCP && r.Proto != results.UDP) {
		return ""
	}
	switch e := r.Check.Expect; {
	case (e == results.ExpectOpen || e == results.ExpectReachable) && r.State == results.Filtered:
		return "allow"
	case e == results.ExpectBlocked && (r.State == results.Open || r.State == results.Closed):
		return "deny"
	case e == results.ExpectClosed && r.State == results.Open:
		return "deny"
	}
	return ""
}

// Write keeps r when it is a failure a firewall can fix.
func (rw *RulesWriter) Write(r results.Result) error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	action := firewallAction(&r)
	if action == "" {
		if results.Fails(&r) {
			rw.other[results.Why(&r)]++
		}
		return nil
	}
	from := "any"
	switch {
	case r.Source.IsValid():
		from = r.Source.String()
	case r.Vantage != nil && r.Vantage.Address.IsValid():
		from = r.Vantage.Address.String()
	}
	to := r.Target
	if r.Addr.IsValid() {
		to = r.Addr.String()
	}
	g := ruleGroup{action, r.Proto, from, to}
	l := rw.groups[g]
	if l == nil {
		l = &ruleLines{}
		rw.groups[g] = l
	}
	l.ports = append(l.ports, r.Port)
	add := func(list *[]string, s string) {
		if s != "" && !slices.Contains(*list, s) {
			*list = append(*list, s)
		}
	}
	if r.Target != to {
		add(&l.why, r.Target)
	}
	add(&l.why, string(results.Why(&r)))
	if r.Vantage != nil {
		add(&l.profile, "source "+r.Vantage.Name)
	}
	if r.Rule != "" {
		add(&l.profile, r.Rule)
	}
	for _, p := range r.Check.Profiles {
		add(&l.profile, p)
	}
	for _, s := range r.Check.Sources {
		add(&l.docs, s.Document)
	}
	return nil
}

// Close writes the lines, allows first, then by protocol, source and
// destination.
func (rw *RulesWriter) Close(*results.Report) error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	keys := make([]ruleGroup, 0, len(rw.groups))
	for k := range rw.groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b ruleGroup) int {
		return cmp.Or(cmp.Compare(a.action, b.action), results.CompareProto(a.proto, b.proto),
			compareAddrText(a.from, b.from), compareAddrText(a.to, b.to))
	})
	bw := bufio.NewWriter(rw.w)
	if len(keys) == 0 && len(rw.other) == 0 {
		fmt.Fprintln(bw, "# no failed check that a firewall rule fixes")
	}
	for _, k := range keys {
		l := rw.groups[k]
		slices.Sort(l.ports)
		l.ports = slices.Compact(l.ports)
		why := strings.Join(l.why, ", ")
		if ctx := strings.Join(append(append([]string{}, l.profile...), l.docs...), "; "); ctx != "" {
			why += " (" + ctx + ")"
		}
		fmt.Fprintf(bw, "%s %s from %s to %s port %s  # %s\n", k.action, k.proto, printable(k.from), printable(k.to), portList(l.ports), printable(why))
	}
	if len(rw.other) > 0 {
		reasons := slices.Sorted(maps.Keys(rw.other))
		counts := make([]string, len(reasons))
		n := 0
		for i, why := range reasons {
			n += rw.other[why]
			counts[i] = fmt.Sprintf("%d %s", rw.other[why], why)
		}
		checks := plural(n, "check", "checks")
		if len(keys) == 0 {
			fmt.Fprintf(bw, "# no firewall rule fixes the %d failed %s", n, checks)
		} else {
			fmt.Fprintf(bw, "# and %d failed %s that no firewall rule fixes", n, checks)
		}
		fmt.Fprintf(bw, " (%s): see the table\n", printable(strings.Join(counts, ", ")))
	}
	return bw.Flush()
}

// portList merges sorted ports into ranges: "80,443,50000-50200".
func portList(ports []uint16) string {
	var parts []string
	for i := 0; i < len(ports); {
		j := i
		for j+1 < len(ports) && ports[j+1] == ports[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", ports[i], ports[j]))
		} else {
			parts = append(parts, fmt.Sprint(ports[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// compareAddrText orders addresses numerically, anything else after them.
func compareAddrText(a, b string) int {
	pa, ea := netip.ParseAddr(a)
	pb, eb := netip.ParseAddr(b)
	switch {
	case ea == nil && eb == nil:
		return pa.Compare(pb)
	case ea == nil:
		return -1
	case eb == nil:
		return 1
	}
	return cmp.Compare(a, b)
}
