package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/portreach/portreach/checklist"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/scan"
)

// cmdFlags is one command's flags: Go's flag package parses them; cmdFlags adds
// what it lacks: help grouped by topic with the --long spelling the README uses
// and short forms beside long ones, flags after positional arguments, and limits
// checked once for every command.
//
// To add a flag: define it with the usual FlagSet method after the Group call
// of the topic it belongs to (that is the only line needed); give it a short
// form with Short, bounds with Limit, and the values shell completion offers
// with Complete, on the lines after it.
type cmdFlags struct {
	*flag.FlagSet
	header string // help text printed before the flags

	groups []string          // help topics, in order
	order  []string          // long names, in the order defined
	group  map[string]string // long name -> its topic
	short  map[string]string // long name -> its short form
	alias  map[string]bool   // short forms (listed beside their long form)
	limits map[string]limit
	values map[string]valueSet // long name -> what shell completion offers
	cur    string
}

// valueSet is what shell completion offers as a flag's value.
type valueSet struct {
	values func() []candidate
	list   bool // comma-separated: complete after the last comma too
}

// limit is the range a numeric flag accepts when it is given.
type limit struct {
	lo, hi int64  // durations in nanoseconds
	hint   string // appended to the error, e.g. what leaving the flag out means
}

func newCmdFlags(name, header string) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors get one line and a hint; --help gets the text on stdout
	fs.Usage = func() {}
	return &cmdFlags{FlagSet: fs, header: header, group: map[string]string{},
		short: map[string]string{}, alias: map[string]bool{}, limits: map[string]limit{},
		values: map[string]valueSet{}}
}

// Var, StringVar, IntVar, BoolVar and DurationVar define a flag as package
// flag's do, and list it in the help under the current topic, in this order.
func (f *cmdFlags) Var(v flag.Value, name, usage string) {
	f.FlagSet.Var(v, name, usage)
	f.defined(name)
}

func (f *cmdFlags) StringVar(p *string, name, value, usage string) {
	f.FlagSet.StringVar(p, name, value, usage)
	f.defined(name)
}

func (f *cmdFlags) IntVar(p *int, name string, value int, usage string) {
	f.FlagSet.IntVar(p, name, value, usage)
	f.defined(name)
}

func (f *cmdFlags) BoolVar(p *bool, name string, value bool, usage string) {
	f.FlagSet.BoolVar(p, name, value, usage)
	f.defined(name)
}

func (f *cmdFlags) DurationVar(p *time.Duration, name string, value time.Duration, usage string) {
	f.FlagSet.DurationVar(p, name, value, usage)
	f.defined(name)
}

func (f *cmdFlags) defined(name string) {
	f.order = append(f.order, name)
	f.group[name] = f.cur
}

// Group starts a help topic: the flags defined after it, up to the next Group,
// are listed under title.
func (f *cmdFlags) Group(title string) {
	f.assign()
	f.cur = title
	f.groups = append(f.groups, title)
}

// assign puts flags defined through the embedded FlagSet since the last Group
// under the current topic.
func (f *cmdFlags) assign() {
	f.VisitAll(func(fl *flag.Flag) {
		if _, ok := f.group[fl.Name]; !ok && !f.alias[fl.Name] {
			f.defined(fl.Name)
		}
	})
}

// Short adds -s as another spelling of the flag long.
func (f *cmdFlags) Short(s, long string) {
	fl := f.Lookup(long)
	f.FlagSet.Var(fl.Value, s, "same as --"+long)
	f.short[long] = s
	f.alias[s] = true
}

// Limit makes Parse refuse a value of the integer or duration flag name outside
// lo..hi when the flag is given; the default is not checked, so a default of 0
// can mean "none" or "automatic" while an explicit 0 is refused.
func (f *cmdFlags) Limit(name string, lo, hi int64, hint string) {
	f.limits[name] = limit{lo, hi, hint}
}

// Complete names the values shell completion offers for the flag name (a
// flag without is completed as a file name); list: comma-separated values.
func (f *cmdFlags) Complete(name string, list bool, values func() []candidate) {
	f.values[name] = valueSet{values, list}
}

// longName returns the long name of a short form.
func (f *cmdFlags) longName(short string) (string, bool) {
	if !f.alias[short] {
		return "", false
	}
	for long, s := range f.short {
		if s == short {
			return long, true
		}
	}
	return "", false
}

