package scan

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/netip"
	"strconv"
	"strings"
)

// Targets is a set of target specifications, expanded lazily: iterating a /16 never
// builds a slice of its addresses.
//
// A specification is an IPv4 or IPv6 address ("[::1]" too), a CIDR block
// ("198.18.0.0/24"), an IPv4 octet range ("198.18.1.1-20", "198.18.1-2.1,5,9-12"),
// or a host name, resolved once when the scanner reaches it.
//
// With a limit (SetLimit), every specification is counted as it is added, so a
// huge block or list is refused after at most the limit's worth of work and
// memory.
type Targets struct {
	specs    []targetSpec
	excludes []targetSpec
	limit    int  // 0: none
	count    int  // targets added so far, exclusions removed, when limit > 0
	all      bool // names added from now on are scanned on every address (SetAllAddresses)
}

type targetSpec struct {
	text   string
	host   string       // a name to resolve
	prefix netip.Prefix // an address or CIDR block (masked)
	octets [4][][2]int  // an octet range; used when octets[0] != nil
	ports  []Port       // the targets' own ports (Target.Ports); nil: the plan's
	all    bool         // Target.AllAddresses, for a name
}

// ErrTooManyHosts is wrapped by the error of an Add that takes the targets past
// the limit set with SetLimit.
var ErrTooManyHosts = errors.New("too many target hosts")

// SetLimit makes Add, AddPorts and AddTargets fail with ErrTooManyHosts once the
// set holds more than n targets after exclusions; it fails so itself when the
// targets already added are more. Give the exclusions first: targets are
// counted as they are added.
func (t *Targets) SetLimit(n int) error {
	t.limit, t.count = n, 0
	for i := range t.specs {
		if t.count += t.specs[i].count(t.excludes, n+1-t.count); t.count > n {
			return fmt.Errorf("%w: more than %d", ErrTooManyHosts, n)
		}
	}
	return nil
}

// Add parses and adds target specifications.
func (t *Targets) Add(specs ...string) error { return t.AddPorts(nil, specs...) }

// AddPorts adds target specifications whose targets are checked on ports
// instead of the plan's (a destination role's host, a plan item's targets).
func (t *Targets) AddPorts(ports []Port, specs ...string) error {
	for _, s := range specs {
		ts, err := parseTarget(s, true)
		if err != nil {
			return err
		}
		ts.ports, ts.all = ports, t.all
		if err := t.add(ts); err != nil {
			return err
		}
	}
	return nil
}

// SetAllAddresses says whether the host names added from now on are scanned
// on every address they resolve to (Target.AllAddresses) or on the first.
func (t *Targets) SetAllAddresses(all bool) { t.all = all }

// AddTargets adds every specification of o, with its ports.
func (t *Targets) AddTargets(o *Targets) error {
	for _, ts := range o.specs {
		if err := t.add(ts); err != nil {
			return err
		}
	}
	return nil
}

func (t *Targets) add(ts targetSpec) error {
	if t.limit > 0 {
		t.count += ts.count(t.excludes, t.limit+1-t.count)
		if t.count > t.limit {
			return fmt.Errorf("%w: more than %d", ErrTooManyHosts, t.limit)
		}
	}
	t.specs = append(t.specs, ts)
	return nil
}

// count counts the spec's targets outside excludes, stopping at most.
func (s *targetSpec) count(excludes []targetSpec, most int) int {
	if s.host != "" {
		return 1
	}
	n := 0
	for range s.addrs(excludes) {
		if n++; n >= most {
			break
		}
	}
	return n
}

// Exclude parses and adds exclusions: addresses, CIDR blocks or octet ranges.
func (t *Targets) Exclude(specs ...string) error {
	for _, s := range specs {
		ts, err := parseTarget(s, false)
		if err != nil {
			return err
		}
		t.excludes = append(t.excludes, ts)
	}
	return nil
}

