package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"github.com/portreach/portreach/checklist"
	"github.com/portreach/portreach/policy"
	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

const scanUsage = `Usage:
  portreach scan [flags] TARGET...

Test, from this machine, whether the ports a server role needs are reachable on
each TARGET, and say why: open (syn-ack, or a UDP reply the probe recognised),
closed (conn-refused, port-unreachable), filtered (no-response, admin-prohibited,
host-unreachable …) or open|filtered (UDP silence).

Name the ports with a role profile (--profile; see "portreach profiles"), with
-p, or both. UDP ports get a real request of their protocol (DNS, SNMP, NetBIOS,
SQL Browser, CLDAP, Kerberos, NTP, IKE …): an empty datagram proves nothing.

TARGET is an IPv4 or IPv6 address, a host name (resolved once; the address used
is reported), a CIDR block (198.18.0.0/24) or an octet range (198.18.1.1-20).

With --domain, the targets are the domain's domain controllers, found as the
Windows DC locator finds them: DNS SRV records (_ldap._tcp.SITE._sites.dc._msdcs,
_ldap._tcp.dc._msdcs, _kerberos._tcp.dc._msdcs, _kpasswd._tcp, _ldap._tcp.pdc._msdcs,
_gc._tcp), then an LDAP ping to each DC they name. Each question and each ping is
a check; each DC found is checked with the profile (by default ad-dc-2016-2025),
its clock compared with this machine's (--max-skew).

Examples:
  portreach scan --domain lab.example --site Site-A --dns-server 198.18.1.2
  portreach scan --profile "Domain controller" dc01
  portreach scan --profile exchange-2016-mailbox,exchange-2016-edge mail01 edge01
  portreach scan -p T:135,445,50000-50200,U:53,161,1434 198.18.1.10
  portreach scan -p 1-1024 --expect closed -iL dmz-hosts.txt
  portreach scan --profile sql-server --expect reachable sql01   # the firewall, before SQL Server is installed
  portreach scan -p T:88,135,389,445 --expect blocked dc01       # from the DMZ: a firewall must stop these
  portreach scan --profile biztalk-send-server --role sql=sql01\BTS --role smtp=mail01
  portreach scan --plan go-live.json -f json -o report.json

Output: a table grouped by host on a terminal, JSON Lines (one result per line,
streamed as ports finish) when standard output is a pipe or file; -f chooses
another (Formats, below). -o writes a file, atomically; repeat it for several
(-o json:last.json -o junit:report.xml -o html:go-live.html
-o prometheus:/var/lib/prometheus/node-exporter/portreach.prom write files).
At a terminal the table stays on screen beside the files; -o FORMAT:- chooses
what standard output gets, and elsewhere it gets nothing else.

Scheduled audits (see docs/audits.md): --baseline FILE compares the run with an
earlier JSON report and lists what changed (ports that changed state, appeared,
disappeared or moved, hosts, expectations, probe details such as a SQL
instance's port or a DC's flags); --update-baseline then replaces FILE with this
run. --fail-on chooses what exits 1: expect (default: an expectation fails),
regression (an expectation that held in the baseline fails), state-change,
any-change, none; comma-separated for several. With --quiet nothing is printed
unless the run fails or something changed. --lock FILE keeps two runs from
overlapping.

Exit status: 0 the run passed by --fail-on (by default: every expectation held,
or none was set); 1 it failed (by default: a required port not open, a
must-be-closed port open, a profiled target that did not resolve); 2 bad input; 3 --max-time reached; 4 another run
holds the --lock file; 5 an output or the baseline could not be written (disk
full, I/O error: the report is not all there); 130 interrupted (what was
measured is still reported, unfinished ports as unknown).
`

type scanCmd struct {
	ctx            context.Context // the run's: Ctrl-C and SIGTERM end it, and reading the user's files
	stdin          io.Reader
	stdout, stderr io.Writer

	ports, format, expect      string
	profileNames, profileFiles listFlag
	roles, outputs, excludes   listFlag
	targetFiles, excludeFiles  listFlag
	planFile, addresses        string
	parsedPlan                 *profiles.Plan // --plan, read once
	maxHosts                   int
	maxTime                    time.Duration
	scanner                    scannerFlags
	domain                     domainFlags
	quiet, verbose, noColor    bool
	noProgress                 bool
	baseline, failOn, lock     string
	updateBaseline             bool
}