// Parse parses args, flags and positional arguments in any order ("portreach scan
// host -p 80", as users of nmap expect; "--" ends flags), then checks the limits.
// It returns the positional arguments, or flag.ErrHelp for -h and --help.
func (f *cmdFlags) Parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.FlagSet.Parse(args); err != nil {
			return nil, flagError(err)
		}
		rest := f.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...) // after "--", everything is positional
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	var err error
	f.Visit(func(fl *flag.Flag) {
		if err == nil {
			err = f.check(fl)
		}
	})
	return pos, err
}

// flagError rewrites package flag's errors with the --long spelling.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Errorf("unknown flag %s", dash(name))
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean flag "); ok {
		name, why, _ := strings.Cut(rest, ": ")
		return fmt.Errorf("%s: %s", dash(name), why)
	}
	if rest, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Errorf("%s needs a value", dash(rest))
	}
	if i := strings.Index(msg, " for flag -"); i > 0 && strings.HasPrefix(msg, "invalid value ") {
		name, why, _ := strings.Cut(msg[i+len(" for flag -"):], ": ")
		return fmt.Errorf("%s %s: %s", dash(name), msg[len("invalid value "):i], why)
	}
	return err
}

// dash spells a flag as the help does: -p, -iL, --timeout.
func dash(name string) string {
	if len(name) <= 2 {
		return "-" + name
	}
	return "--" + name
}

// check applies fl's limit, if it has one.
func (f *cmdFlags) check(fl *flag.Flag) error {
	name := fl.Name
	if long, ok := f.longName(name); ok {
		name = long
	}
	l, ok := f.limits[name]
	if !ok {
		return nil
	}
	var v int64
	var want string
	switch x := fl.Value.(flag.Getter).Get().(type) {
	case int:
		v = int64(x)
		switch {
		case l.hi == math.MaxInt64:
			want = fmt.Sprintf("%d or more", l.lo)
		default:
			want = fmt.Sprintf("%d to %d", l.lo, l.hi)
		}
	case time.Duration:
		v = int64(x)
		switch {
		case l.hi != math.MaxInt64:
			want = fmt.Sprintf("%s to %s", time.Duration(l.lo), time.Duration(l.hi))
		case l.lo == 1:
			want = "a duration above zero"
		default:
			want = fmt.Sprintf("%s or more", time.Duration(l.lo))
		}
	default:
		return fmt.Errorf("%s: limit on a flag that is not a number", dash(name)) // a programming error, caught by the tests
	}
	if v >= l.lo && v <= l.hi {
		return nil
	}
	if l.hint != "" {
		want += " (" + l.hint + ")"
	}
	return fmt.Errorf("%s %s: want %s", dash(name), fl.Value, want)
}

// parseArgs parses args for a command's run function: on -h or --help it prints
// the help to stdout, on bad flags one line to stderr, and returns done with the
// exit status.
func (f *cmdFlags) parseArgs(args []string, stdout, stderr io.Writer) (pos []string, code int, done bool) {
	pos, err := f.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		f.printHelp(stdout)
		return nil, exitOK, true
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v (see %s --help)\n", f.Name(), err, f.Name())
		return nil, exitUsage, true
	}
	return pos, exitOK, false
}

// printHelp writes the header, then the flags by topic:
//
//	Timing and load:
//	      --timeout DURATION
//	          longest DURATION to wait for one answer … (default 1s)
func (f *cmdFlags) printHelp(w io.Writer) {
	f.assign()
	var b strings.Builder
	b.WriteString(f.header)
	for _, g := range f.groups {
		fmt.Fprintf(&b, "\n%s:\n", g)
		for _, name := range f.order {
			fl := f.Lookup(name)
			if f.group[name] != g {
				continue
			}
			arg, usage := flag.UnquoteUsage(fl)
			b.WriteString("  ")
			if s, ok := f.short[fl.Name]; ok {
				b.WriteString(dash(s) + ", ")
			} else if len(fl.Name) > 2 {
				b.WriteString("    ") // long names line up after the short forms
			}
			b.WriteString(dash(fl.Name))
			if arg != "" {
				b.WriteString(" " + arg)
			}
			if showDefault(fl) {
				usage += fmt.Sprintf(" (default %s)", fl.DefValue)
			}
			b.WriteString("\n" + wrap(usage, "          ", 80) + "\n")
		}
	}
	io.WriteString(w, b.String())
}

