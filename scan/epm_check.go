package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/results"
)

// ProbeEPM is the Probe name of every result the endpoint-mapper check
// produces: results.ProbeEPM, where the formats read it too.
const ProbeEPM = results.ProbeEPM

// EPMPortDetail is the structured detail of a registered port's result, for an
// entry that names no interface (any registered port counts).
type EPMPortDetail struct {
	Kind       string           `json:"kind"` // PortKind
	Interfaces []msrpc.Endpoint `json:"interfaces"`
	// OutsideRange is the declared RPC range ("50000-50200") when the port lies
	// outside it: a firewall rule for the range will not cover this port.
	OutsideRange string `json:"outside_range,omitempty"`
}

// Summary says how the port was registered, "registered (dynamic)"; the
// interfaces behind it are the result's Under, so tables do not print them twice.
func (d *EPMPortDetail) Summary() string {
	s := "registered (" + d.Kind + "); the entry names no RPC interface: any registered port counts"
	if d.OutsideRange != "" {
		s += "; outside the declared RPC range " + d.OutsideRange
	}
	return s
}

// EPMSummary is the structured detail of the endpoint mapper's own result.
type EPMSummary struct {
	*EPMResult
	Error string `json:"error,omitempty"`
}

// Summary is "53 entries, 16 TCP endpoints on 5 ports, 20 on named pipes or
// local RPC" or the refusal: only TCP endpoints are what a firewall lets
// through, so they are counted apart.
func (d *EPMSummary) Summary() string {
	if d.Error != "" {
		return d.Error
	}
	ports := d.TCPPorts()
	tcp := 0
	for _, p := range ports {
		tcp += len(p.Interfaces)
	}
	s := fmt.Sprintf("%d %s, %d TCP %s on %d %s", d.Entries, plural(d.Entries, "entry", "entries"),
		tcp, plural(tcp, "endpoint", "endpoints"), len(ports), plural(len(ports), "port", "ports"))
	if other := len(d.Endpoints) - tcp; other > 0 {
		s += fmt.Sprintf(", %d on named pipes or local RPC", other)
	}
	if d.Truncated {
		s += " (truncated)"
	}
	return s
}

// epmLabels joins interface labels; short cuts UUIDs of named interfaces to their
// first group, as in "MSDTC (906b0ce0-…)".
func epmLabels(eps []msrpc.Endpoint, short bool) string {
	var parts []string
	seen := map[msrpc.UUID]bool{}
	for _, e := range eps {
		if seen[e.Interface] {
			continue
		}
		seen[e.Interface] = true
		l := e.Label()
		if short && e.Name != "" {
			l = msrpc.Interface{Name: e.Name, UUID: e.Interface}.Label()
		}
		parts = append(parts, l)
	}
	return strings.Join(parts, ", ")
}

// EPMLabels is how reports name the interfaces behind a port: "MSDTC
// (906b0ce0-…), LSA (MS-LSAD/LSAT) (12345778-…)"; unnamed interfaces keep their
// whole UUID.
func EPMLabels(eps []msrpc.Endpoint) string { return epmLabels(eps, true) }

// RPCInterfaceDetail is the structured detail of a named interface's result:
// where the endpoint mapper registered it and what a bind to it answered.
type RPCInterfaceDetail struct {
	// Interface is the interface the result is about: the one that was found,
	// or the first of the set when none was.
	Interface msrpc.Interface `json:"interface"`
	// Alternatives are the other interfaces that would have answered for the
	// same service (FRS or DFSR).
	Alternatives []msrpc.Interface `json:"alternatives,omitempty"`
	// Endpoints are every endpoint the endpoint mapper registered for the set,
	// TCP or not (a service registered on local RPC only is not reachable).
	Endpoints []msrpc.Endpoint `json:"endpoints,omitempty"`
	Kind      string           `json:"kind,omitempty"` // msrpc.PortKind of the port tested
	// OutsideRange is the declared RPC range when the port lies outside it.
	OutsideRange string `json:"outside_range,omitempty"`
	// Bind is what a bind to the interface answered: "bind_ack", the refusal,
	// or the error; "" when the port did not open.
	Bind string `json:"bind,omitempty"`
	text string
}

// Summary is the one-line verdict, as "MSDTC (906b0ce0-…) registered on
// 50012/tcp: filtered".
func (d *RPCInterfaceDetail) Summary() string { return d.text }

