package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

const rpcUsage = `Usage:
  portreach rpc [flags] HOST...

Ask the RPC endpoint mapper on 135/tcp of each HOST which interfaces are
registered on which ports (what "portqry -e 135" dumps), then test from here
whether every registered TCP port is reachable, and name the services behind the
ports that are not: "MSDTC (906b0ce0-…) registered on 50012/tcp: filtered".

MSDTC, AD replication, Exchange, MSMQ, FRS/DFSR and Certificate Services listen
on ports the RPC runtime allocates (49152-65535 since Windows Server 2008,
1025-5000 before) unless they are fixed by configuration; a firewall that opens
135 but not those ports breaks them.

With --range LO-HI, the range configured under HKLM\SOFTWARE\Microsoft\Rpc\Internet
(Ports) or for DTC, registered ports outside it are reported (a misconfiguration:
the firewall rule for the range will not cover them) and every port of the range is
tested, with runs of alike ports compressed ("50000-50010 open (11)").

With --require NAME|UUID (repeatable), the named interface must be registered
on a TCP port, that port reachable, and a DCE/RPC bind to the interface there
accepted: "--require msdtc" fails with not-registered on a host whose DTC is not
installed or has network access off, however open the firewall is. NAME is a key
of the interface table (msdtc, drsuapi, netlogon, lsarpc, samr, frsrpc, dfsr,
emsmdb, nspi, rfr, msmq, icpr, clusapi, eventlog6, svcctl, tsch,
dcom-activation, …; "portreach rpc --require list" prints them all) or a UUID.

Examples:
  portreach rpc dc01                       what is registered, and is it reachable?
  portreach rpc sql01 --range 50000-50200  a DTC range fixed in the registry
  portreach rpc dc01 --require msdtc       DTC registered, reachable and binding
  portreach rpc -f json exch01 exch02      the full endpoint list, for a ticket
  portreach rpc dc01 --timeout 300ms --retries 0

Exit status: 0 when the endpoint mapper answered, every registered dynamic TCP
port is open and every --require interface binds; 1 otherwise; 2 for bad usage;
5 the output could not be written (disk full, I/O error).
`

// rpcInterfaceNames offers --require the keys of the interface table.
func rpcInterfaceNames() []candidate {
	cs := []candidate{{"list", "print the interfaces --require knows"}}
	for _, i := range msrpc.Interfaces {
		cs = append(cs, candidate{i.Key, i.Name})
	}
	return cs
}

// rpc writes every format of report's registry; its table is its own (the
// endpoint mapper's listing and the ports it found), the other formats are
// report's writers. jsonl streams, the others are written at the end.

// rpcCmd holds rpc's flags.
type rpcCmd struct {
	format, rangeSpec string
	require           listFlag
	scanner           scannerFlags
}

// rpcFlags defines rpc's flags, by help topic.
func rpcFlags(c *rpcCmd) *cmdFlags {
	f := newCmdFlags("portreach rpc", rpcUsage)
	f.Group(groupPorts)
	f.StringVar(&c.rangeSpec, "range", "", "the configured RPC port range `LO-HI` (e.g. 50000-50200): report registered ports outside it and test it")
	f.Var(&c.require, "require", "the RPC interface `NAME|UUID` must be registered, reachable and bind (msdtc, drsuapi, …; \"list\" lists them); repeatable")
	f.Complete("require", false, rpcInterfaceNames)
	f.Group(groupTiming)
	c.scanner.addTiming(f)
	f.Group(groupTrace)
	c.scanner.addTrace(f)
	f.Group(groupOutput)
	f.StringVar(&c.format, "format", "table", "output `FORMAT`: "+report.NameList())
	f.Short("f", "format")
	f.Complete("format", false, choices(report.Names()...))
	return f
}

