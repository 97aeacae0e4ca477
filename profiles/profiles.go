// Package profiles owns portreach's catalogue of server roles: for each Windows,
// Exchange, SQL Server or BizTalk role, the ports it needs, what is expected of each
// (open, optional, closed), which destination role answers on it, the UDP probe that
// tests it, and the vendor document and table row that require it.
//
// The catalogue is data: JSON files under data/, embedded with go:embed and decoded
// strictly (an unknown field, a bad port or a dangling include is an error naming
// file and line). Users add their own profiles in the same schema (AddFile) or in a
// plan file (ParsePlan). Merge turns the profiles a user asked for into the
// de-duplicated list of checks the scanner runs.
//
// The package names probes by string and never imports the scanner.
package profiles

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/results"
)

//go:generate go run ./cmd/genprofiles -o ../PROFILES.md

//go:embed data/*.json
var dataFS embed.FS

// Profile is one server role, service or component: the ports it needs.
// A Profile belongs to its Catalog and must not be modified.
//
// Product and Version say what the profile is for ("SQL Server" "2019/2022");
// Platforms, when the product is not itself the operating system, the Windows
// versions it runs on. AppliesTo renders the three together.
type Profile struct {
	Slug        string   `json:"slug"`        // stable identifier: "exchange-2016-mailbox"
	Name        string   `json:"name"`        // display name: "Exchange 2016 Mailbox"
	Aliases     []string `json:"aliases"`     // other names Lookup accepts: "e2016-mbx"
	Description string   `json:"description"` // one or two sentences
	Product     string   `json:"product"`     // "Exchange Server", "Windows Server", …
	Version     string   `json:"version"`     // "2016"; "2016/2019"; "" when the profile spans versions
	Platforms   []string `json:"platforms"`   // operating systems it runs on, when the product is not one: "Windows Server 2022"
	Include     []string `json:"include"`     // slugs whose entries and roles this profile adds
	Roles       []Role   `json:"roles"`       // destination roles other than the scanned host
	Entries     []Entry  `json:"entries"`     // this profile's own entries, without includes
	Pos         Pos      `json:"-"`           // where the profile is defined
}

// AppliesTo says which product versions and platforms the profile is for:
// "Windows Server 2003", "SQL Server 2019/2022 on Windows Server 2019, Windows
// Server 2022".
func (p *Profile) AppliesTo() string {
	s := strings.TrimSpace(p.Product + " " + p.Version)
	if len(p.Platforms) > 0 {
		s += " on " + joinVersions(p.Platforms)
	}
	return s
}

// joinVersions writes versions of one product the way Version does, "Windows
// Server 2019/2022", and anything else as a comma-separated list.
func joinVersions(names []string) string {
	prefix, _, _ := cutLast(names[0])
	var vers []string
	for _, n := range names {
		pre, ver, ok := cutLast(n)
		if !ok || pre != prefix {
			return strings.Join(names, ", ")
		}
		vers = append(vers, ver)
	}
	return prefix + " " + strings.Join(vers, "/")
}