// epmShare is what the dynamic-rpc entries of one host share.
type epmShare struct {
	// check is the check of a fixed entry on the endpoint mapper's own port
	// (the profiles' "RPC endpoint mapper" row): the endpoint mapper's row
	// carries it instead of the port being tested twice.
	check *results.Check
	// row says that this entry reports the endpoint mapper's row; the host's
	// other dynamic-rpc entries on the same port do not repeat it.
	row bool
	// fixed are the host's fixed TCP entries that carry a check: ports checked by
	// an entry of their own are not reported again as registered ports (an
	// ad-hoc range, as rpc --range tests, checks nothing and hides nothing).
	fixed []Port
}

// covers reports whether a fixed entry of the host tests the TCP port.
func (s *epmShare) covers(port uint16) bool {
	for _, p := range s.fixed {
		if p.Lo <= port && port <= p.hi() {
			return true
		}
	}
	return false
}

// planEPM prepares one host's dynamic-rpc entries so that each port is reported
// once: a fixed entry on exactly the endpoint mapper's port is folded into the
// endpoint mapper's row (its check goes there), the first dynamic-rpc entry on
// each endpoint-mapper port reports that row, and the fixed TCP entries are
// remembered so that registered ports they test are not reported twice.
func planEPM(ports []Port) []Port {
	if !slices.ContainsFunc(ports, func(p Port) bool { return p.Kind == KindDynamicRPC && p.Why == "" }) {
		return ports
	}
	epmPorts := map[uint16]bool{}
	for _, p := range ports {
		if p.Kind == KindDynamicRPC && p.Why == "" {
			epmPorts[cmp.Or(p.EPM, msrpc.EPMPort)] = true
		}
	}
	var fixed []Port
	folded := map[uint16]*results.Check{}
	out := make([]Port, 0, len(ports))
	for _, p := range ports {
		if p.Kind == KindPort && p.Why == "" && p.Proto == results.TCP {
			if _, done := folded[p.Lo]; p.hi() == p.Lo && epmPorts[p.Lo] && !done {
				folded[p.Lo] = p.Check
				continue
			}
			if p.Check != nil {
				fixed = append(fixed, p)
			}
		}
		out = append(out, p)
	}
	rowDone := map[uint16]bool{}
	for i, p := range out {
		if p.Kind != KindDynamicRPC || p.Why != "" {
			continue
		}
		port := cmp.Or(p.EPM, msrpc.EPMPort)
		out[i].epm = &epmShare{check: folded[port], row: !rowDone[port], fixed: fixed}
		rowDone[port] = true
	}
	return out
}

// epmCheck runs a dynamic-rpc plan entry. The endpoint mapper's port (p.EPM, 135
// when zero) is tested and, when open, asked for its endpoints; its row carries
// the endpoint list, and the check of the profiles' own endpoint-mapper entry if
// there is one. Then, for each interface set the entry names, a row says whether
// the interface is registered on a TCP port, whether that port is reachable and
// whether it accepts a bind to the interface. An entry that names no interface
// keeps the older meaning: every registered TCP port is tested (the endpoint
// mapper's own and well-known fixed ones aside) and reported with the interfaces
// behind it. A registered port outside the declared range p.Lo-p.Hi is pointed
// out. Every row of the entry points back at the endpoint mapper's port (Via).
func (r *run) epmCheck(ctx context.Context, h *host, p Port) {
	share := p.epm
	if share == nil {
		share = &epmShare{row: true}
	}
	epmPort := cmp.Or(p.EPM, msrpc.EPMPort)
	res := r.tcp(ctx, h, epmPort)
	res.Probe = ProbeEPM
	sum := &EPMSummary{EPMResult: &EPMResult{Addr: netip.AddrPortFrom(h.addr, epmPort)}}
	if res.State != results.Open {
		if res.State != results.Unknown {
			res.Detail = "endpoint mapper unreachable: the registered RPC ports cannot be listed"
		}
	} else {
		r.acquire()
		// The whole exchange (bind, then up to MaxCalls lookups) gets ten
		// answer timeouts: 10 s by default, less when --timeout asks for less.
		c := EPMClient{Timeout: 10 * r.timeout, Dialer: &r.dialer}
		er, err := c.Lookup(ctx, netip.AddrPortFrom(h.addr, epmPort))
		r.release()
		sum.EPMResult = er
		var rpcErr *msrpc.Error
		switch {
		case err != nil && stopped(ctx):
			// Cut off by Ctrl-C or --max-time: not a failure of the mapper.
			res.State, res.Reason = results.Unknown, stopReason(ctx)
			sum.Error = "port open; the run stopped before the endpoint mapper answered"
		case err == nil:
			res.Reason = results.ReasonEPMListed
		case errors.As(err, &rpcErr):
			res.Reason, sum.Error = results.ReasonEPMRefused, err.Error()
		default:
			res.Reason, sum.Error = results.ReasonEPMError, err.Error()
		}
		res.Detail, res.Details = sum.Summary(), sum
	}
	listed := res.Reason == results.ReasonEPMListed
	if share.row {
		row := withCheck(res, share.check)
		if !listed && res.State == results.Open {
			row.Fail(res.Reason) // open, but no endpoint mapper behind it
		}
		r.emit(h, h.name, row)
	}

	via := results.PortName(results.TCP, epmPort)
	emit := func(x results.Result) {
		x.Probe, x.Via = ProbeEPM, via
		if x.Proto == "" {
			x.Proto = results.TCP
		}
		r.emit(h, h.name, withCheck(x, p.Check))
	}
	if !listed {
		// Never a pass: nothing says the services are there.
		why := res.State.String() + ", " + string(res.Reason)
		if sum.Error != "" {
			why = sum.Error
		}
		unreadable := fmt.Sprintf("endpoint mapper on %s unreadable (%s)", via, why)
		var rows []results.Result
		for _, set := range p.Interfaces {
			rows = append(rows, results.Result{
				Detail: unreadable + ": cannot tell whether " + set.Label() + " is registered"})
		}
		if len(p.Interfaces) == 0 {
			rows = append(rows, results.Result{Detail: unreadable + ": the registered RPC ports cannot be listed"})
		}
		for _, x := range rows {
			x.State, x.Reason = res.State, results.ReasonEPMUnreadable
			if res.State == results.Unknown {
				x.Reason = res.Reason // the run stopped: interrupted or max-time
			}
			x.Fail(results.ReasonEPMUnreadable)
			emit(x)
		}
		return
	}
	if len(p.Interfaces) == 0 {
		r.registeredPorts(ctx, h, p, share, sum, epmPort, emit)
		return
	}
	var wg sync.WaitGroup
	for _, set := range p.Interfaces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			emit(r.interfaceCheck(ctx, h, p, set, sum.Endpoints))
		}()
	}
	wg.Wait()
}

