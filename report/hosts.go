package report

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/portreach/portreach/results"
)

// hostKey is a host: a target as given and the address it was probed at.
type hostKey struct {
	target string
	addr   netip.Addr
}

// summarize counts r in its host's summary in m, started at its host's first
// result: the per-host state of the writers that keep no result.
func summarize(m map[hostKey]*results.Host, r *results.Result) {
	k := hostKey{r.Target, r.Addr}
	h := m[k]
	if h == nil {
		nh := results.NewHost(r)
		h = &nh
		m[k] = h
	}
	h.Add(r)
}

// hostResults returns the results of h that rs, in results.Sort order, starts with.
func hostResults(rs []results.Result, h *results.Host) []results.Result {
	n := 0
	for n < len(rs) && rs[n].Target == h.Target && rs[n].Addr == h.Addr {
		n++
	}
	return rs[:n]
}

// sortedHosts returns the summaries, decided, in results.Sort order.
func sortedHosts(m map[hostKey]*results.Host) []results.Host {
	hosts := make([]results.Host, 0, len(m))
	for _, h := range m {
		h.Decide()
		hosts = append(hosts, *h)
	}
	slices.SortFunc(hosts, func(a, b results.Host) int {
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c
		}
		return cmp.Compare(a.Target, b.Target)
	})
	return hosts
}
