package scan

import "github.com/portreach/portreach/results"

// ParsePorts parses a port list as results.ParsePortList does
// ("T:135,445,50000-50200,U:53,161,1434") into plan entries with no probe,
// kind or check: sorted, TCP first, overlaps merged.
func ParsePorts(spec string) ([]Port, error) {
	list, err := results.ParsePortList(spec)
	if err != nil {
		return nil, err
	}
	out := make([]Port, len(list))
	for i, p := range list {
		out[i] = Port{Proto: p.Proto, Lo: p.Lo, Hi: p.Hi}
	}
	return out, nil
}