// scanFlags defines scan's flags, by help topic.
func scanFlags(c *scanCmd) *cmdFlags {
	c.profileNames.split, c.excludes.split = true, true
	f := newCmdFlags("portreach scan", scanUsage+formatsHelp())

	f.Group(groupTargets)
	f.Var(&c.targetFiles, "iL", "read targets from `FILE`, one or more a line; - is standard input")
	f.Var(&c.excludes, "exclude", "leave out `ADDRS`: addresses, CIDR blocks or ranges, comma-separated")
	f.Var(&c.excludeFiles, "exclude-file", "leave out the addresses listed in `FILE`")
	f.StringVar(&c.addresses, "addresses", "first", "which addresses of a host name to check: `WHICH` is first, or all (IPv4 and IPv6, every A record), each address its own rows")
	f.Complete("addresses", false, choices("first", "all"))
	f.IntVar(&c.maxHosts, "max-hosts", 65536, "refuse target sets larger than `N` hosts")
	f.Limit("max-hosts", 1, math.MaxInt64, "")
	c.domain.add(f)

	f.Group(groupPorts)
	f.StringVar(&c.ports, "ports", "", "ports: `LIST` such as T:135,445,50000-50200,U:53,161 (bare numbers are TCP; - is 1-65535)")
	f.Short("p", "ports")
	f.Var(&c.profileNames, "profile", "role profile `NAME` (slug, name or alias; repeatable or comma-separated)")
	f.Complete("profile", true, profileNames)
	f.Var(&c.profileFiles, "profile-file", "add your own profiles from `FILE` (JSON, the schema of profiles/data)")
	f.Var(&c.roles, "role", "map a destination role to a host: `ROLE=HOST` or ROLE=HOST\\INSTANCE for a SQL Server named instance (repeatable), e.g. sql=sql01")
	f.StringVar(&c.planFile, "plan", "", "go-live checklist `FILE` (JSON): profiles, targets and role mappings")
	f.StringVar(&c.expect, "expect", "", "for -p ports: `STATE` they must be in: open, closed, reachable (the firewall lets it through: open or closed) or blocked (a firewall stops it: filtered); with profiles, reachable or blocked turns every must-be-open entry into must-be-reachable or must-be-blocked")
	f.Complete("expect", false, choices(string(results.ExpectOpen), string(results.ExpectClosed), string(results.ExpectReachable), string(results.ExpectBlocked)))

	f.Group(groupTiming)
	c.scanner.addTiming(f)
	f.DurationVar(&c.maxTime, "max-time", 0, "stop the whole run after `DURATION`; unfinished ports are reported unknown (exit 3); by default no limit")
	f.Limit("max-time", 1, math.MaxInt64, "leave it out for no limit")

	f.Group(groupProbes)
	c.scanner.addProbes(f)
	c.scanner.addConfirm(f)

	f.Group(groupTrace)
	c.scanner.addTrace(f)

	f.Group(groupOutput)
	c.addOutputs(f)
	f.BoolVar(&c.quiet, "quiet", false, "print nothing unless the run fails (see --fail-on) or differs from --baseline; then only the failures and changes")
	f.Short("q", "quiet")
	f.BoolVar(&c.verbose, "verbose", false, "table: one row per port, and the purpose and source of every checked port")
	f.Short("v", "verbose")
	f.BoolVar(&c.noColor, "no-color", false, "no colours in the table (also when NO_COLOR is set)")
	f.BoolVar(&c.noProgress, "no-progress", false, "no progress bar on standard error")

	f.Group(groupAudits)
	f.StringVar(&c.baseline, "baseline", "", "compare with the JSON report in `FILE` (from -f json) and report what changed")
	f.BoolVar(&c.updateBaseline, "update-baseline", false, "after comparing, replace the --baseline file with this run (atomically; only when the run finished)")
	f.StringVar(&c.failOn, "fail-on", failExpect, "what exits 1: `LIST` of expect, regression, state-change, any-change or none")
	f.Complete("fail-on", true, choices(failOnChoices...))
	f.StringVar(&c.lock, "lock", "", "hold a lock on `FILE` while running; if another run holds it, exit 4 at once")
	return f
}

