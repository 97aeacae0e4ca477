package scan

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// followUps tests the TCP ports a reply revealed (SQL Browser's instances), on the
// scanned address only: never on an address taken from the reply. Which of them
// are checks, and what a required instance the reply does not list gives, is
// planFollowUps' decision.
func (r *run) followUps(ctx context.Context, h *host, g *errgroup.Group, j *udpJob, planned []Port) {
	var fus []probes.FollowUp
	var instances []probes.SQLInstance
	if j.result.State == results.Open {
		if fu, ok := j.result.Details.(probes.FollowUpper); ok {
			fus = fu.FollowUps()
		}
		if d, ok := j.result.Details.(*probes.SQLBrowserDetail); ok {
			instances = d.Instances
		}
	}
	via := results.PortName(results.UDP, j.port)
	tests, missing := planFollowUps(j.plan, j.result, fus, instances, checkedTCP(planned))
	for _, m := range missing {
		m.Via, m.Probe = via, j.result.Probe
		r.emit(h, h.name, m)
	}
	tests = r.withinBudget(h, j, tests)
	for _, f := range tests {
		g.Go(func() error {
			res := withCheck(r.tcp(ctx, h, f.port), f.check)
			// A SQL instance's port is confirmed by its PRELOGIN, as 1433 is:
			// checked instances in profile scans, every one with --confirm. The
			// result keeps the Browser's probe name, by which drift matches the
			// ports a reply revealed.
			if res.State == results.Open && j.result.Probe == probes.SQLBrowser.Name &&
				(r.Confirm.ByPort || r.Confirm.Checked && f.check != nil && !f.check.Expect.Denies()) {
				r.confirm(ctx, h, &res, probes.TDS)
			}
			res.Under = f.label
			res.Via = via
			res.Probe = j.result.Probe
			r.emit(h, h.name, res)
			return nil
		})
	}
}

// followUp is one revealed TCP port to test, and the check its result carries.
type followUp struct {
	port  uint16
	label string
	check *results.Check
	// required: the port of an instance the plan requires (Port.Instances),
	// counted in the plan (PortCount); the others are added by the reply.
	required bool
}

// withinBudget keeps the follow-ups the scan's port budget grants: every
// required one (planned), then the others in the reply's order as far as the
// budget goes. Those it leaves are reported in one result: a Browser listing
// hundreds of instances costs one row, not hundreds of untested ones.
func (r *run) withinBudget(h *host, j *udpJob, tests []followUp) []followUp {
	var kept, extra []followUp
	for _, f := range tests {
		if f.required {
			kept = append(kept, f)
		} else {
			extra = append(extra, f)
		}
	}
	n := r.budget.take(len(extra))
	if n == len(extra) {
		return tests
	}
	left := extra[n:]
	res := r.budget.limited(fmt.Sprintf("%d TCP ports the %s reply on %s lists", len(extra), j.result.Probe, results.PortName(results.UDP, j.port)), len(left))
	res.Via, res.Probe = results.PortName(results.UDP, j.port), j.result.Probe
	if slices.ContainsFunc(left, func(f followUp) bool { return f.check != nil }) {
		res.Check = instanceCheck(j.plan.Check, "instances")
	}
	r.emit(h, h.name, res)
	return append(kept, extra[:n]...)
}

// planFollowUps decides what a Browser's reply (res, with the follow-ups and
// instances it revealed) leads to, for the plan entry p:
//
//   - p names required instances (p.Instances): each listed one's TCP port is
//     tested with that instance's check (once per requirement: two roles that
//     need the same instance each get their row); other instances' ports are
//     tested without a check (they are not what the role asked for); a required
//     instance the reply does not list, or lists without a TCP port, is a failed
//     check of its own (ReasonInstanceNotListed, ReasonInstanceNoTCP), and so
//     is every required instance when the Browser did not answer;
//   - otherwise, when p's check requires the Browser open, reachable or
//     blocked (the profile requires SQL Server, or requires it out of reach),
//     every instance port becomes a check of that
//     role with the same expectation: a filtered instance port fails the run;
//     except a port the plan checks on the host anyway (a profile's 1433), which
//     would otherwise be counted twice;
//   - otherwise the ports are tested and reported without a check.
func planFollowUps(p Port, res results.Result, fus []probes.FollowUp, instances []probes.SQLInstance, checked func(uint16) bool) ([]followUp, []results.Result) {
	var tests []followUp
	var missing []results.Result
	covered := map[uint16]bool{}
	for _, want := range p.Instances {
		in, listed := findInstance(instances, want.Name)
		m := results.Result{Proto: results.TCP, State: results.NotTested, Under: results.InstanceLabel(want.Name), Check: want.Check}
		switch {
		case res.State != results.Open:
			m.Reason = results.ReasonInstanceNotListed
			m.Detail = "the SQL Browser did not answer (" + res.State.String() + "), so nothing says where instance " + want.Name + " listens"
		case !listed:
			m.Reason = results.ReasonInstanceNotListed
			m.Detail = "the SQL Browser does not list instance " + want.Name + listedNames(instances)
		case in.TCPPort == 0:
			m.Reason = results.ReasonInstanceNoTCP
			m.Detail = "the SQL Browser lists instance " + in.Name + " without a TCP port: enable its TCP/IP protocol"
		default:
			covered[in.TCPPort] = true
			tests = append(tests, followUp{port: in.TCPPort, label: results.InstanceLabel(in.Name), check: want.Check, required: true})
			continue
		}
		m.Fail(m.Reason)
		missing = append(missing, m)
	}
	for _, f := range fus {
		if f.Port == 0 || covered[f.Port] {
			continue
		}
		fu := followUp{port: f.Port, label: f.Label}
		if len(p.Instances) == 0 && !checked(f.Port) {
			fu.check = instanceCheck(p.Check, f.Label)
		}
		tests = append(tests, fu)
	}
	return tests, missing
}

// checkedTCP reports which TCP ports the plan checks (an expectation that can
// fail) on the host.
func checkedTCP(ports []Port) func(uint16) bool {
	return func(port uint16) bool {
		for _, p := range ports {
			if p.Proto == results.TCP && p.Kind == KindPort && p.Why == "" && p.Lo <= port && port <= p.hi() &&
				results.Checked(&results.Result{Check: p.Check}) {
				return true
			}
		}
		return false
	}
}

// instanceCheck is the check an instance port inherits from a Browser entry
// that must be open, reachable or blocked (a Browser that answers where it must
// be blocked lists instance ports that must be blocked too); nil otherwise (a Browser that must be closed
// says nothing about the instances behind it).
func instanceCheck(c *results.Check, label string) *results.Check {
	if c == nil || c.Expect != results.ExpectOpen && !c.Expect.Firewall() {
		return nil
	}
	ic := *c
	ic.Service = "SQL Server " + label
	ic.Purpose = "an instance the SQL Browser lists: clients connect to its TCP port"
	return &ic
}

// findInstance finds an instance by name; SQL Server instance names are not
// case-sensitive.
func findInstance(instances []probes.SQLInstance, name string) (probes.SQLInstance, bool) {
	for _, in := range instances {
		if strings.EqualFold(in.Name, name) {
			return in, true
		}
	}
	return probes.SQLInstance{}, false
}

func listedNames(instances []probes.SQLInstance) string {
	if len(instances) == 0 {
		return ""
	}
	names := make([]string, len(instances))
	for i, in := range instances {
		names[i] = in.Name
	}
	return " (it lists " + strings.Join(names, ", ") + ")"
}