// wrap breaks s into lines of at most width columns (a longer word stays
// whole), each starting with indent.
func wrap(s, indent string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		switch {
		case n == 0:
		case n+1+len(w) > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		if n == 0 {
			b.WriteString(indent)
			n = len(indent)
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// showDefault leaves out zero and empty defaults, as package flag does.
func showDefault(fl *flag.Flag) bool {
	switch fl.DefValue {
	case "", "0", "0s", "false":
		return false
	}
	return true
}

// listFlag is a repeatable flag; values may also be comma-separated when split is set.
type listFlag struct {
	vals  []string
	split bool
}

func (l *listFlag) String() string { return strings.Join(l.vals, ",") }
func (l *listFlag) Set(s string) error {
	if l.split {
		for _, v := range strings.Split(s, ",") {
			if v = strings.TrimSpace(v); v != "" {
				l.vals = append(l.vals, v)
			}
		}
		return nil
	}
	l.vals = append(l.vals, s)
	return nil
}

// Help topics, in the order commands list them.
const (
	groupTargets = "Targets"
	groupPorts   = "Ports and profiles"
	groupTiming  = "Timing and load"
	groupProbes  = "Probes"
	groupTrace   = "Path traces"
	groupOutput  = "Output"
	groupAudits  = "Audits"
	groupServe   = "Exporter"
)

// Bounds of the scanner's flags, shared by scan, rpc and serve.
const (
	// maxRetries bounds --retries: each attempt of a port is remembered until the
	// port finishes, so a huge count would exhaust memory, and past a few
	// attempts a silent port is dropped, not lossy (nmap stops at 10).
	maxRetries = scan.MaxRetries
)

// scannerFlags are the scanning engine's flags, defined once for scan, rpc and
// serve. Set a field before addTiming to change its default.
//
// To add a scanner flag: a field here, one line in addTiming or addTrace (every
// command) or addProbes (scan and serve) with a Limit beside it if it is a
// number, and its use in scanner. TestScannerFlagErrors lists the errors.
type scannerFlags struct {
	timeout     time.Duration
	retries     int
	rate        int
	concurrency int
	perHost     int
	community   string
	rootDSE     bool
	maxSkew     time.Duration
	source      sourceFlag
	perProbe    bool // serve: --rate applies to each probe, the sockets to all of them
	confirm     confirmFlag
	certDays    int
	tlsVerify   bool
	caFile      caFileFlag
	trace       bool
	maxHops     int
	resolveHops bool
}

// sourceFlag is --source: an address of this machine, checked when parsed so
// that a wrong one is refused before anything is sent.
type sourceFlag struct{ addr netip.Addr }

func (s *sourceFlag) String() string {
	if !s.addr.IsValid() {
		return ""
	}
	return s.addr.String()
}

func (s *sourceFlag) Set(v string) error {
	a, err := netip.ParseAddr(v)
	if err != nil {
		return errors.New("not an IP address")
	}
	if err := scan.CheckSource(a); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "scan: "))
	}
	s.addr = a
	return nil
}

// addTiming defines --timeout, --retries, --rate, --concurrency and --per-host.
func (s *scannerFlags) addTiming(f *cmdFlags) {
	per, all := "", ""
	if s.perProbe {
		// One engine serves every probe (scan.Engine): the sockets are
		// its, shared fairly among the probes running.
		per, all = "per probe, ", "across all probes, "
	}
	if s.timeout == 0 {
		s.timeout = scan.DefaultTimeout
	}
	if s.retries == 0 {
		s.retries = scan.DefaultRetries
	}
	conc := fmt.Sprintf("%s`N` sockets open at once (at most %d)", all, scan.MaxConcurrency)
	if s.perProbe {
		conc += ", shared fairly among the probes running"
	}
	if s.concurrency == 0 {
		conc += "; by default sized from the file-descriptor limit"
	}
	f.DurationVar(&s.timeout, "timeout", s.timeout, "longest `DURATION` to wait for one answer; hosts that answer get a shorter, adaptive one")
	f.Limit("timeout", 1, math.MaxInt64, "")
	f.IntVar(&s.retries, "retries", s.retries, "`N` further attempts for a silent port (0 for none)")
	f.Limit("retries", 0, maxRetries, "")
	f.IntVar(&s.rate, "rate", s.rate, per+"at most `N` connection attempts and datagrams a second; by default no limit")
	f.Limit("rate", 1, math.MaxInt64, "leave it out for no limit")
	f.IntVar(&s.concurrency, "concurrency", s.concurrency, conc)
	f.Limit("concurrency", 1, scan.MaxConcurrency, "")
	f.IntVar(&s.perHost, "per-host", s.perHost, all+"`N` sockets open at once towards one host; by default min(1024, concurrency)")
	f.Limit("per-host", 1, scan.MaxConcurrency, "")
	f.Var(&s.source, "source", "send from local `ADDR`, an address of this machine (multi-homed hosts); by default the address of the route towards each target")
}