// addOutputs defines -f and -o, for scan and local.
func (c *scanCmd) addOutputs(f *cmdFlags) {
	f.StringVar(&c.format, "format", "", "output `FORMAT`: "+report.NameList()+" (default: table on a terminal, jsonl otherwise)")
	f.Short("f", "format")
	f.Complete("format", false, formatChoices)
	f.Var(&c.outputs, "output", "write to `FILE` instead of standard output (FORMAT:FILE sets its format; repeatable)")
	f.Short("o", "output")
	f.Complete("output", false, outputPrefixes)
}

func runScan(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &scanCmd{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	f := scanFlags(c)

	// nmap's "-p-" (every port) reads as an unknown flag "p-" to package flag.
	args = slices.Clone(args)
	for i, a := range args {
		if a == "-p-" || a == "--p-" {
			args[i] = "-p=-"
		}
	}
	pos, code, done := f.parseArgs(args, stdout, stderr)
	if done {
		return code
	}
	if err := c.scanner.readFiles(ctx); err != nil {
		fmt.Fprintf(stderr, "portreach scan: %v\n", err)
		return exitFor(exitUsage, err)
	}
	code, err := c.run(ctx, pos)
	if err != nil {
		fmt.Fprintf(stderr, "portreach scan: %v\n", err)
	}
	return exitFor(code, err)
}

// usageError marks input errors: exit 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func bad(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func (c *scanCmd) run(ctx context.Context, pos []string) (int, error) {
	work, err := c.work(ctx, pos)
	if err != nil {
		return exitUsage, err
	}
	skipped := work.skipped
	outs, err := c.outputsList()
	if err != nil {
		return exitUsage, err
	}
	if c.updateBaseline && c.baseline == "" {
		return exitUsage, bad("--update-baseline needs --baseline FILE")
	}
	failOn, err := parseFailOn(c.failOn, c.baseline != "")
	if err != nil {
		return exitUsage, err
	}
	if c.lock != "" {
		l, err := acquireLock(c.lock)
		if errors.Is(err, errLocked) {
			return exitLocked, fmt.Errorf("--lock %s: another portreach run holds it (%v); not scanning", c.lock, err)
		}
		if err != nil {
			return exitUsage, bad("--lock: %v", err)
		}
		defer l.release()
	}
	var baseline *results.Report
	if c.baseline != "" {
		// After the lock: the run holding it may be replacing the baseline.
		if baseline, err = c.loadBaseline(); err != nil {
			return exitUsage, err
		}
	}

	c.scanner.traceUnsupported(c.stderr, "scan")
	s := c.scanner.scanner()
	runCtx := ctx
	if c.maxTime > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, c.maxTime)
		defer cancel()
	}

	rep := &results.Report{
		Tool:    results.Tool{Name: "portreach", Version: version()},
		Started: time.Now().UTC(),
		Command: append([]string{"portreach", "scan"}, os.Args[min(2, len(os.Args)):]...),
	}
	rep.Results = append(rep.Results, skipped...)

	stream, err := c.openOutputs(outs, rep)
	if err != nil {
		return exitUsage, err
	}
	defer stream.abort() // whatever was not committed
	for _, r := range skipped {
		stream.write(r)
	}
	// Every output is streamed: a run with no baseline needs to remember only
	// the failures (for the exit status and --quiet), so a full port range
	// costs no memory per port.
	keepAll := c.baseline != "" || c.updateBaseline
	bar := c.progress(outs, work.ports)
	scanErr := work.run(runCtx, s, func(r results.Result) {
		if keepAll || results.Fails(&r) {
			rep.Results = append(rep.Results, r)
		}
		stream.write(r)
		bar.add(1)
	})
	bar.finish()
	rep.Finished = time.Now().UTC()
	// Sorted once here, the results need no sorted copy in any format.
	results.Sort(rep.Results)
	switch {
	case scanErr == nil:
	case ctx.Err() != nil:
		rep.Interrupted = true
	case runCtx.Err() != nil:
		rep.Incomplete = true
	default:
		return exitUsage, scanErr
	}

	if baseline != nil {
		rep.Drift = results.Diff(baseline, rep, scan.DriftRules())
		rep.Drift.Baseline.File = c.baseline
	}
	failed := results.Failed(rep.Results)
	fails, _ := runFails(failOn, failed, rep.Drift)
	code := exitOK
	switch {
	case rep.Interrupted:
		code = exitInterrupted
	case rep.Incomplete:
		code = exitIncomplete
	case fails:
		code = exitFailed
	}
	// Under --quiet, standard output gets something only when the run did not
	// pass or something changed: then the failures and the changes.
	var quietRep *results.Report
	if code != exitOK || (rep.Drift != nil && len(rep.Drift.Changes) > 0) {
		q := *rep
		q.Results = failed
		quietRep = &q
	}
	if err := c.writeOutputs(outs, stream, rep, quietRep); err != nil {
		return exitWrite, err
	}
	if c.updateBaseline {
		if rep.Interrupted || rep.Incomplete {
			fmt.Fprintf(c.stderr, "portreach scan: --baseline %s not updated: the run did not finish\n", c.baseline)
		} else if err := writeBaseline(stream.baseline, c.baseline, rep); err != nil {
			return exitWrite, err
		}
	}
	switch code {
	case exitInterrupted:
		fmt.Fprintln(c.stderr, "portreach scan: interrupted; unfinished ports are reported as unknown")
	case exitIncomplete:
		fmt.Fprintf(c.stderr, "portreach scan: --max-time %s reached; unfinished ports are reported as unknown\n", c.maxTime)
	}
	return code, nil
}

