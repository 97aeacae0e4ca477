package scan

import (
	"fmt"
	"iter"
	"slices"
	"sync/atomic"

	"github.com/portreach/portreach/results"
)

// portBudget is what Plan.MaxPorts leaves, once the planned ports are counted,
// for the ports a scan adds as it goes: a SQL Browser's instance ports, an
// endpoint mapper's registered ports, a target's further addresses, the DCs
// the DC locator finds (their LDAP pings, then their ports). Every
// place that adds ports takes them here, so one limit bounds the whole scan
// whatever a hostile reply lists (a Browser listing 700 instances made one
// five-port probe test 701 ports). A nil budget grants everything.
type portBudget struct {
	max  int // Plan.MaxPorts
	left atomic.Int64
}

// take grants up to n ports, as many as are left.
func (b *portBudget) take(n int) int {
	if n <= 0 {
		return 0
	}
	if b == nil {
		return n
	}
	for {
		left := b.left.Load()
		k := min(left, int64(n))
		if b.left.CompareAndSwap(left, left-k) {
			return int(k)
		}
	}
}

// takeAll grants n ports, or none when fewer are left.
func (b *portBudget) takeAll(n int) bool {
	if b == nil || n <= 0 {
		return true
	}
	for {
		left := b.left.Load()
		if left < int64(n) {
			return false
		}
		if b.left.CompareAndSwap(left, left-int64(n)) {
			return true
		}
	}
}

// limited is the one result that stands for ports the budget left untested:
// unknown, since nothing was learnt about them (a check it carries fails, as
// a port the run's time bound cut off does), with a reason that names the
// limit rather than the service. what says which ports.
func (b *portBudget) limited(what string, untested int) results.Result {
	return results.Result{Proto: results.TCP, State: results.Unknown, Reason: results.ReasonPortLimit,
		Detail: fmt.Sprintf("%s: %d not tested, the scan reached its limit of %d ports", what, untested, b.max)}
}

// limitPlan reads a limited plan's targets whole, counts their planned ports
// (PortCount) and returns the targets and the budget the planned ports leave;
// a plan whose planned ports pass the limit is a *TooManyPortsError, before
// anything is sent. The counting goes on past the limit without keeping the
// targets, so that the error says how many ports were asked for. Without a
// limit the plan's targets are returned as they are, unread.
func limitPlan(plan Plan) (iter.Seq[Target], *portBudget, error) {
	if plan.MaxPorts <= 0 {
		return plan.Targets, nil, nil
	}
	var targets []Target
	n := 0
	if plan.Targets == nil {
		// A plan of domains only: the DCs the locator finds take their
		// ports from the budget as they are found.
		plan.Targets = func(func(Target) bool) {}
	}
	for t := range plan.Targets {
		ports := plan.Ports
		if t.Ports != nil {
			ports = t.Ports
		}
		n += PortCount(ports)
		if n <= plan.MaxPorts {
			targets = append(targets, t)
		}
	}
	if n > plan.MaxPorts {
		return nil, nil, &TooManyPortsError{Ports: n, Max: plan.MaxPorts}
	}
	b := &portBudget{max: plan.MaxPorts}
	b.left.Store(int64(plan.MaxPorts - n))
	return slices.Values(targets), b, nil
}