// addTrace defines --trace, --max-hops and --resolve-hops.
func (s *scannerFlags) addTrace(f *cmdFlags) {
	f.BoolVar(&s.trace, "trace", s.trace, "trace the path of every filtered port with the port's own packets, and say where they stop (no root needed on Linux)")
	f.IntVar(&s.maxHops, "max-hops", scan.DefaultMaxHops, "--trace: highest `N` TTL to try")
	f.Limit("max-hops", 1, 255, "")
	f.BoolVar(&s.resolveHops, "resolve-hops", false, "--trace: look up each hop's reverse name (queries this machine's DNS servers)")
}

// traceUnsupported turns --trace off where this system cannot trace without
// privileges, and says so, once: the scan goes on without traces.
func (s *scannerFlags) traceUnsupported(stderr io.Writer, cmd string) {
	if !s.trace {
		return
	}
	if err := scan.TraceSupport(); err != nil {
		fmt.Fprintf(stderr, "portreach %s: --trace: %v; scanning without traces\n", cmd, err)
		s.trace = false
	}
}

// addProbes defines the UDP probes' settings.
func (s *scannerFlags) addProbes(f *cmdFlags) {
	if s.community == "" {
		s.community = "public"
	}
	f.StringVar(&s.community, "snmp-community", s.community, "SNMP v1/v2c `COMMUNITY` for the sysDescr request")
	f.BoolVar(&s.rootDSE, "cldap-rootdse", s.rootDSE, "CLDAP (389/udp): also read the rootDSE (naming contexts, functional levels, DC clock); a large, fragmented reply")
	if s.maxSkew == 0 {
		s.maxSkew = 5 * time.Minute
	}
	f.DurationVar(&s.maxSkew, "max-skew", s.maxSkew, "a server whose clock (a Kerberos error's, an NTP reply's) is further than `DURATION` from this machine's fails its check (Kerberos' MaxClockSkew; 0: never)")
	f.Limit("max-skew", 0, math.MaxInt64, "")
}

// addConfirm defines the TCP service confirmation's flags.
func (s *scannerFlags) addConfirm(f *cmdFlags) {
	if s.certDays == 0 {
		s.certDays = scan.DefaultCertDays
	}
	f.Var(confirmSetter{&s.confirm, "on"}, "confirm", "-p ports: confirm the service of every open well-known port (banner, TLS certificate); profile scans always do")
	f.Var(confirmSetter{&s.confirm, "off"}, "no-confirm", "do not confirm services: a successful connect is enough")
	f.IntVar(&s.certDays, "cert-days", s.certDays, "a certificate that expires within `N` days fails its check (0: only expired ones)")
	f.Limit("cert-days", 0, 3650, "")
	f.BoolVar(&s.tlsVerify, "tls-verify", false, "a certificate whose chain or name does not verify fails its check")
	f.Var(&s.caFile, "ca-file", "also trust the CA certificates (PEM) in `FILE` when verifying chains")
}

// confirmFlag is --confirm or --no-confirm: "", "on" or "off".
type confirmFlag string

// confirmSetter is one of the two flags that set a confirmFlag; giving both is
// an error rather than the last one winning.
type confirmSetter struct {
	v  *confirmFlag
	to confirmFlag
}