// cutLast splits "Windows Server 2022" into "Windows Server" and "2022".
func cutLast(s string) (before, after string, found bool) {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// Role is a destination other than the scanned host, for profiles that describe
// what a server must reach (BizTalk Send server → SQL Server, SMTP server, …).
// The user maps a role to a host with --role KEY=HOST or in a plan file.
type Role struct {
	Key         string         `json:"key"`         // "sql", "smtp", "mailbox"
	Description string         `json:"description"` // "SQL Server that the SQL adapter reads and writes"
	Source      results.Source `json:"source"`      // the document that names this destination
	Pos         Pos            `json:"-"`
}

// Kind says how an entry's port is found.
type Kind string

// The kinds of entry.
const (
	// Fixed is an ordinary entry: the service listens on the given port or range.
	Fixed Kind = ""
	// DynamicRPC stands for the documents' "randomly allocated high TCP ports": the
	// service registers an RPC endpoint on a port the RPC runtime picks. The scanner
	// asks the endpoint mapper on 135/tcp which ports are registered rather than
	// sweeping the range. Port, when set, is the range the documents say RPC was
	// restricted to (BizTalk's 50000-50200); when unset the Windows default applies
	// (49152-65535 since Windows Server 2008, KB929851), and the user may override it.
	DynamicRPC Kind = "dynamic-rpc"
	// Negotiated marks ports agreed per session (RTP media, H.323 streams, the RVP
	// call-back): nothing listens on them in advance, so they cannot be tested and
	// are reported not-tested, never dropped.
	Negotiated Kind = "negotiated"
)

// Entry is one port requirement of a profile. After Merge, an Entry also carries
// the host it is checked on and every profile and source that asked for it.
type Entry struct {
	Proto   results.Proto       `json:"proto"`   // "tcp", "udp", or an IP protocol: "gre", "esp", "ah"
	Port    results.PortRange   `json:"port"`    // 445 or "50000-50200"; unset for IP protocols
	Kind    Kind                `json:"kind"`    // "", "dynamic-rpc" or "negotiated"
	Service string              `json:"service"` // application protocol or service: "Kerberos"
	Purpose string              `json:"purpose"` // why the port is needed, one line
	Probe   string              `json:"probe"`   // UDP probe, or TCP service to confirm (probes.ServiceByName); "" = the port's default, if any
	Expect  results.Expectation `json:"expect"`  // open (required), optional, closed or blocked (a firewall must stop it)
	Role    string              `json:"role"`    // destination role; "" = the scanned host
	// Interfaces, for a dynamic-rpc entry, name the RPC interfaces that make up
	// the service, by msrpc key or UUID ("msdtc", "drsuapi"); "frsrpc|dfsr" means
	// either one. Each must be registered with the endpoint mapper, reachable and
	// accept a bind. Empty: any registered port counts (the older meaning).
	Interfaces []string `json:"interfaces"`
	// Require names what the service must show beyond answering, each a
	// requirement of the entry's TCP service (probes.Requirement):
	// "smb-signing" on 445 and 139.
	Require []string       `json:"require"`
	Note    string         `json:"note"`   // where documents disagree or are ambiguous
	Source  results.Source `json:"source"` // document and section or table row
	Pos     Pos            `json:"-"`      // where the entry is defined

	// Profile is the slug of the profile that defines the entry.
	Profile string `json:"-"`

	// Set by Merge.
	Host     string           `json:"-"` // host the Role is mapped to; "" for the scanned host
	Profiles []string         `json:"-"` // slugs of every requested profile that asked
	Sources  []results.Source `json:"-"` // every source that asked, in order, without repeats
}

// Pos is where a profile, role or entry is defined: "data/windows.json:120".
type Pos struct {
	File string
	Line int
}

// String renders "file:line", or "" when the position is unknown.
func (p Pos) String() string {
	if p.File == "" {
		return ""
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// Label renders the entry's protocol and port as tables show them: "tcp/445",
// "udp/1645", "tcp/50000-50200 dynamic-rpc", "tcp dynamic-rpc", "gre".
func (e *Entry) Label() string {
	s := string(e.Proto)
	if !e.Port.IsZero() {
		s += "/" + e.Port.String()
	}
	if e.Kind != Fixed {
		s += " " + string(e.Kind)
	}
	return s
}

// Testable reports whether the scanner can test the entry: TCP and UDP ports are
// testable; IP protocols (GRE, ESP, AH) need raw sockets and negotiated ports do
// not exist in advance, so both are reported not-tested with Why.
func (e *Entry) Testable() bool {
	return (e.Proto == results.TCP || e.Proto == results.UDP) && e.Kind != Negotiated
}

// Why explains why an entry is not testable, for a not-tested result's reason.
// It returns "" for testable entries.
func (e *Entry) Why() results.Reason {
	switch {
	case e.Proto != results.TCP && e.Proto != results.UDP:
		return results.ReasonIPProto
	case e.Kind == Negotiated:
		return results.ReasonNegotiated
	}
	return ""
}

// Catalog is a set of profiles with unique slugs, names and aliases, whose includes
// resolve without cycles. It is safe for concurrent reads; AddFile and AddPlan must
// not run concurrently with anything else.
type Catalog struct {
	profiles []*Profile          // in slug order
	bySlug   map[string]*Profile // slug → profile
	byName   map[string]*Profile // lower-cased slug, name and aliases → profile
}

// Load returns the catalogue built into the binary.
func Load() (*Catalog, error) {
	c := &Catalog{}
	names, err := fs.Glob(dataFS, "data/*.json")
	if err != nil {
		return nil, err
	}
	var all []*Profile
	for _, name := range names {
		b, err := dataFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ps, err := parseCatalogFile(path.Join("profiles", name), b)
		if err != nil {
			return nil, err
		}
		all = append(all, ps...)
	}
	if err := c.add(all); err != nil {
		return nil, err
	}
	return c, nil
}

// Profiles returns every profile, in slug order.
func (c *Catalog) Profiles() []*Profile { return slices.Clone(c.profiles) }

// Profile returns the profile with exactly that slug, or nil.
func (c *Catalog) Profile(slug string) *Profile { return c.bySlug[slug] }

// ProbeNames returns every probe name the catalogue's entries use (UDP probes
// and TCP services to confirm), sorted, so that a test next to the probes can
// check each one exists.
func (c *Catalog) ProbeNames() []string {
	var names []string
	for _, p := range c.profiles {
		for i := range p.Entries {
			if n := p.Entries[i].Probe; n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names
}

// Resolve returns the profile's entries followed by those of its includes, depth
// first, each included profile once; and the roles they declare. Every entry's
// Profile field names the profile that defines it.
func (c *Catalog) Resolve(p *Profile) ([]Entry, []Role) {
	var entries []Entry
	var roles []Role
	seen := map[string]bool{}
	var walk func(p *Profile)
	walk = func(p *Profile) {
		if seen[p.Slug] {
			return
		}
		seen[p.Slug] = true
		for _, e := range p.Entries {
			e.Profile = p.Slug
			entries = append(entries, e)
		}
		for _, r := range p.Roles {
			if !slices.ContainsFunc(roles, func(q Role) bool { return q.Key == r.Key }) {
				roles = append(roles, r)
			}
		}
		for _, s := range p.Include {
			if q := c.bySlug[s]; q != nil {
				walk(q)
			}
		}
	}
	walk(p)
	return entries, roles
}

// LookupInterfaceSet resolves one name of an entry's Interfaces: a key, name or
// UUID of msrpc's interface table, or alternatives joined by "|" ("frsrpc|dfsr"),
// any one of which answers for the service (the scanner's scan.InterfaceSet). A
// UUID the table does not know is accepted as it is.
func LookupInterfaceSet(name string) ([]msrpc.Interface, error) {
	var set []msrpc.Interface
	for _, n := range strings.Split(name, "|") {
		i, ok := msrpc.LookupInterface(n)
		if !ok {
			return nil, fmt.Errorf("RPC interface %q: not a UUID nor a known interface key (msdtc, drsuapi, netlogon, …)", n)
		}
		set = append(set, i)
	}
	return set, nil
}
