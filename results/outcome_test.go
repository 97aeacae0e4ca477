package results_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/portreach/portreach/report"
	. "github.com/portreach/portreach/results"
)

func TestJudge(t *testing.T) {
	type row struct{ open, closed, reachable, blocked Status }
	m, f, u, d := StatusMet, StatusFailed, StatusUntested, StatusUndetermined
	cases := map[State]row{
		Unknown:      {f, f, f, f},
		Open:         {m, f, m, f},
		Closed:       {f, m, m, f}, // reachable, blocked: the RST or port unreachable got back
		Filtered:     {f, m, f, m},
		OpenFiltered: {f, m, d, d}, // a silent UDP port cannot tell a firewall from a missing service
		NotTested:    {u, u, u, u},
		Skipped:      {u, u, u, u},
		Error:        {f, f, f, f},
	}
	if len(cases) != len(States) {
		t.Fatalf("table covers %d states, there are %d", len(cases), len(States))
	}
	for s, w := range cases {
		for e, want := range map[Expectation]Status{ExpectOpen: w.open, ExpectClosed: w.closed, ExpectReachable: w.reachable, ExpectBlocked: w.blocked, ExpectOptional: StatusNone, ExpectNone: StatusNone} {
			r := Result{State: s, Reason: "because", Check: &Check{Expect: e}}
			o := Judge(&r)
			if o.Status != want {
				t.Errorf("Judge(%v, expect %q) = %q, want %q", s, e, o.Status, want)
			}
			wantWhy := Reason("because")
			if e == ExpectBlocked && (s == Open || s == Closed) {
				wantWhy = ReasonPassedFirewall // the check's own reason: the packet got through
			}
			if want != StatusNone && o.Why != wantWhy {
				t.Errorf("Judge(%v, expect %q).Why = %q, want %q", s, e, o.Why, wantWhy)
			}
		}
		if o := Judge(&Result{State: s}); o != (Outcome{}) {
			t.Errorf("a result without a check has outcome %+v (%v)", o, s)
		}
	}
	for _, e := range []Expectation{ExpectReachable, ExpectBlocked} {
		mute := Result{State: OpenFiltered, Reason: ReasonNoReplyExpected, Check: &Check{Expect: e}}
		if o := Judge(&mute); o.Status != StatusUntested {
			t.Errorf("open|filtered from a mute protocol, %s: %q, want untested", e, o.Status)
		}
	}
}

// A reset under "blocked" says that it cannot tell a missing rule from a
// firewall that rejects with RST; nothing else gets the note.
func TestNoteCheck(t *testing.T) {
	blocked, reach := &Check{Expect: ExpectBlocked}, &Check{Expect: ExpectReachable}
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{Result{Proto: TCP, State: Closed, Reason: ReasonConnRefused, Check: blocked}, "a reset: no firewall or one that rejects with RST"},
		{Result{Proto: TCP, State: Closed, Reason: ReasonConnRefused, Check: blocked, Detail: "said"}, "said"},
		{Result{Proto: UDP, State: Closed, Reason: ReasonPortUnreach, Check: blocked}, ""},
		{Result{Proto: TCP, State: Filtered, Reason: ReasonNoResponse, Check: blocked}, ""},
		{Result{Proto: TCP, State: Closed, Reason: ReasonConnRefused, Check: reach}, ""},
		{Result{Proto: TCP, State: Closed, Reason: ReasonConnRefused}, ""},
	} {
		NoteCheck(&tc.r)
		if tc.r.Detail != tc.want {
			t.Errorf("%s %s %+v: detail %q, want %q", tc.r.Proto, tc.r.State, tc.r.Check, tc.r.Detail, tc.want)
		}
	}
}