// work is what a scan runs: a plan's scan, or a policy's rules from its
// sources.
type work struct {
	skipped []results.Result // results reached before anything is sent
	ports   int              // results expected, for the progress bar
	run     func(ctx context.Context, s scan.Scanner, emit func(results.Result)) error
}

// work reads what to run: the flags' plan, or with a --plan file that is a
// policy (sources and rules), the policy.
func (c *scanCmd) work(ctx context.Context, pos []string) (*work, error) {
	if c.planFile != "" {
		f, err := openInput(c.ctx, "--plan", c.planFile, c.stdin, limitInput)
		if err != nil {
			return nil, usageError{err}
		}
		c.parsedPlan, err = profiles.ParsePlan(f, c.planFile)
		f.Close()
		if err != nil {
			return nil, usageError{err}
		}
		if c.parsedPlan.Policy() {
			return c.policyWork(ctx, pos)
		}
	}
	pl, err := c.plan(ctx, pos)
	if err != nil {
		return nil, err
	}
	return &work{skipped: pl.Skipped, ports: pl.Ports, run: func(ctx context.Context, s scan.Scanner, emit func(results.Result)) error {
		return s.Scan(ctx, pl.Scan, emit)
	}}, nil
}

// policyWork loads the --plan policy: every source, profile, role and file it
// names is checked before anything is sent.
func (c *scanCmd) policyWork(ctx context.Context, pos []string) (*work, error) {
	switch {
	case len(pos) > 0 || len(c.targetFiles.vals) > 0:
		return nil, bad("--plan %s is a policy: its rules name the destinations (no TARGET or -iL)", c.planFile)
	case c.ports != "" || len(c.profileNames.vals) > 0 || len(c.roles.vals) > 0 || c.expect != "" || c.addresses != "first":
		return nil, bad("--plan %s is a policy: its rules say what to check (no -p, --profile, --role, --expect or --addresses)", c.planFile)
	}
	cat, err := profiles.Load()
	if err != nil {
		return nil, err
	}
	if err := addProfileFiles(ctx, cat, c.profileFiles.vals); err != nil {
		return nil, usageError{err}
	}
	pol, err := policy.Load(ctx, c.parsedPlan, cat, func(field, name string) ([]byte, error) {
		return readInput(c.ctx, field, name, limitInput)
	})
	if err != nil {
		return nil, usageError{err}
	}
	ports := 0
	for _, r := range pol.Rules {
		for _, f := range r.From {
			for _, s := range pol.Sources {
				if s.Name == f {
					ports += len(s.Endpoints) * r.Plan.Ports
				}
			}
		}
	}
	return &work{ports: ports, run: func(ctx context.Context, s scan.Scanner, emit func(results.Result)) error {
		rn := policy.Runner{Scanner: s, MaxTime: c.maxTime}
		return rn.Run(ctx, pol, emit)
	}}, nil
}

