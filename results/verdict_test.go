package results_test

import (
	"reflect"
	"testing"

	. "github.com/portreach/portreach/results"
)

func TestFails(t *testing.T) {
	type want struct{ open, closed bool } // Fails with ExpectOpen, with ExpectClosed
	cases := map[State]want{
		Unknown:      {true, true},
		Open:         {false, true},
		Closed:       {true, false},
		Filtered:     {true, false},
		OpenFiltered: {true, false}, // UDP silence proves nothing open
		NotTested:    {false, false},
		Skipped:      {false, false},
		Error:        {true, true},
	}
	if len(cases) != len(States) {
		t.Fatalf("table covers %d states, there are %d", len(cases), len(States))
	}
	for s, w := range cases {
		for _, e := range []Expectation{ExpectNone, ExpectOptional, ExpectOpen, ExpectClosed} {
			r := Result{State: s, Check: &Check{Expect: e}}
			want := (e == ExpectOpen && w.open) || (e == ExpectClosed && w.closed)
			if got := Fails(&r); got != want {
				t.Errorf("Fails(%v, expect %q) = %v, want %v", s, e, got, want)
			}
		}
		if Fails(&Result{State: s}) {
			t.Errorf("a result without a check fails (%v)", s)
		}
	}
}

func TestFailedAndOverall(t *testing.T) {
	rs := fixtureResults()
	var ports []string
	for _, r := range Failed(rs) {
		ports = append(ports, PortName(r.Proto, r.Port))
	}
	if want := []string{"443/tcp", "3389/tcp", "88/tcp", "53/udp", "123/udp"}; !reflect.DeepEqual(ports, want) {
		t.Errorf("Failed = %v, want %v (input order)", ports, want)
	}
	if v := Overall(rs); v != VerdictFail {
		t.Errorf("Overall = %v, want fail", v)
	}
	var pass []Result
	for _, r := range rs {
		if !Fails(&r) {
			pass = append(pass, r)
		}
	}
	if v := Overall(pass); v != VerdictPass {
		t.Errorf("Overall without failures = %v, want pass", v)
	}
	adhoc := []Result{{State: Closed}, {State: Open, Check: &Check{Expect: ExpectOptional}}}
	if v := Overall(adhoc); v != VerdictNone {
		t.Errorf("Overall of unchecked results = %v, want none", v)
	}
}

func TestSummarize(t *testing.T) {
	hosts := Summarize(fixtureResults())
	var names []string
	for _, h := range hosts {
		names = append(names, h.Name())
	}
	if want := []string{"nosuch.invalid", "198.18.1.2 (mail01)", "198.18.1.10 (dc01.lab.example)", "198.18.1.53 (lab.example)", "2001:db8::10"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("hosts %q, want %q", names, want)
	}
	mail := hosts[1]
	if mail.Verdict != VerdictFail || mail.Checks != 11 || mail.Failed != 3 || mail.Ports != 117 ||
		mail.Untested != 2 || mail.States[Filtered] != 101 || mail.States[Unknown] != 1 || mail.States[Error] != 0 {
		t.Errorf("mail01 summary %+v", mail)
	}
	if v6 := hosts[4]; v6.Verdict != VerdictNone || v6.Checks != 0 {
		t.Errorf("unchecked host summary %+v", v6)
	}
	// A DC the locator found: the records that named it, its NTP check failed.
	if dc := hosts[2]; dc.Verdict != VerdictFail || dc.Failed != 1 || len(dc.Records) != 2 || dc.Records[0] != "_ldap._tcp.dc._msdcs.lab.example" {
		t.Errorf("DC summary %+v", dc)
	}
}

func TestUnverifiableNeverFails(t *testing.T) {
	open := &Check{Expect: ExpectOpen}
	mute := Result{State: OpenFiltered, Reason: ReasonNoReplyExpected, Check: open}
	silent := Result{State: OpenFiltered, Reason: "no-response", Check: open}
	if Fails(&mute) || !Unverifiable(&mute) {
		t.Errorf("open|filtered from a mute protocol: Fails=%v Unverifiable=%v", Fails(&mute), Unverifiable(&mute))
	}
	if !Fails(&silent) || Unverifiable(&silent) {
		t.Errorf("open|filtered from a silent service that should answer must fail a required check")
	}
}

// A host whose every check could not be tested has no verdict: nothing passed.
func TestUntestedOnlyIsNoPass(t *testing.T) {
	rs := []Result{
		{Target: "role sql", Port: 1433, Proto: TCP, State: Skipped, Reason: "role-unmapped", Check: &Check{Expect: ExpectOpen}},
		{Target: "role sql", Port: 135, Proto: TCP, State: Skipped, Reason: "role-unmapped", Check: &Check{Expect: ExpectOpen}},
	}
	if h := Summarize(rs); len(h) != 1 || h[0].Verdict != VerdictNone || h[0].Untested != 2 {
		t.Errorf("hosts %+v, want one with no verdict and 2 untested", h)
	}
	if v := Overall(rs); v != VerdictNone {
		t.Errorf("Overall = %s, want none", v)
	}
}