// A producer's outcome can make a check stricter, never let it pass.
func TestJudgeProducerOutcome(t *testing.T) {
	open := &Check{Expect: ExpectOpen}
	r := Result{State: Open, Reason: "syn-ack", Check: open}
	r.Fail("not-registered")
	if o := Judge(&r); o != (Outcome{StatusFailed, "not-registered"}) || !Fails(&r) || Overall([]Result{r}) != VerdictFail {
		t.Errorf("an open port whose service is missing: %+v", o)
	}
	for _, st := range []Status{StatusMet, StatusUntested, StatusUndetermined} {
		r := Result{State: Filtered, Reason: "no-response", Check: open, Outcome: &Outcome{Status: st, Why: "said-so"}}
		if o := Judge(&r); o != (Outcome{StatusFailed, "no-response"}) {
			t.Errorf("a filtered required port with a producer's %q: %+v, want failed", st, o)
		}
	}
	opt := Result{State: Open, Check: &Check{Expect: ExpectOptional}}
	opt.Fail("not-registered")
	if Fails(&opt) {
		t.Error("an optional entry failed the run")
	}
}

// Under "reachable" (the firewall, validated before the application is
// installed) a port that answered passes whatever its service said, and a row
// that stands for a port nothing revealed is undetermined, never failed, unless
// its state fails it anyway (issue 18 item 5). The outcomes survive a JSON round
// trip.
func TestJudgeReachableService(t *testing.T) {
	reach := &Check{Expect: ExpectReachable}
	for _, c := range []struct {
		name string
		r    Result
		why  Reason
		want Outcome
	}{
		{"a listener where SQL Server will be", Result{Proto: TCP, Port: 1433, State: Open, Reason: ReasonSynAck}, ReasonWrongService, Outcome{StatusMet, ReasonSynAck}},
		{"a registered port that refuses the bind", Result{Proto: TCP, Port: 50012, State: Open, Reason: ReasonRPCBindRejected}, ReasonRPCBindRejected, Outcome{StatusMet, ReasonRPCBindRejected}},
		{"an endpoint mapper that is not one", Result{Proto: TCP, Port: 135, State: Open, Reason: ReasonEPMError}, ReasonEPMError, Outcome{StatusMet, ReasonEPMError}},
		{"an interface not registered", Result{Proto: TCP, State: Closed, Reason: ReasonNotRegistered}, ReasonNotRegistered, Outcome{StatusUndetermined, ReasonNotRegistered}},
		{"behind a refused endpoint mapper", Result{Proto: TCP, State: Closed, Reason: ReasonEPMUnreadable}, ReasonEPMUnreadable, Outcome{StatusUndetermined, ReasonEPMUnreadable}},
		{"an instance the Browser does not list", Result{Proto: TCP, State: NotTested, Reason: ReasonInstanceNotListed}, ReasonInstanceNotListed, Outcome{StatusUndetermined, ReasonInstanceNotListed}},
		{"behind a filtered endpoint mapper", Result{Proto: TCP, State: Filtered, Reason: ReasonEPMUnreadable}, ReasonEPMUnreadable, Outcome{StatusFailed, ReasonEPMUnreadable}},
		{"a filtered port whose bind failed", Result{Proto: TCP, Port: 50012, State: Filtered, Reason: ReasonNoResponse}, ReasonRPCBindError, Outcome{StatusFailed, ReasonNoResponse}},
		{"a conversation the run cut off", Result{Proto: TCP, State: Unknown, Reason: ReasonInterrupted}, ReasonEPMUnreadable, Outcome{StatusFailed, ReasonInterrupted}},
	} {
		r := c.r
		r.Target, r.Check = "h", reach
		r.Fail(c.why)
		if o := Judge(&r); o != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, o, c.want)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Result
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if o := Judge(&back); o != c.want {
			t.Errorf("%s, read back: %+v, want %+v", c.name, o, c.want)
		}
		// Under "open" the producer's failure stands.
		r.Check = &Check{Expect: ExpectOpen}
		if o := Judge(&r); o.Status != StatusFailed {
			t.Errorf("%s, must be open: %+v", c.name, o)
		}
	}
}

