package results

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PortRange is a port (Lo == Hi) or an inclusive range of ports. The zero
// value means no port: IP protocols, and dynamic-rpc entries that use the
// default range.
//
// Ports are written the same way everywhere they are read (-p, profiles, plan
// files, rpc --range, the exporter's ports=): decimal digits, 1 to 65535,
// nothing else (no sign, no spaces); a range is LO-HI with LO <= HI.
type PortRange struct {
	Lo, Hi uint16
}

// IsZero reports whether no port is set.
func (r PortRange) IsZero() bool { return r.Lo == 0 && r.Hi == 0 }

// Contains reports whether port p lies in the range.
func (r PortRange) Contains(p uint16) bool { return !r.IsZero() && r.Lo <= p && p <= r.Hi }

// String renders "445", "50000-50200", or "" for no port.
func (r PortRange) String() string {
	switch {
	case r.IsZero():
		return ""
	case r.Lo == r.Hi:
		return strconv.Itoa(int(r.Lo))
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// ParsePort parses one port number: "445".
func ParsePort(s string) (uint16, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a port number", s)
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		// Only digits: a number, too large (or 0) to be a port.
		return 0, fmt.Errorf("port %s is out of range (1-65535)", s)
	}
	return uint16(n), nil
}

// ParsePortRange parses "445" or "50000-50200".
func ParsePortRange(s string) (PortRange, error) {
	return parsePortRange(s, false)
}

// parsePortRange parses a port or a range. With openEnds, the port-list
// shorthands nmap users write are accepted too: "-" is every port, "LO-" runs
// to 65535, "-HI" starts at 1.
func parsePortRange(s string, openEnds bool) (PortRange, error) {
	if openEnds && s == "-" {
		return PortRange{1, 65535}, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	if !isRange {
		p, err := ParsePort(s)
		return PortRange{p, p}, err
	}
	if (a == "" || b == "") && !openEnds {
		return PortRange{}, fmt.Errorf("range %q needs both ends (LO-HI)", s)
	}
	r := PortRange{1, 65535}
	var err error
	if a != "" {
		if r.Lo, err = ParsePort(a); err != nil {
			return PortRange{}, err
		}
	}
	if b != "" {
		if r.Hi, err = ParsePort(b); err != nil {
			return PortRange{}, err
		}
	}
	if r.Lo > r.Hi {
		return PortRange{}, fmt.Errorf("range %q runs backwards (write %d-%d)", s, r.Hi, r.Lo)
	}
	return r, nil
}

// ProtoRange is one item of a port list: a protocol and a range of its ports.
type ProtoRange struct {
	Proto Proto
	PortRange
}

// String renders "tcp/445", "udp/50000-50200".
func (p ProtoRange) String() string { return string(p.Proto) + "/" + p.PortRange.String() }

// ParsePortList parses an nmap-style port list: "T:135,445,50000-50200,U:53,161".
// A "T:" or "U:" prefix (either case) sets the protocol for the items after it,
// up to the next prefix; a list without one means TCP. Items are ports and
// ranges as ParsePortRange reads them, with nmap's shorthands besides: "-"
// alone is every port, "LO-" runs to 65535 and "-HI" starts at 1. Spaces
// around an item are ignored. Duplicates and overlaps are merged; the result
// is sorted, TCP first.
func ParsePortList(spec string) ([]ProtoRange, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("empty port list")
	}
	proto := TCP
	byProto := map[Proto][]PortRange{}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if i := strings.IndexByte(item, ':'); i >= 0 {
			switch strings.ToUpper(item[:i]) {
			case "T":
				proto = TCP
			case "U":
				proto = UDP
			default:
				return nil, fmt.Errorf("port list %q: unknown protocol prefix %q (use T: for TCP or U: for UDP)", spec, item[:i+1])
			}
			item = item[i+1:]
		}
		if item == "" {
			return nil, fmt.Errorf("port list %q: empty item", spec)
		}
		r, err := parsePortRange(item, true)
		if err != nil {
			return nil, fmt.Errorf("port list %q: %w", spec, err)
		}
		byProto[proto] = append(byProto[proto], r)
	}
	var out []ProtoRange
	for _, proto := range []Proto{TCP, UDP} {
		for _, r := range mergeRanges(byProto[proto]) {
			out = append(out, ProtoRange{proto, r})
		}
	}
	return out, nil
}

// mergeRanges sorts rs and joins the ranges that overlap or touch.
func mergeRanges(rs []PortRange) []PortRange {
	slices.SortFunc(rs, func(a, b PortRange) int { return int(a.Lo) - int(b.Lo) })
	var out []PortRange
	for _, r := range rs {
		if n := len(out); n > 0 && int(r.Lo) <= int(out[n-1].Hi)+1 {
			out[n-1].Hi = max(out[n-1].Hi, r.Hi)
			continue
		}
		out = append(out, r)
	}
	return out
}