// registeredPorts tests every registered TCP port for an entry that names no
// interface. The endpoint mapper's own port and the well-known fixed endpoints
// (msrpc.FixedEndpoint: 593 is RPC over HTTP, not a dynamic port) are not part of
// a dynamic-range question, and ports the host's plan tests as fixed entries are
// reported there.
func (r *run) registeredPorts(ctx context.Context, h *host, p Port, share *epmShare, sum *EPMSummary, epmPort uint16, emit func(results.Result)) {
	var wg sync.WaitGroup
	n := 0
	var test []msrpc.PortEndpoints
	for _, ep := range sum.TCPPorts() {
		if ep.Port == epmPort || msrpc.FixedEndpoint(ep.Port) {
			continue
		}
		n++
		if !share.covers(ep.Port) {
			test = append(test, ep)
		}
	}
	// The plan counts one row for the entry (PortCount): the first port; the
	// others the endpoint mapper adds, within the scan's port budget.
	if len(test) > 1 {
		if k := 1 + r.budget.take(len(test)-1); k < len(test) {
			emit(r.budget.limited(fmt.Sprintf("%d TCP ports the endpoint mapper registers", len(test)), len(test)-k))
			test = test[:k]
		}
	}
	for _, ep := range test {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr := r.tcp(ctx, h, ep.Port)
			d := &EPMPortDetail{Kind: msrpc.PortKind(ep.Port), Interfaces: ep.Interfaces}
			if p.Lo != 0 && (ep.Port < p.Lo || ep.Port > p.hi()) {
				d.OutsideRange = fmt.Sprintf("%d-%d", p.Lo, p.hi())
			}
			pr.Under, pr.Detail, pr.Details = EPMLabels(ep.Interfaces), d.Summary(), d
			emit(pr)
		}()
	}
	wg.Wait()
	if n == 0 {
		x := results.Result{State: results.Closed, Reason: results.ReasonNotRegistered,
			Detail: "no dynamic TCP endpoint is registered with the endpoint mapper: no RPC service listens over the network"}
		x.Fail(results.ReasonNotRegistered)
		emit(x)
	}
}