// Under "blocked" too the path is the question: a port that answered fails
// with passed-firewall whatever its service said, a filtered one passes, and a
// row that stands for a port nothing revealed is undetermined.
func TestJudgeBlockedService(t *testing.T) {
	blocked := &Check{Expect: ExpectBlocked}
	for _, c := range []struct {
		name string
		r    Result
		why  Reason
		want Outcome
	}{
		{"a listener that is not SQL Server", Result{Proto: TCP, Port: 1433, State: Open, Reason: ReasonSynAck}, ReasonWrongService, Outcome{StatusFailed, ReasonPassedFirewall}},
		{"a registered port that refuses the bind", Result{Proto: TCP, Port: 50012, State: Open, Reason: ReasonRPCBindRejected}, ReasonRPCBindRejected, Outcome{StatusFailed, ReasonPassedFirewall}},
		{"an interface not registered", Result{Proto: TCP, State: Closed, Reason: ReasonNotRegistered}, ReasonNotRegistered, Outcome{StatusFailed, ReasonPassedFirewall}},
		{"behind a filtered endpoint mapper", Result{Proto: TCP, State: Filtered, Reason: ReasonEPMUnreadable}, ReasonEPMUnreadable, Outcome{StatusUndetermined, ReasonEPMUnreadable}},
		{"an instance the Browser does not list", Result{Proto: TCP, State: NotTested, Reason: ReasonInstanceNotListed}, ReasonInstanceNotListed, Outcome{StatusUndetermined, ReasonInstanceNotListed}},
		{"a filtered port whose bind failed", Result{Proto: TCP, Port: 50012, State: Filtered, Reason: ReasonNoResponse}, ReasonRPCBindError, Outcome{StatusMet, ReasonNoResponse}},
		{"a conversation the run cut off", Result{Proto: TCP, State: Unknown, Reason: ReasonInterrupted}, ReasonEPMUnreadable, Outcome{StatusFailed, ReasonInterrupted}},
	} {
		r := c.r
		r.Target, r.Check = "h", blocked
		r.Fail(c.why)
		if o := Judge(&r); o != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, o, c.want)
		}
	}
}

// Hosts count undetermined checks apart; a host with only those has no verdict.
func TestSummarizeUndetermined(t *testing.T) {
	reach := &Check{Expect: ExpectReachable}
	rs := []Result{
		{Target: "h", Proto: UDP, Port: 500, State: OpenFiltered, Reason: "no-response", Check: reach},
		{Target: "h", Proto: UDP, Port: 501, State: OpenFiltered, Reason: "no-response", Check: reach},
	}
	h := Summarize(rs)[0]
	if h.Checks != 2 || h.Undetermined != 2 || h.Met() != 0 || h.Verdict != VerdictNone || Overall(rs) != VerdictNone {
		t.Errorf("undetermined only: %+v", h)
	}
	rs = append(rs, Result{Target: "h", Proto: TCP, Port: 22, State: Closed, Reason: "conn-refused", Check: reach})
	h = Summarize(rs)[0]
	if h.Checks != 3 || h.Undetermined != 2 || h.Met() != 1 || h.Verdict != VerdictPass {
		t.Errorf("one closed port and two silent ones, reachable: %+v", h)
	}
	var b bytes.Buffer
	if err := report.WriteTable(&b, &Report{Results: rs}, report.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "PASS: 1 check met on 1 host (2 undetermined: a silent UDP port cannot tell a firewall from a service not installed yet)."; !strings.Contains(b.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, b.String())
	}
}

// Drift under --expect reachable: a port that was closed (reachable) and is now
// dropped is a regression; one that went from closed to open is not.
func TestDriftReachable(t *testing.T) {
	reach := &Check{Expect: ExpectReachable}
	port := func(p uint16, s State) Result {
		return Result{Target: "sql01", Proto: TCP, Port: p, State: s, Check: reach}
	}
	then := &Report{Results: []Result{port(1433, Closed), port(1434, Closed)}}
	now := &Report{Results: []Result{port(1433, Filtered), port(1434, Open)}}
	d := Diff(then, now, nil)
	regressions := map[uint16]bool{}
	for _, c := range d.Changes {
		regressions[c.Port] = c.Regression
	}
	if len(regressions) != 2 || !regressions[1433] || regressions[1434] {
		t.Errorf("changes %+v", d.Changes)
	}
}