// plan turns targets, ports, profiles and roles into a scan plan
// (checklist.Build), with skipped results for destination roles nobody
// mapped and the plan's counts. Every source of targets (arguments, -iL, role
// hosts, plan items) is counted against --max-hosts as it is read, and blocks
// are never expanded in memory.
func (c *scanCmd) plan(ctx context.Context, pos []string) (*checklist.Plan, error) {
	req, err := c.request(pos)
	if err != nil {
		return nil, err
	}
	pl, err := checklist.Build(ctx, req)
	if err != nil {
		return nil, c.planError(err)
	}
	return pl, nil
}

// request reads the flags into a plan request: one item for the command line
// (-p, --expect, --profile and --role on the TARGET arguments and -iL lists,
// less --exclude), then the items of --plan.
func (c *scanCmd) request(pos []string) (checklist.Request, error) {
	req := checklist.Request{MaxHosts: c.maxHosts}
	item := checklist.Item{Targets: pos, Exclude: slices.Clone(c.excludes.vals)}
	var excluded scan.Targets // only to check each exclusion where it is read
	if err := excluded.Exclude(c.excludes.vals...); err != nil {
		return req, bad("--exclude: %v", err)
	}
	for _, f := range c.excludeFiles.vals {
		err := c.readListFile("--exclude-file", f, func(specs ...string) error {
			if err := excluded.Exclude(specs...); err != nil {
				return err
			}
			item.Exclude = append(item.Exclude, specs...)
			return nil
		})
		if err != nil {
			return req, err
		}
	}
	if len(c.targetFiles.vals) > 0 {
		item.ReadTargets = func(add func(...string) error) error {
			for _, f := range c.targetFiles.vals {
				if err := c.readListFile("-iL", f, add); err != nil {
					return err
				}
			}
			return nil
		}
	}

	expect, err := checklist.ParseExpect(c.expect)
	if err != nil {
		return req, bad("--expect %v", err)
	}
	item.Expect, item.ExpectFrom = expect, "--expect "+c.expect
	if item.AllAddresses, err = checklist.ParseAddresses(c.addresses); err != nil {
		return req, bad("--addresses %v", err)
	}
	if c.ports != "" {
		if item.Ports, err = results.ParsePortList(c.ports); err != nil {
			return req, bad("-p: %v", err)
		}
	}

	if item.Domain, err = c.domain.domain(); err != nil {
		return req, err
	}
	if req.Catalog, item.Profiles, err = c.catalog(); err != nil {
		return req, err
	}
	if item.Domain != nil && len(item.Profiles) == 0 && c.planFile == "" {
		// Each DC found is checked as a domain controller unless told otherwise.
		if req.Catalog == nil {
			if req.Catalog, err = profiles.Load(); err != nil {
				return req, err
			}
		}
		p, err := req.Catalog.Lookup(defaultDCProfile)
		if err != nil {
			return req, err
		}
		item.Profiles = []*profiles.Profile{p}
	}
	item.Roles = checklist.Roles{}
	for _, s := range c.roles.vals {
		r, err := checklist.ParseRole(s)
		if err != nil {
			return req, bad("--role %v, e.g. --role sql=sql01 or --role sql=sql01\\BTS", err)
		}
		if err := item.Roles.Add(r); err != nil {
			return req, bad("--role %v", err)
		}
	}
	req.Items = []checklist.Item{item}
	if c.planFile == "" {
		return req, nil
	}
	switch {
	case item.Domain != nil:
		return req, bad("--plan and --domain cannot be combined: put the domain in the plan's items")
	case len(item.Profiles) > 0:
		return req, bad("--plan and --profile cannot be combined: put the profiles in the plan")
	case len(item.Roles) > 0:
		return req, bad("--plan and --role cannot be combined: put the roles in the plan's items")
	}
	items, err := c.planItems(req.Catalog)
	if err != nil {
		return req, err
	}
	for i := range items {
		// --expect reachable (blocked) and --addresses all apply to the
		// items that say nothing of their own.
		if expect.Firewall() && items[i].Expect == results.ExpectNone {
			items[i].Expect, items[i].ExpectFrom = expect, item.ExpectFrom
		}
		items[i].AllAddresses = items[i].AllAddresses || item.AllAddresses
	}
	req.Items = append(req.Items, items...)
	return req, nil
}

