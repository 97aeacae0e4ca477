package exporter

import (
	"fmt"
	"net/netip"
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
