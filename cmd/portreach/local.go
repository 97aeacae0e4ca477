package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portreach/portreach/checklist"
	"github.com/portreach/portreach/listeners"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

const localUsage = `Usage:
  portreach local [flags]

List this machine's listening TCP ports and bound UDP ports with the process
that owns each (name and PID), or, with --profile, check them against a role
profile: run it on the server itself to tell "the service is not started"
(not-listening) from "a firewall drops it" (listening here, filtered from
elsewhere). Ports bound only on loopback are reported apart (loopback-only):
other machines cannot reach them. Seeing other users' processes needs root
(Administrator on Windows); without it their sockets are listed with no owner.

Examples:
  portreach local
  portreach local --profile "Domain controller"
  portreach local --profile exchange-2016-mailbox -o html:mail01-local.html

Exit status: 0 every expectation held (or none was set); 1 one failed: a
required port not listening, a must-be-closed port listening; 2 bad input; 5 an
output could not be written (disk full, I/O error).
`

// localCmd is "portreach local": it reuses scan's profile and output handling.
type localCmd struct{ scanCmd }

// localFlags defines local's flags, by help topic.
func localFlags(c *localCmd) *cmdFlags {
	c.profileNames.split = true
	f := newCmdFlags("portreach local", localUsage)
	f.Group(groupPorts)
	f.Var(&c.profileNames, "profile", "check against role profile `NAME` (slug, name or alias; repeatable or comma-separated)")
	f.Complete("profile", true, profileNames)
	f.Var(&c.profileFiles, "profile-file", "add your own profiles from `FILE` (JSON, the schema of profiles/data)")
	f.Group(groupOutput)
	c.addOutputs(f)
	f.BoolVar(&c.verbose, "verbose", false, "table: one row per port, and the purpose and source of every checked port")
	f.Short("v", "verbose")
	f.BoolVar(&c.noColor, "no-color", false, "no colours in the table (also when NO_COLOR is set)")
	return f
}

func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &localCmd{scanCmd{ctx: ctx, stdout: stdout, stderr: stderr}}
	f := localFlags(c)
	pos, code, done := f.parseArgs(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "portreach local: unexpected argument %q: local reads this machine's sockets (to test another host, use portreach scan)\n", pos[0])
		return exitUsage
	}
	code, err := c.run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "portreach local: %v\n", err)
	}
	return exitFor(code, err)
}