// interfaceCheck gives one interface set its verdict: registered on a TCP port
// that is reachable and accepts a bind to the interface, or why not. Each
// registered port of each interface is tried in order until one binds; the
// result is that one, or the first failure.
func (r *run) interfaceCheck(ctx context.Context, h *host, p Port, set InterfaceSet, eps []msrpc.Endpoint) results.Result {
	d := &RPCInterfaceDetail{Interface: set[0], Alternatives: set[1:]}
	var other []string // non-TCP protocol sequences the set is registered on
	type candidate struct {
		iface msrpc.Interface
		ep    msrpc.Endpoint
	}
	var cands []candidate
	for _, i := range set {
		for _, e := range eps {
			if e.Interface != i.UUID {
				continue
			}
			d.Endpoints = append(d.Endpoints, e)
			if e.Protocol == "ncacn_ip_tcp" && e.Port != 0 {
				cands = append(cands, candidate{i, e})
			} else if !slices.Contains(other, e.Protocol) {
				other = append(other, e.Protocol)
			}
		}
	}
	if len(cands) == 0 {
		d.text = set.Label() + " is not registered with the endpoint mapper on a TCP port: the service is stopped or not installed"
		if set[0].Key == "msdtc" {
			d.text += ", or network DTC access is off"
		}
		if len(other) > 0 {
			d.text += " (registered only on " + strings.Join(other, ", ") + ", which a remote client cannot reach over TCP)"
		}
		x := results.Result{State: results.Closed, Reason: results.ReasonNotRegistered, Detail: d.text, Details: d}
		x.Fail(results.ReasonNotRegistered)
		return x
	}
	var first *results.Result
	for i, c := range cands {
		// The plan counts one row for the set (PortCount): its first port;
		// trying another is a port the endpoint mapper adds, within the
		// scan's port budget.
		if i > 0 && !r.budget.takeAll(1) {
			x := r.budget.limited(fmt.Sprintf("%s is registered on %d TCP ports, %d tried and none bound (the first: %s); the rest",
				set.Label(), len(cands), i, first.Detail), len(cands)-i)
			x.Details = first.Details
			return x
		}
		x := r.tcp(ctx, h, c.ep.Port)
		id := c.ep.Syntax()
		id.Key, id.Spec, id.Source = c.iface.Key, c.iface.Spec, c.iface.Source
		if id.Name == "" {
			id.Name = c.iface.Name
		}
		dd := *d
		dd.Interface, dd.Alternatives = id, others(set, c.iface)
		dd.Kind = msrpc.PortKind(c.ep.Port)
		if p.Lo != 0 && (c.ep.Port < p.Lo || c.ep.Port > p.hi()) {
			dd.OutsideRange = fmt.Sprintf("%d-%d", p.Lo, p.hi())
		}
		at := fmt.Sprintf("%s registered on %d/tcp", id.Label(), c.ep.Port)
		if x.State == results.Open {
			r.acquire()
			c := EPMClient{Timeout: 10 * r.timeout, Dialer: &r.dialer}
			ack, err := c.Bind(ctx, netip.AddrPortFrom(h.addr, x.Port), id)
			r.release()
			var rpcErr *msrpc.Error
			switch {
			case err != nil && stopped(ctx):
				// Cut off by Ctrl-C or --max-time: not a failure of the service.
				x.State, x.Reason = results.Unknown, stopReason(ctx)
				dd.text = at + ": open; the run stopped before the bind was answered"
			case err == nil:
				x.Reason, dd.Bind = results.ReasonRPCBindAck, "bind_ack"
				dd.text = fmt.Sprintf("%s: bound (bind_ack, max frag %d)", at, ack.MaxRecv)
			case errors.As(err, &rpcErr):
				x.Reason, dd.Bind = results.ReasonRPCBindRejected, err.Error()
				dd.text = fmt.Sprintf("%s: %s: the port is not %s", at, err, id.Name)
				x.Fail(results.ReasonRPCBindRejected)
			default:
				x.Reason, dd.Bind = results.ReasonRPCBindError, err.Error()
				dd.text = fmt.Sprintf("%s: open, but the bind failed: %s", at, err)
				x.Fail(results.ReasonRPCBindError)
			}
		} else {
			dd.text = fmt.Sprintf("%s: %s", at, x.State)
		}
		if dd.OutsideRange != "" {
			dd.text += "; outside the declared RPC range " + dd.OutsideRange
		}
		x.Detail, x.Details = dd.text, &dd // the detail names the interface: no Under to repeat it
		if x.Reason == results.ReasonRPCBindAck {
			return x
		}
		if first == nil {
			first = &x
		}
	}
	return *first
}

// others returns the set without i.
func others(set InterfaceSet, i msrpc.Interface) []msrpc.Interface {
	var out []msrpc.Interface
	for _, j := range set {
		if j.UUID != i.UUID {
			out = append(out, j)
		}
	}
	return out
}

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
