package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/results"
)

// ProbeEPM is the Probe name of every result the endpoint-mapper check produces.
const ProbeEPM = "epm"

// EPMPortDetail is the structured detail of a registered port's result.
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
	s := "registered (" + d.Kind + ")"
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

// Summary is "53 entries, 14 interfaces on 4 TCP ports" or the refusal.
func (d *EPMSummary) Summary() string {
	if d.Error != "" {
		return d.Error
	}
	s := fmt.Sprintf("%d entries, %d endpoints on %d TCP ports", d.Entries, len(d.Endpoints), len(d.TCPPorts()))
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
			l = e.Name + " (" + e.Interface.String()[:8] + "-…)"
		}
		parts = append(parts, l)
	}
	return strings.Join(parts, ", ")
}

// EPMLabels is how reports name the interfaces behind a port: "MSDTC
// (906b0ce0-…), LSA (MS-LSAD/LSAT) (12345778-…)"; unnamed interfaces keep their
// whole UUID.
func EPMLabels(eps []msrpc.Endpoint) string { return epmLabels(eps, true) }

// epmCheck runs a dynamic-rpc plan entry: 135/tcp is tested like any port; if it
// is open the endpoint mapper is asked for its endpoints, and every TCP port it
// registered (other than 135 itself) is tested and reported with the interfaces
// behind it, so a verdict says which services a firewall breaks. The endpoint
// mapper is asked on p.EPM, 135 when zero (tests run fake mappers elsewhere).
// A registered port outside the declared range p.Lo-p.Hi is pointed out.
func (r *run) epmCheck(ctx context.Context, h *host, p Port) {
	epmPort := cmp.Or(p.EPM, msrpc.EPMPort)
	res := r.tcp(ctx, h, epmPort)
	res.Probe = ProbeEPM
	if res.State != results.Open {
		res.Detail = "endpoint mapper unreachable: the registered RPC ports cannot be listed"
		r.emit(h, h.name, withCheck(res, p.Check))
		return
	}
	r.slots <- struct{}{}
	c := EPMClient{Timeout: max(10*time.Second, 4*r.timeout), Dialer: &r.dialer}
	er, err := c.Lookup(ctx, netip.AddrPortFrom(h.addr, epmPort))
	<-r.slots
	sum := &EPMSummary{EPMResult: er}
	var rpcErr *msrpc.Error
	switch {
	case err == nil:
		res.Reason = results.ReasonEPMListed
	case errors.As(err, &rpcErr):
		res.Reason, sum.Error = results.ReasonEPMRefused, err.Error()
	default:
		res.Reason, sum.Error = results.ReasonEPMError, err.Error()
	}
	res.Detail, res.Details = sum.Summary(), sum
	r.emit(h, h.name, withCheck(res, p.Check))

	var wg sync.WaitGroup
	for _, ep := range sum.TCPPorts() {
		if ep.Port == msrpc.EPMPort || ep.Port == epmPort {
			continue // the endpoint mapper's own port, reported above
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr := r.tcp(ctx, h, ep.Port)
			d := &EPMPortDetail{Kind: msrpc.PortKind(ep.Port), Interfaces: ep.Interfaces}
			if p.Lo != 0 && (ep.Port < p.Lo || ep.Port > p.hi()) {
				d.OutsideRange = fmt.Sprintf("%d-%d", p.Lo, p.hi())
			}
			pr.Probe, pr.Under, pr.Detail, pr.Details = ProbeEPM, EPMLabels(ep.Interfaces), d.Summary(), d
			r.emit(h, h.name, withCheck(pr, p.Check))
		}()
	}
	wg.Wait()
}