func (c *localCmd) run(ctx context.Context) (int, error) {
	ports, err := c.ownPorts(ctx)
	if err != nil {
		return exitUsage, err
	}
	outs, err := c.outputsList()
	if err != nil {
		return exitUsage, err
	}
	rep := &results.Report{
		Tool:    results.Tool{Name: "portreach", Version: version()},
		Started: time.Now().UTC(),
		Command: append([]string{"portreach", "local"}, os.Args[min(2, len(os.Args)):]...),
	}
	socks, err := listeners.Read()
	if err != nil {
		return exitUsage, fmt.Errorf("reading this machine's sockets: %w", err)
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	if len(c.profileNames.vals) == 0 {
		rep.Results = listResults(host, socks)
	} else {
		rep.Results = checkResults(host, socks, ports)
	}
	rep.Finished = time.Now().UTC()
	st, err := c.openOutputs(outs, nil)
	if err != nil {
		return exitUsage, err
	}
	defer st.abort() // whatever was not committed
	for _, r := range rep.Results {
		st.write(r)
	}
	if err := c.writeOutputs(outs, st, rep, nil); err != nil {
		return exitWrite, err
	}
	if len(results.Failed(rep.Results)) > 0 {
		return exitFailed, nil
	}
	return exitOK, nil
}

// ownPorts are the ports --profile checks on this machine itself: the plan
// of its profiles on this host, whose destination roles are other machines.
func (c *localCmd) ownPorts(ctx context.Context) ([]scan.Port, error) {
	cat, ps, err := c.catalog()
	if cat == nil || err != nil {
		return nil, err
	}
	pl, err := checklist.Build(ctx, checklist.Request{Catalog: cat, Items: []checklist.Item{{Profiles: ps, Targets: []string{"localhost"}}}})
	var roleOnly *checklist.NothingToTestError
	switch {
	case errors.As(err, &roleOnly):
		return nil, nil // every entry is on a destination role
	case err != nil:
		return nil, bad("%v", err)
	}
	return pl.Scan.Ports, nil
}

// portKey is one port of one transport.
type portKey struct {
	proto results.Proto
	port  uint16
}

// bySocketPort groups sockets by transport and port, keeping Read's order.
func bySocketPort(socks []listeners.Socket) (map[portKey][]listeners.Socket, []portKey) {
	m := map[portKey][]listeners.Socket{}
	var order []portKey
	for _, s := range socks {
		k := portKey{s.Proto, s.Addr.Port()}
		if _, ok := m[k]; !ok {
			order = append(order, k)
		}
		m[k] = append(m[k], s)
	}
	return m, order
}

// listResults is one result per listening port: listening, or loopback-only.
func listResults(host string, socks []listeners.Socket) []results.Result {
	m, order := bySocketPort(socks)
	out := make([]results.Result, 0, len(order))
	for _, k := range order {
		out = append(out, socketResult(host, k, m[k], nil))
	}
	return out
}

// socketResult says whether the sockets on one port can be reached from other
// machines: listening when one is bound to a non-loopback (or every) address,
// loopback-only otherwise, not-listening when there are none.
func socketResult(host string, k portKey, ss []listeners.Socket, check *results.Check) results.Result {
	r := results.Result{Target: host, Proto: k.proto, Port: k.port, Check: check, Time: time.Now().UTC()}
	if len(ss) == 0 {
		r.State, r.Reason = results.Closed, results.ReasonNotListening
		return r
	}
	r.State, r.Reason = results.Closed, results.ReasonLoopbackOnly
	for _, s := range ss {
		if !s.Addr.Addr().IsLoopback() {
			r.State, r.Reason = results.Open, results.ReasonListening
		}
	}
	r.Detail = ownersText(ss)
	return r
}

// ownersText names the processes behind a port and where they are bound:
// "w3wp.exe, pid 4120 (0.0.0.0, ::)".
func ownersText(ss []listeners.Socket) string {
	type owner struct {
		pid    int
		name   string
		hidden bool
	}
	var owners []owner
	addrs := map[owner][]string{}
	for _, s := range ss {
		o := owner{s.PID, s.Process, s.Hidden}
		if _, ok := addrs[o]; !ok {
			owners = append(owners, o)
		}
		if a := s.Addr.Addr().String(); !slices.Contains(addrs[o], a) {
			addrs[o] = append(addrs[o], a)
		}
	}
	var parts []string
	for _, o := range owners {
		who := unknownOwner(o.hidden, os.Geteuid() == 0)
		if o.pid != 0 {
			who = "pid " + strconv.Itoa(o.pid)
			if o.name != "" {
				who = o.name + ", " + who
			}
		}
		parts = append(parts, who+" ("+strings.Join(addrs[o], ", ")+")")
	}
	return strings.Join(parts, "; ")
}

// unknownOwner says why a socket's owner is unknown (listeners.Socket.Hidden):
// as root, "run as root" would be no help.
func unknownOwner(hidden, root bool) string {
	switch {
	case hidden && !root:
		return "owner unknown (another user's process: run as root to see it)"
	case hidden:
		return "owner unknown (even as root, some processes' sockets could not be read: processes of another user namespace, or guarded by a security module)"
	}
	return "no process in view holds it (a socket of the kernel's own: nfsd, lockd, VXLAN, WireGuard …; or a process in another PID namespace)"
}

// rangeListed is the widest port range checked port by port; a wider one (a
// dynamic RPC range) reports the ports that listen in it, or one result
// saying that none does.
const rangeListed = 256

// checkResults checks a profile's ports against the sockets: one result per
// port of each entry.
func checkResults(host string, socks []listeners.Socket, ports []scan.Port) []results.Result {
	m, _ := bySocketPort(socks)
	var out []results.Result
	for _, p := range ports {
		hi := max(p.Hi, p.Lo)
		switch {
		case p.Why != "":
			out = append(out, results.Result{Target: host, Proto: p.Proto, Port: p.Lo, State: results.NotTested, Reason: p.Why, Check: p.Check})
			continue
		case p.Proto != results.TCP && p.Proto != results.UDP:
			out = append(out, results.Result{Target: host, Proto: p.Proto, State: results.NotTested, Reason: results.ReasonIPProto,
				Detail: "an IP protocol has no ports to listen on", Check: p.Check})
			continue
		case p.Kind == scan.KindDynamicRPC && p.Lo == 0:
			// No range declared: the RPC runtime picks any port; a remote
			// scan asks the endpoint mapper which (portreach rpc).
			out = append(out, results.Result{Target: host, Proto: p.Proto, State: results.NotTested, Reason: results.ReasonNegotiated,
				Detail: "dynamic RPC without a declared range", Check: p.Check})
			continue
		}
		if int(hi)-int(p.Lo) < rangeListed && p.Kind != scan.KindDynamicRPC {
			for port := int(p.Lo); port <= int(hi); port++ {
				k := portKey{p.Proto, uint16(port)}
				out = append(out, socketResult(host, k, m[k], p.Check))
			}
			continue
		}
		n := 0
		for port := int(p.Lo); port <= int(hi); port++ {
			k := portKey{p.Proto, uint16(port)}
			if ss := m[k]; len(ss) > 0 {
				out = append(out, socketResult(host, k, ss, p.Check))
				n++
			}
		}
		if n == 0 {
			r := socketResult(host, portKey{p.Proto, p.Lo}, nil, p.Check)
			r.Detail = fmt.Sprintf("nothing listens in %d-%d/%s", p.Lo, hi, p.Proto)
			out = append(out, r)
		}
	}
	return out
}
