package results

import "fmt"

// FamilyDisagreements says, for each target checked on addresses of both IP
// families (--addresses all) whose families do not agree, how they differ, in
// hosts' order: "dc01: reachable over IPv4, filtered over IPv6". A family is
// reachable when every port of its hosts got through (open or closed),
// filtered when none did, and partly filtered otherwise; families that read
// alike but whose verdicts differ say their verdicts ("dc01: passes over
// IPv4, fails over IPv6"). In a policy run, targets are told apart by source
// and rule too ("dc01 from dmz: …").
func FamilyDisagreements(hosts []Host) []string {
	type family struct {
		reached, stopped int
		verdict          Verdict
		seen             bool
	}
	type group struct {
		name string
		fam  [2]family // IPv4, IPv6
	}
	var order []HostKey
	groups := map[HostKey]*group{}
	for i := range hosts {
		h := &hosts[i]
		if !h.Addr.IsValid() {
			continue
		}
		k := h.Key()
		k.Addr = Host{}.Addr
		g := groups[k]
		if g == nil {
			g = &group{name: h.Target}
			if h.Vantage != nil {
				g.name += " from " + h.Vantage.Name
			}
			if h.Rule != "" {
				g.name += " (" + h.Rule + ")"
			}
			groups[k] = g
			order = append(order, k)
		}
		f := &g.fam[0]
		if h.Addr.Is6() && !h.Addr.Is4In6() {
			f = &g.fam[1]
		}
		if !f.seen {
			f.verdict = h.Verdict
		} else if h.Verdict == VerdictFail || f.verdict == VerdictNone {
			f.verdict = h.Verdict
		}
		f.seen = true
		f.reached += h.States[Open] + h.States[Closed]
		f.stopped += h.States[Filtered] + h.States[OpenFiltered]
	}
	word := func(f family) string {
		switch {
		case f.stopped == 0 && f.reached > 0:
			return "reachable"
		case f.reached == 0 && f.stopped > 0:
			return "filtered"
		case f.reached == 0:
			return "not tested"
		}
		return fmt.Sprintf("partly filtered (%d of %d ports)", f.stopped, f.reached+f.stopped)
	}
	verdictWord := map[Verdict]string{VerdictPass: "passes", VerdictFail: "fails", VerdictNone: "has no verdict"}
	var out []string
	for _, k := range order {
		g := groups[k]
		v4, v6 := g.fam[0], g.fam[1]
		if !v4.seen || !v6.seen {
			continue
		}
		w4, w6 := word(v4), word(v6)
		if w4 == w6 {
			if v4.verdict == v6.verdict {
				continue
			}
			w4, w6 = verdictWord[v4.verdict], verdictWord[v6.verdict]
		}
		out = append(out, fmt.Sprintf("%s: %s over IPv4, %s over IPv6", g.name, w4, w6))
	}
	return out
}
