package report

import (
	"slices"

	"github.com/portreach/portreach/results"
)

// hostKey is a host: a target as given and the address it was probed at
// (and in a policy run its source and rule).
type hostKey = results.HostKey

// summarize counts r in its host's summary in m, started at its host's first
// result: the per-host state of the writers that keep no result.
func summarize(m map[hostKey]*results.Host, r *results.Result) {
	k := r.Key()
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
	for n < len(rs) && rs[n].Key() == h.Key() {
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
	slices.SortFunc(hosts, func(a, b results.Host) int { return a.Key().Compare(b.Key()) })
	return hosts
}