// runRPC implements "portreach rpc".
func runRPC(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &rpcCmd{}
	f := rpcFlags(c)
	hosts, code, done := f.parseArgs(args, stdout, stderr)
	if done {
		return code
	}
	if len(hosts) == 0 {
		fmt.Fprintln(stderr, "portreach rpc: no HOST given (see portreach rpc --help)")
		return exitUsage
	}
	format, ok := report.Lookup(c.format)
	if !ok {
		fmt.Fprintf(stderr, "portreach rpc: unknown format %q (want %s)\n", c.format, report.NameList())
		return exitUsage
	}
	if slices.Contains(c.require.vals, "list") {
		writeInterfaceList(stdout)
		return exitOK
	}
	var required []scan.InterfaceSet
	for _, name := range c.require.vals {
		i, ok := msrpc.LookupInterface(name)
		if !ok {
			fmt.Fprintf(stderr, "portreach rpc: --require %q: not a UUID nor a known interface (see --require list)\n", name)
			return exitUsage
		}
		required = append(required, scan.InterfaceSet{i})
	}
	var rng *results.PortRange
	if c.rangeSpec != "" {
		r, err := results.ParsePortRange(c.rangeSpec)
		if err != nil {
			fmt.Fprintf(stderr, "portreach rpc: --range: %v\n", err)
			return exitUsage
		}
		rng = &r
	}
	var targets scan.Targets
	if err := targets.Add(hosts...); err != nil {
		fmt.Fprintf(stderr, "portreach rpc: %v\n", err)
		return exitUsage
	}

	plan := scan.Plan{Targets: targets.All(), Ports: []scan.Port{{Proto: results.TCP, Kind: scan.KindDynamicRPC}}}
	if rng != nil {
		plan.Ports[0].Lo, plan.Ports[0].Hi = rng.Lo, rng.Hi // registered ports outside it are pointed out
		plan.Ports = append(plan.Ports, scan.Port{Proto: results.TCP, Lo: rng.Lo, Hi: rng.Hi})
	}
	if len(required) > 0 {
		plan.Ports = append(plan.Ports, scan.Port{Proto: results.TCP, Kind: scan.KindDynamicRPC, Interfaces: required,
			Check: &results.Check{Profiles: []string{"rpc --require"}, Service: "RPC interface", Expect: results.ExpectOpen}})
	}
	rep := &results.Report{Tool: results.Tool{Name: "portreach", Version: version()},
		Command: append([]string{"portreach", "rpc"}, args...), Started: time.Now().UTC()}
	var stream report.Writer
	if c.format == "jsonl" {
		stream = format.New(stdout, report.Options{})
	}
	var writeErr error
	c.scanner.traceUnsupported(stderr, "rpc")
	s := c.scanner.scanner()
	err := s.Scan(ctx, plan, func(r results.Result) {
		rep.Results = append(rep.Results, r)
		if stream != nil && writeErr == nil {
			writeErr = stream.Write(r)
		}
	})
	rep.Finished = time.Now().UTC()
	if err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(stderr, "portreach rpc: %v\n", err)
			return exitUsage
		}
		rep.Interrupted = true
	}
	switch {
	case writeErr != nil:
	case stream != nil:
		writeErr = stream.Close(rep)
	case c.format == "table":
		writeErr = writeRPCTable(stdout, rep.Results, rng)
	default:
		writeErr = report.Render(stdout, format, rep, report.Options{})
	}
	if writeErr != nil {
		fmt.Fprintf(stderr, "portreach rpc: writing results: %v\n", writeErr)
		return exitWrite
	}
	if rep.Interrupted {
		fmt.Fprintln(stderr, "portreach rpc: interrupted; unfinished ports are reported as unknown")
		return exitInterrupted
	}
	if !rpcAllOpen(rep.Results) || results.Overall(rep.Results) == results.VerdictFail {
		return exitFailed
	}
	return exitOK
}

// rpcAllOpen reports whether the endpoint mapper listed its endpoints and every
// registered port is open (the --require interfaces have checks of their own).
func rpcAllOpen(rs []results.Result) bool {
	listed := 0
	for _, r := range rs {
		if r.Probe != scan.ProbeEPM || r.Check != nil {
			continue
		}
		if r.State != results.Open {
			return false
		}
		if r.Via == "" {
			if r.Reason != results.ReasonEPMListed {
				return false
			}
			listed++
		}
	}
	return listed > 0
}

// rpcHost is one host's results, split by role.
type rpcHost struct {
	name       string
	epm        *results.Result  // 135/tcp
	registered []results.Result // ports the endpoint mapper handed out
	required   []results.Result // the --require interfaces
	ranged     []results.Result // ports of --range
	other      []results.Result // target errors
}

func groupRPC(rs []results.Result) []*rpcHost {
	rs = slices.Clone(rs)
	results.Sort(rs)
	var hosts []*rpcHost
	index := map[string]*rpcHost{}
	for i := range rs {
		r := &rs[i]
		key := r.Target + "\x00" + r.Addr.String()
		h := index[key]
		if h == nil {
			name := (&results.Host{Target: r.Target, Addr: r.Addr}).Name()
			if r.Source.IsValid() {
				name += "  from " + r.Source.String() // as the scan table says it
			}
			h = &rpcHost{name: name}
			index[key] = h
			hosts = append(hosts, h)
		}
		switch {
		case r.Probe == scan.ProbeEPM && r.Via == "":
			h.epm = r
		case r.Probe == scan.ProbeEPM && r.Check != nil:
			h.required = append(h.required, *r)
		case r.Probe == scan.ProbeEPM:
			h.registered = append(h.registered, *r)
		case r.Proto == results.TCP && r.Port != 0:
			h.ranged = append(h.ranged, *r)
		default:
			h.other = append(h.other, *r)
		}
	}
	for _, h := range hosts {
		slices.SortFunc(h.registered, func(a, b results.Result) int { return cmp.Compare(a.Port, b.Port) })
		slices.SortFunc(h.ranged, func(a, b results.Result) int { return cmp.Compare(a.Port, b.Port) })
	}
	return hosts
}