// ReadList reads specifications from r, one or more a line, separated by blanks or
// commas; '#' starts a comment. add is Add or Exclude.
func ReadList(r io.Reader, name string, add func(...string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' }) {
			if err := add(f); err != nil {
				return fmt.Errorf("%s:%d: %w", name, line, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%s:%d: line longer than 1 MiB", name, line+1)
		}
		return fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return nil
}

// Len reports whether the set is empty.
func (t *Targets) Len() int { return len(t.specs) }

// Count counts the targets that remain after exclusions, stopping at limit+1 so
// that counting a huge block costs no more than the limit.
func (t *Targets) Count(limit int) int {
	n := 0
	for range t.All() {
		n++
		if n > limit {
			break
		}
	}
	return n
}

// Chain yields the targets of each sequence in turn: a plan's named hosts
// after the ones the DC locator found, a list's after the command line's.
func Chain(seqs ...iter.Seq[Target]) iter.Seq[Target] {
	return func(yield func(Target) bool) {
		for _, seq := range seqs {
			for t := range seq {
				if !yield(t) {
					return
				}
			}
		}
	}
}

// All yields the targets in the order given, exclusions removed. Host names are
// yielded unresolved (zero Addr).
func (t *Targets) All() iter.Seq[Target] {
	return func(yield func(Target) bool) {
		for _, s := range t.specs {
			if s.host != "" {
				if !yield(Target{Name: s.host, Ports: s.ports, AllAddresses: s.all}) {
					return
				}
				continue
			}
			for a := range s.addrs(t.excludes) {
				if !yield(Target{Name: a.String(), Addr: a, Ports: s.ports}) {
					return
				}
			}
		}
	}
}

// excludedBy returns the exclusion that holds a, or nil.
func excludedBy(excludes []targetSpec, a netip.Addr) *targetSpec {
	for i := range excludes {
		if excludes[i].contains(a) {
			return &excludes[i]
		}
	}
	return nil
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func (s *targetSpec) contains(a netip.Addr) bool {
	if s.octets[0] == nil {
		return s.prefix.Contains(a)
	}
	if !a.Is4() {
		return false
	}
	b := a.As4()
	for i, rs := range s.octets {
		in := false
		for _, r := range rs {
			if int(b[i]) >= r[0] && int(b[i]) <= r[1] {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

// addrs yields the spec's addresses not in excludes. A whole excluded block is
// stepped over at once, so "::/0 --exclude ::/0" ends at once instead of
// walking 2^128 addresses.
func (s *targetSpec) addrs(excludes []targetSpec) iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		if s.octets[0] == nil {
			for a := s.prefix.Addr(); a.IsValid() && s.prefix.Contains(a); a = a.Next() {
				if e := excludedBy(excludes, a); e != nil {
					if e.octets[0] == nil {
						a = lastAddr(e.prefix) // the loop steps past it
					}
					continue
				}
				if !yield(a) {
					return
				}
			}
			return
		}
		var b [4]byte
		var walk func(i int) bool
		walk = func(i int) bool {
			if i == 4 {
				a := netip.AddrFrom4(b)
				if excludedBy(excludes, a) != nil {
					return true
				}
				return yield(a)
			}
			if i > 0 && subtreeExcluded(excludes, b, i) {
				return true
			}
			for _, r := range s.octets[i] {
				for v := r[0]; v <= r[1]; v++ {
					b[i] = byte(v)
					if !walk(i + 1) {
						return false
					}
				}
			}
			return true
		}
		walk(0)
	}
}

// subtreeExcluded reports whether a CIDR exclusion holds every address whose
// first n octets are b's.
func subtreeExcluded(excludes []targetSpec, b [4]byte, n int) bool {
	for _, e := range excludes {
		if e.octets[0] == nil && e.prefix.Addr().Is4() && e.prefix.Bits() <= 8*n && e.prefix.Contains(netip.AddrFrom4(b)) {
			return true
		}
	}
	return false
}

func parseTarget(s string, allowHost bool) (targetSpec, error) {
	ts := targetSpec{text: s}
	in := strings.TrimSpace(s)
	if in == "" {
		return ts, fmt.Errorf("empty target")
	}
	if strings.HasPrefix(in, "[") && strings.HasSuffix(in, "]") {
		in = in[1 : len(in)-1]
	}
	if strings.Contains(in, "/") {
		p, err := netip.ParsePrefix(in)
		if err != nil {
			return ts, fmt.Errorf("target %q: not a CIDR block (like 198.18.0.0/24 or 2001:db8::/120)", s)
		}
		ts.prefix = p.Masked()
		return ts, nil
	}
	if a, err := netip.ParseAddr(in); err == nil {
		if a.Zone() != "" {
			return ts, fmt.Errorf("target %q: zoned IPv6 addresses are not supported", s)
		}
		ts.prefix = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		return ts, nil
	}
	if strings.Contains(in, ":") {
		return ts, fmt.Errorf("target %q: not a valid IPv6 address", s)
	}
	if looksNumeric(in) {
		parts := strings.Split(in, ".")
		if len(parts) != 4 {
			return ts, fmt.Errorf("target %q: an IPv4 address or range has four octets", s)
		}
		for i, p := range parts {
			rs, err := parseOctet(p)
			if err != nil {
				return ts, fmt.Errorf("target %q: octet %d: %w", s, i+1, err)
			}
			ts.octets[i] = rs
		}
		return ts, nil
	}
	if !allowHost {
		return ts, fmt.Errorf("exclusion %q: use addresses, CIDR blocks or octet ranges, not host names", s)
	}
	if err := checkHostname(in); err != nil {
		return ts, fmt.Errorf("target %q: %w", s, err)
	}
	ts.host = in
	return ts, nil
}

func looksNumeric(s string) bool {
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' && r != '-' && r != ',' {
			return false
		}
	}
	return true
}

func parseOctet(p string) ([][2]int, error) {
	var rs [][2]int
	for _, item := range strings.Split(p, ",") {
		a, b, isRange := strings.Cut(item, "-")
		lo, err := octet(a)
		if err != nil {
			return nil, err
		}
		hi := lo
		if isRange {
			if hi, err = octet(b); err != nil {
				return nil, err
			}
			if lo > hi {
				return nil, fmt.Errorf("range %q runs backwards", item)
			}
		}
		rs = append(rs, [2]int{lo, hi})
	}
	return rs, nil
}

func octet(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("%q is not a number from 0 to 255", s)
	}
	return n, nil
}

// checkHostname applies RFC 1123 syntax, so a typo is an input error at once rather
// than a failed lookup later.
func checkHostname(h string) error {
	h = strings.TrimSuffix(h, ".")
	if len(h) > 253 {
		return fmt.Errorf("host name longer than 253 characters")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("not a valid host name (empty or over-long label)")
		}
		for i, r := range label {
			ok := r == '-' && i > 0 && i < len(label)-1 || r == '_' ||
				r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
			if !ok {
				return fmt.Errorf("not a valid host name (character %q)", r)
			}
		}
	}
	return nil
}