func (c confirmSetter) String() string {
	if c.v == nil {
		return ""
	}
	return strconv.FormatBool(*c.v == c.to)
}
func (c confirmSetter) IsBoolFlag() bool { return true }
func (c confirmSetter) Get() any         { return c.v != nil && *c.v == c.to }
func (c confirmSetter) Set(v string) error {
	on, err := strconv.ParseBool(v)
	if err != nil || !on {
		return errors.New("takes no value")
	}
	if *c.v != "" && *c.v != c.to {
		return errors.New("--confirm and --no-confirm cannot be combined")
	}
	*c.v = c.to
	return nil
}

// caFileFlag is --ca-file: the file's certificates, read by readFiles once
// the flags are parsed (package flag's Set has no context to end the read).
type caFileFlag struct {
	path string
	pool *x509.CertPool
}

func (c *caFileFlag) String() string { return c.path }
func (c *caFileFlag) Set(path string) error {
	if path == "" {
		return errors.New("want a file name")
	}
	c.path = path
	return nil
}

// readFiles reads the files the scanner flags name (--ca-file), before
// anything is sent.
func (s *scannerFlags) readFiles(ctx context.Context) error {
	if s.caFile.path == "" {
		return nil
	}
	pem, err := readInput(ctx, "--ca-file", s.caFile.path, limitInput)
	if err != nil {
		return err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // Windows before Go 1.18 style: no system pool to extend
	}
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("--ca-file %s: no PEM certificates in it", s.caFile.path)
	}
	s.caFile.pool = pool
	return nil
}

// scanner is the Scanner the flags describe.
func (s *scannerFlags) scanner() scan.Scanner {
	sc := scan.Scanner{
		Timeout:     s.timeout,
		Retries:     new(s.retries),
		Rate:        s.rate,
		Concurrency: s.concurrency,
		PerHost:     s.perHost,
		Probes:      probes.Options{SNMPCommunity: s.community, CLDAPRootDSE: s.rootDSE},
		MaxSkew:     new(s.maxSkew),
		Source:      s.source.addr,
		Trace:       s.trace,
		MaxHops:     s.maxHops,
		ResolveHops: s.resolveHops,
		Confirm: scan.Confirm{
			Checked:  s.confirm != "off",
			ByPort:   s.confirm == "on",
			CertDays: new(s.certDays),
			Verify:   s.tlsVerify,
			Roots:    s.caFile.pool,
		},
	}
	return sc
}

// domainFlags are the DC locator's flags: --domain, --site, --dns-server.
type domainFlags struct {
	name, site string
	dnsServer  dnsServerFlag
}

// add defines the flags, under the current topic.
func (d *domainFlags) add(f *cmdFlags) {
	f.StringVar(&d.name, "domain", "", "find the domain controllers of Active Directory domain `DOMAIN` as Windows does (DNS SRV records, an LDAP ping to each) and check each one found (by default with profile "+defaultDCProfile+")")
	f.StringVar(&d.site, "site", "", "with --domain: ask first for the DCs of AD site `SITE`; by default the site the DCs say this machine is in")
	f.Var(&d.dnsServer, "dns-server", "with --domain: ask the DNS server at `ADDR` (an IP address, optionally with :PORT) instead of this machine's resolver")
}

// defaultDCProfile is the profile --domain checks each DC with when no
// --profile is given: the current domain controller profile.
const defaultDCProfile = "ad-dc-2016-2025"

// domain is the scan.Domain the flags ask for; nil without --domain.
func (d *domainFlags) domain() (*scan.Domain, error) {
	if d.name == "" {
		if d.site != "" || d.dnsServer.addr.IsValid() {
			return nil, bad("--site and --dns-server need --domain DOMAIN")
		}
		return nil, nil
	}
	dom := &scan.Domain{Name: d.name, Site: d.site, DNSServer: d.dnsServer.addr}
	if err := dom.Validate(); err != nil {
		// "domain …" or "site …": the flag's own name.
		return nil, bad("--%s", strings.TrimPrefix(err.Error(), "scan: "))
	}
	return dom, nil
}

// dnsServerFlag is --dns-server: an IP address, with a port or not (53),
// checked when parsed.
type dnsServerFlag struct{ addr netip.AddrPort }

func (d *dnsServerFlag) String() string {
	if !d.addr.IsValid() {
		return ""
	}
	return d.addr.String()
}

func (d *dnsServerFlag) Set(v string) error {
	a, err := checklist.ParseDNSServer(v)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), strconv.Quote(v)+": "))
	}
	d.addr = a
	return nil
}
