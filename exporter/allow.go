package exporter

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// AllowList is the set of networks the exporter may scan. Its zero value allows
// nothing: an exporter reachable by anyone who can send it an HTTP request must
// not become a port scanner for arbitrary networks, so it refuses every target
// until its operator names the networks it watches.
//
// An AllowList is not modified after it is built and is safe for concurrent use.
type AllowList struct {
	prefixes []netip.Prefix
}

// ParseAllowList parses CIDR blocks ("198.18.0.0/15", "2001:db8::/32") and bare
// addresses (one host: /32 or /128). A prefix with host bits set
// ("198.18.1.7/24") is an error rather than a silent widening to its network: an
// operator who wrote it may have meant the single host.
func ParseAllowList(specs ...string) (AllowList, error) {
	var a AllowList
	for _, s := range specs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			addr, err := netip.ParseAddr(s)
			if err != nil || addr.Zone() != "" {
				return AllowList{}, fmt.Errorf("allow %q: want a CIDR block such as 198.18.0.0/15 or an address", s)
			}
			addr = addr.Unmap()
			a.prefixes = append(a.prefixes, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return AllowList{}, fmt.Errorf("allow %q: want a CIDR block such as 198.18.0.0/15 or an address", s)
		}
		if p.Addr().Is4In6() {
			// ::ffff:198.18.0.0/111 would match nothing: Contains compares unmapped
			// addresses, the form targets are checked in.
			return AllowList{}, fmt.Errorf("allow %q: write IPv4 networks in IPv4 form", s)
		}
		if p.Masked() != p {
			return AllowList{}, fmt.Errorf("allow %q: host bits set; write %s for the network or %s for the host",
				s, p.Masked(), netip.PrefixFrom(p.Addr(), p.Addr().BitLen()))
		}
		a.prefixes = append(a.prefixes, p)
	}
	return a, nil
}

// Len is the number of networks allowed.
func (a AllowList) Len() int { return len(a.prefixes) }

// Prefixes returns the networks allowed, in the order given.
func (a AllowList) Prefixes() []netip.Prefix { return append([]netip.Prefix(nil), a.prefixes...) }

// Allows reports whether addr may be scanned. IPv4-mapped IPv6 addresses are
// checked as the IPv4 address they carry (the kernel sends to that address), and
// an IPv6 zone is ignored: fe80::1%eth0 is allowed when fe80::/10 is.
func (a AllowList) Allows(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	for _, p := range a.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// String lists the networks as --allow takes them, or says "nothing".
func (a AllowList) String() string {
	if len(a.prefixes) == 0 {
		return "nothing"
	}
	s := make([]string, len(a.prefixes))
	for i, p := range a.prefixes {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// Everything names the address families the list covers whole ("IPv4",
// "IPv6"), by one prefix such as 0.0.0.0/0 or ::/0 or by several that
// together leave no gap (0.0.0.0/1 and 128.0.0.0/1): an exporter with such a
// list scans any host for whoever reaches it, the Internet included.
func (a AllowList) Everything() []string {
	var out []string
	for _, fam := range []struct {
		name  string
		first netip.Addr
	}{{"IPv4", netip.IPv4Unspecified()}, {"IPv6", netip.IPv6Unspecified()}} {
		var ps []netip.Prefix
		for _, p := range a.prefixes {
			if p.Addr().BitLen() == fam.first.BitLen() {
				ps = append(ps, p)
			}
		}
		if covers(ps, fam.first) {
			out = append(out, fam.name)
		}
	}
	return out
}

// covers reports whether ps, prefixes of one family, cover every address of
// it from first up.
func covers(ps []netip.Prefix, first netip.Addr) bool {
	slices.SortFunc(ps, func(x, y netip.Prefix) int { return x.Addr().Compare(y.Addr()) })
	next := first // the lowest address not covered yet
	for _, p := range ps {
		if next.Less(p.Addr()) {
			return false // a gap
		}
		if end := lastAddr(p); !end.Less(next) {
			if next = end.Next(); !next.IsValid() {
				return true // up to the family's last address
			}
		}
	}
	return false
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