// planError words checklist.Build's errors in the command's terms.
func (c *scanCmd) planError(err error) error {
	var nothing *checklist.NothingToTestError
	var item *checklist.ItemError
	switch {
	case errors.Is(err, scan.ErrTooManyHosts):
		return bad("more than %d target hosts; narrow the targets or raise --max-hosts", c.maxHosts)
	case errors.As(err, &item):
		return usageError{err} // in a --plan item, which the error names
	case errors.Is(err, checklist.ErrExpectNeedsPorts):
		return bad("--expect %s applies to -p ports; profiles set their own expectations (--expect reachable or blocked turns them into must-be-reachable or must-be-blocked)", c.expect)
	case errors.As(err, &nothing):
		return bad("no ports to test: give -p LIST or --profile NAME (see portreach profiles)")
	case errors.Is(err, checklist.ErrNoTargets):
		return bad("no targets: give TARGET arguments or -iL FILE")
	case errors.Is(err, checklist.ErrAllExcluded):
		return bad("every target is excluded: nothing to scan")
	}
	return usageError{err}
}

// readListFile reads a list of targets or exclusions (-iL, --exclude-file;
// "-" is standard input) into add.
func (c *scanCmd) readListFile(flag, name string, add func(...string) error) error {
	f, err := openInput(c.ctx, flag, name, c.stdin, limitList)
	if err != nil {
		return usageError{err}
	}
	defer f.Close()
	label := name
	if name == "-" {
		label = "standard input"
	}
	if err := scan.ReadList(f, label, add); err != nil {
		if c.ctx.Err() != nil {
			f.fail(errInterrupted) // also when it came between two reads
		}
		if ie := f.Err(); ie != nil {
			return usageError{ie} // not the cut-off last line's mistake
		}
		if name == "-" {
			return usageError{fmt.Errorf("%s: %w", flag, err)}
		}
		return usageError{err}
	}
	return nil
}

// catalog loads the profiles (with --profile-file) and looks --profile up. The
// catalogue is nil when neither --profile nor --plan is given.
func (c *scanCmd) catalog() (*profiles.Catalog, []*profiles.Profile, error) {
	if len(c.profileNames.vals) == 0 && c.planFile == "" {
		if len(c.roles.vals) > 0 || len(c.profileFiles.vals) > 0 {
			return nil, nil, bad("--role and --profile-file need --profile NAME")
		}
		return nil, nil, nil
	}
	cat, err := profiles.Load()
	if err != nil {
		return nil, nil, err
	}
	if err := addProfileFiles(c.ctx, cat, c.profileFiles.vals); err != nil {
		return nil, nil, usageError{err}
	}
	var ps []*profiles.Profile
	for _, name := range c.profileNames.vals {
		p, err := cat.Lookup(name)
		if err != nil {
			return nil, nil, bad("--profile: %v", err)
		}
		ps = append(ps, p)
	}
	return cat, ps, nil
}

// planItems reads the --plan file into plan items, adding its own profiles
// to cat.
func (c *scanCmd) planItems(cat *profiles.Catalog) ([]checklist.Item, error) {
	items, err := checklist.PlanItems(cat, c.parsedPlan)
	if err != nil {
		return nil, bad("%v", err)
	}
	return items, nil
}