// writeRPCTable prints, per host: the endpoint mapper's answer, the registered
// endpoints by TCP port, the reachability of each registered port, and with a
// range, the registered ports outside it and the range's compressed summary.
func writeRPCTable(w io.Writer, rs []results.Result, rng *results.PortRange) error {
	var b strings.Builder
	for i, h := range groupRPC(rs) {
		if i > 0 {
			b.WriteByte('\n')
		}
		writeRPCHost(&b, h, rng)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRPCHost(b *strings.Builder, h *rpcHost, rng *results.PortRange) {
	fmt.Fprintf(b, "%s\n", h.name)
	for _, r := range h.other {
		fmt.Fprintf(b, "  %s: %s\n", r.State, r.Detail)
	}
	if h.epm == nil {
		return
	}
	fmt.Fprintf(b, "  endpoint mapper %s: %s (%s)", results.PortName(h.epm.Proto, h.epm.Port), h.epm.State, h.epm.Reason)
	if h.epm.Detail != "" {
		fmt.Fprintf(b, ": %s", h.epm.Detail)
	}
	b.WriteByte('\n')
	writeRequired(b, h.required)
	sum, _ := h.epm.Details.(*scan.EPMSummary)
	if sum == nil || sum.EPMResult == nil {
		return
	}

	if ports := sum.TCPPorts(); len(ports) > 0 {
		b.WriteString("\n  Registered endpoints by TCP port:\n")
		tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
		for _, p := range ports {
			for j, e := range p.Interfaces {
				port := ""
				if j == 0 {
					port = fmt.Sprintf("%d/tcp (%s)", p.Port, msrpc.PortKind(p.Port))
				}
				ann := ""
				if e.Annotation != "" {
					ann = strconv.Quote(e.Annotation)
				}
				fmt.Fprintf(tw, "    %s\t%s\tv%s\t%s\t%s\n", port, e.Label(), e.Version, e.Protocol, ann)
			}
		}
		tw.Flush()
	}
	var local []string
	for _, e := range sum.Endpoints {
		if e.Port == 0 {
			local = append(local, e.Protocol+" "+e.Endpoint)
		}
	}
	if len(local) > 0 {
		slices.Sort(local)
		local = slices.Compact(local)
		fmt.Fprintf(b, "  (%d more endpoints on named pipes or local RPC, not reachable through TCP ports: see -f json)\n", len(local))
	}

	if len(h.registered) > 0 {
		b.WriteString("\n  Reachability from here:\n")
		for _, r := range h.registered {
			if r.Port == 0 {
				fmt.Fprintf(b, "    %s (%s)\n", r.Detail, r.Reason)
				continue
			}
			fmt.Fprintf(b, "    %s registered on %d/tcp: %s", r.Under, r.Port, r.State)
			if r.State != results.Open {
				fmt.Fprintf(b, " (%s)", r.Reason)
			}
			b.WriteByte('\n')
		}
	}

	if rng == nil {
		return
	}
	fmt.Fprintf(b, "\n  Configured range %d-%d:\n", rng.Lo, rng.Hi)
	var outside []string
	for _, p := range sum.TCPPorts() {
		if msrpc.FixedEndpoint(p.Port) || rng.Contains(p.Port) {
			continue
		}
		outside = append(outside, fmt.Sprintf("%d/tcp (%s): %s", p.Port, msrpc.PortKind(p.Port), scan.EPMLabels(p.Interfaces)))
	}
	if len(outside) == 0 {
		b.WriteString("    every registered port is inside the range\n")
	} else {
		b.WriteString("    registered outside the range (the range's firewall rule does not cover them):\n")
		for _, o := range outside {
			fmt.Fprintf(b, "      %s\n", o)
		}
	}
	if len(h.ranged) > 0 {
		fmt.Fprintf(b, "    %s\n", summarizeRange(h.ranged))
	}
}

// summarizeRange compresses consecutive ports with the same state:
// "50000-50010 open (11), 50011-50100 closed (90), 50101-50200 filtered (100)".
func summarizeRange(rs []results.Result) string {
	var parts []string
	for i := 0; i < len(rs); {
		j := i
		for j+1 < len(rs) && rs[j+1].State == rs[i].State && rs[j+1].Port == rs[j].Port+1 {
			j++
		}
		span := strconv.Itoa(int(rs[i].Port))
		if j > i {
			span += "-" + strconv.Itoa(int(rs[j].Port))
		}
		parts = append(parts, fmt.Sprintf("%s %s (%d)", span, rs[i].State, j-i+1))
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// writeRequired prints the verdict of each --require interface.
func writeRequired(b *strings.Builder, rs []results.Result) {
	if len(rs) == 0 {
		return
	}
	b.WriteString("\n  Required interfaces:\n")
	for _, r := range rs {
		verdict := "ok  "
		if results.Fails(&r) {
			verdict = "FAIL"
		}
		fmt.Fprintf(b, "    %s %s (%s)\n", verdict, r.Detail, r.Reason)
	}
}

// writeInterfaceList prints the interface table --require takes names from.
func writeInterfaceList(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tNAME\tUUID\tVERSION\tSPEC")
	for _, i := range msrpc.Interfaces {
		fmt.Fprintf(tw, "%s\t%s\t%s\tv%s\t%s\n", i.Key, i.Name, i.UUID, i.Version(), i.Spec)
	}
	tw.Flush()
}
