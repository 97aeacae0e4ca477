package scan

import (
	"testing"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

func TestPlanFollowUps(t *testing.T) {
	open := &results.Check{Expect: results.ExpectOpen, Role: "sql", Profiles: []string{"sql-server"}}
	answered := results.Result{Proto: results.UDP, Port: 1434, State: results.Open}
	insts := []probes.SQLInstance{
		{Name: "MSSQLSERVER", TCPPort: 1433},
		{Name: "BTS", TCPPort: 49733},
		{Name: "PIPES", Pipe: `\\SQL01\pipe\sql\query`},
	}
	fus := (&probes.SQLBrowserDetail{Instances: insts}).FollowUps()
	none := checkedTCP(nil)

	// A profile that requires SQL Server: every instance port is a check.
	tests, missing := planFollowUps(Port{Proto: results.UDP, Lo: 1434, Check: open}, answered, fus, insts, none)
	if len(missing) != 0 || len(tests) != 2 {
		t.Fatalf("tests %+v, missing %+v", tests, missing)
	}
	for _, f := range tests {
		if f.check == nil || f.check.Expect != results.ExpectOpen || f.check.Role != "sql" || f.check.Service != "SQL Server "+f.label {
			t.Errorf("follow-up %+v: check %+v", f, f.check)
		}
	}
	if open.Service != "" {
		t.Error("the Browser's own check was modified")
	}

	// A port the plan checks anyway (the profile's 1433) is one check, not two.
	planned := checkedTCP([]Port{{Proto: results.TCP, Lo: 1433, Check: open}, {Proto: results.TCP, Lo: 49733}})
	tests, _ = planFollowUps(Port{Proto: results.UDP, Lo: 1434, Check: open}, answered, fus, insts, planned)
	if len(tests) != 2 || tests[0].port != 1433 || tests[0].check != nil || tests[1].check == nil {
		t.Errorf("with 1433 planned: %+v", tests)
	}

	// Nothing required of the Browser, or must be closed: the ports are reported, not checked.
	for _, c := range []*results.Check{nil, {Expect: results.ExpectOptional}, {Expect: results.ExpectClosed}} {
		tests, _ := planFollowUps(Port{Proto: results.UDP, Lo: 1434, Check: c}, answered, fus, insts, none)
		for _, f := range tests {
			if f.check != nil {
				t.Errorf("Browser check %+v gave instance %s a check", c, f.label)
			}
		}
	}

	// Required instances: BTS (case aside) is checked on its port, the default
	// instance is tested without a check, a missing and a pipes-only one fail.
	need := func(name string) Instance {
		return Instance{Name: name, Check: &results.Check{Expect: results.ExpectOpen, Role: "sql", Service: "SQL Server"}}
	}
	p := Port{Proto: results.UDP, Lo: 1434, Check: open, Instances: []Instance{need("bts"), need("NOPE"), need("pipes")}}
	tests, missing = planFollowUps(p, answered, fus, insts, none)
	if len(tests) != 2 || tests[0].port != 49733 || tests[0].label != "instance BTS" || tests[0].check != p.Instances[0].Check ||
		tests[1].port != 1433 || tests[1].check != nil {
		t.Errorf("tests %+v", tests)
	}
	if len(missing) != 2 {
		t.Fatalf("missing %+v", missing)
	}
	for i, want := range []results.Reason{results.ReasonInstanceNotListed, results.ReasonInstanceNoTCP} {
		m := &missing[i]
		if o := results.Judge(m); o.Status != results.StatusFailed || o.Why != want || m.Reason != want {
			t.Errorf("missing %d: %+v, outcome %+v, want failed %s", i, m, o, want)
		}
	}
	if want := "the SQL Browser does not list instance NOPE (it lists MSSQLSERVER, BTS, PIPES)"; missing[0].Detail != want {
		t.Errorf("detail %q, want %q", missing[0].Detail, want)
	}

	// A silent Browser: every required instance fails, nothing is tested.
	silent := results.Result{Proto: results.UDP, Port: 1434, State: results.OpenFiltered, Reason: results.ReasonNoResponse}
	tests, missing = planFollowUps(p, silent, nil, nil, none)
	if len(tests) != 0 || len(missing) != 3 || !results.Fails(&missing[0]) {
		t.Errorf("silent Browser: tests %+v, missing %+v", tests, missing)
	}
}
