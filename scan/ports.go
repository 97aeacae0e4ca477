package scan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/portreach/portreach/results"
)

// ParsePorts parses an nmap-style port list: "T:135,445,50000-50200,U:53,161,1434".
// A "T:" or "U:" prefix sets the protocol for the ports after it, up to the next
// prefix; a list without one means TCP. "-" alone means every port, "N-" means N to
// 65535 and "-N" means 1 to N. Duplicates and overlaps are merged; the result is
// sorted, TCP first.
func ParsePorts(spec string) ([]Port, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("empty port list")
	}
	proto := results.TCP
	byProto := map[results.Proto][][2]int{}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if i := strings.IndexByte(item, ':'); i >= 0 {
			switch strings.ToUpper(item[:i]) {
			case "T":
				proto = results.TCP
			case "U":
				proto = results.UDP
			default:
				return nil, fmt.Errorf("port list %q: unknown protocol prefix %q (use T: for TCP or U: for UDP)", spec, item[:i+1])
			}
			item = item[i+1:]
		}
		if item == "" {
			return nil, fmt.Errorf("port list %q: empty item", spec)
		}
		lo, hi, err := parseRange(item)
		if err != nil {
			return nil, fmt.Errorf("port list %q: %w", spec, err)
		}
		byProto[proto] = append(byProto[proto], [2]int{lo, hi})
	}
	var out []Port
	for _, proto := range []results.Proto{results.TCP, results.UDP} {
		for _, r := range mergeRanges(byProto[proto]) {
			out = append(out, Port{Proto: proto, Lo: uint16(r[0]), Hi: uint16(r[1])})
		}
	}
	return out, nil
}

func parseRange(item string) (lo, hi int, err error) {
	if item == "-" {
		return 1, 65535, nil
	}
	a, b, isRange := strings.Cut(item, "-")
	if !isRange {
		p, err := parsePort(item)
		return p, p, err
	}
	lo, hi = 1, 65535
	if a != "" {
		if lo, err = parsePort(a); err != nil {
			return 0, 0, err
		}
	}
	if b != "" {
		if hi, err = parsePort(b); err != nil {
			return 0, 0, err
		}
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("range %q runs backwards (write %d-%d)", item, hi, lo)
	}
	return lo, hi, nil
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a port number", s)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %d is out of range (1-65535)", n)
	}
	return n, nil
}

func mergeRanges(rs [][2]int) [][2]int {
	slices.SortFunc(rs, func(a, b [2]int) int { return a[0] - b[0] })
	var out [][2]int
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1][1]+1 {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}
