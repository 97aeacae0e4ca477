package policy

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/portreach/portreach/checklist"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

// Runner runs policies. Its zero value works; it is safe for concurrent use.
type Runner struct {
	// Scanner scans from this machine (the "local" sources); it is copied.
	Scanner scan.Scanner
	// MaxTime bounds each remote endpoint whose policy gives it no max_time.
	// Zero means 5 minutes.
	MaxTime time.Duration
	// SSH is the OpenSSH client to run; "" means "ssh" on the PATH.
	SSH string
}

// Limits of what a remote source may send: a line (one result; an endpoint
// mapper's listing is the largest, tens of kilobytes) and a whole answer
// (variables for the tests).
var (
	maxLine   = 1 << 20
	maxAnswer = 64 << 20
)

const (
	// maxProbesPerEndpoint is how many probes are asked of one exporter at
	// once: its --max-probes default, beyond which it answers 503.
	maxProbesPerEndpoint = 4
	defaultMaxTime       = 5 * time.Minute
)

// Run runs every rule from every endpoint of each of its sources, side by
// side, and emits every result (one goroutine at a time), each with its source
// (Result.Vantage: the source's name, the address it scanned from) and rule.
// A remote endpoint is bounded by its own time limit; ctx ends everything.
// Checks a source could not run are emitted unknown with the source's reason
// (results.ReasonSourceUnreachable …), or interrupted when ctx ended them. Run
// returns ctx's error when ctx ended before every check finished.
func (rn *Runner) Run(ctx context.Context, pol *Policy, emit func(results.Result)) error {
	var mu sync.Mutex
	out := func(r results.Result) {
		mu.Lock()
		defer mu.Unlock()
		emit(r)
	}
	start := time.Now()
	var wg sync.WaitGroup
	slots := map[*Endpoint]chan struct{}{}
	for _, rule := range pol.Rules {
		for _, name := range rule.From {
			src := pol.source(name)
			for _, ep := range src.Endpoints {
				if slots[ep] == nil {
					slots[ep] = make(chan struct{}, maxProbesPerEndpoint)
				}
				j := &job{rn: rn, pol: pol, rule: rule, src: src, ep: ep, emit: out, slots: slots[ep]}
				wg.Go(func() { j.run(ctx, start) })
			}
		}
	}
	wg.Wait()
	return ctx.Err()
}

func (p *Policy) source(name string) *Source {
	for _, s := range p.Sources {
		if s.Name == name {
			return s
		}
	}
	return &Source{Name: name}
}

// job is one rule from one endpoint.
type job struct {
	rn    *Runner
	pol   *Policy
	rule  *Rule
	src   *Source
	ep    *Endpoint
	emit  func(results.Result)
	slots chan struct{}
}

// own says where r was measured from and for which rule.
func (j *job) own(r *results.Result) {
	addr := r.Source
	if !addr.IsValid() && r.Vantage != nil {
		addr = r.Vantage.Address
	}
	r.Vantage = &results.Vantage{Name: j.src.Name, Address: addr}
	r.Rule = j.rule.Name
}

func (j *job) run(ctx context.Context, start time.Time) {
	if j.ep.Kind == Local {
		for _, r := range j.rule.Plan.Skipped {
			j.own(&r)
			j.emit(r)
		}
		s := j.rn.Scanner
		_ = s.Scan(ctx, j.rule.Plan.Scan, func(r results.Result) {
			j.own(&r)
			j.emit(r)
		})
		return
	}
	limit := j.ep.MaxTime
	if limit <= 0 {
		limit = j.rn.MaxTime
	}
	if limit <= 0 {
		limit = defaultMaxTime
	}
	ctx, cancel := context.WithDeadline(ctx, start.Add(limit))
	defer cancel()
	switch j.ep.Kind {
	case Exporter:
		var wg sync.WaitGroup
		for _, to := range j.rule.To {
			wg.Go(func() { j.probe(ctx, to) })
		}
		wg.Wait()
	case SSH:
		j.ssh(ctx)
	}
}

// failure is why a remote source measured nothing more: the reason its
// unmeasured checks get, and the detail.
type failure struct {
	reason results.Reason
	detail string
}

func (f *failure) Error() string { return string(f.reason) + ": " + f.detail }

func fail(reason results.Reason, detail string) error { return &failure{reason, detail} }

// tracker holds a remote's results to the plan: it re-checks each planned
// port with the policy's own check (a remote cannot loosen it), and knows
// which planned ports the remote has not reported.
type tracker struct {
	plan *checklist.Plan
	want map[portKey]*results.Check
	got  map[portKey]bool
}

type portKey struct {
	target string
	proto  results.Proto
	port   uint16
}

func newTracker(pl *checklist.Plan) *tracker {
	t := &tracker{plan: pl, want: map[portKey]*results.Check{}, got: map[portKey]bool{}}
	scan.Unmeasured(pl.Scan, "", "", func(r results.Result) {
		t.want[portKey{r.Target, r.Proto, r.Port}] = r.Check
	})
	return t
}

// take records r; a planned port gets the plan's check.
func (t *tracker) take(r *results.Result) {
	if r.Under != "" || r.Via != "" {
		return // revealed by a reply: the remote's own follow-up
	}
	k := portKey{r.Target, r.Proto, r.Port}
	if c, ok := t.want[k]; ok {
		r.Check = c
		t.got[k] = true
	}
}

// missing emits, for each planned port the remote did not report, an unknown
// result with f's reason.
func (t *tracker) missing(f *failure, emit func(results.Result)) {
	scan.Unmeasured(t.plan.Scan, f.reason, f.detail, func(r results.Result) {
		if !t.got[portKey{r.Target, r.Proto, r.Port}] {
			emit(r)
		}
	})
}

// ended is the failure of a remote exchange that ended with err (nil: it
// finished), given what ctx says.
func ended(ctx context.Context, err error) *failure {
	var f *failure
	switch {
	case err == nil:
		return nil
	case errors.As(err, &f):
		return f
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &failure{results.ReasonSourceTimeout, "the source did not finish within its time limit (max_time)"}
	case ctx.Err() != nil:
		return &failure{results.ReasonInterrupted, "the run was interrupted before the source finished"}
	}
	return &failure{results.ReasonSourceError, err.Error()}
}

// timeNow is time.Now, for the remote's --max-time.
var timeNow = time.Now
