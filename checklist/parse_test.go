package checklist

import (
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

func TestParseExpect(t *testing.T) {
	for in, want := range map[string]results.Expectation{
		"": results.ExpectNone, "open": results.ExpectOpen, "closed": results.ExpectClosed, "reachable": results.ExpectReachable, "blocked": results.ExpectBlocked,
	} {
		if got, err := ParseExpect(in); err != nil || got != want {
			t.Errorf("ParseExpect(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"optional", "Open", "up"} {
		if _, err := ParseExpect(in); err == nil || err.Error() != `"`+in+`": want open, closed, reachable or blocked` {
			t.Errorf("ParseExpect(%q): %v", in, err)
		}
	}
	if expectCheck(results.ExpectNone, "") != nil {
		t.Error("no expectation gave a check")
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{
		"sql=sql01":               {Key: "sql", Host: "sql01"},
		` sql = sql01\BTS `:       {Key: "sql", Host: "sql01", Instance: "BTS"},
		`sql=198.18.0.14\SQL$2_#`: {Key: "sql", Host: "198.18.0.14", Instance: "SQL$2_#"},
		"smtp=[2001:db8::25]":     {Key: "smtp", Host: "[2001:db8::25]"},
	} {
		got, err := ParseRole(in)
		if err != nil || got != want {
			t.Errorf("ParseRole(%q) = %+v, %v", in, got, err)
		}
	}
	for in, want := range map[string]string{
		"sql":                         `"sql": want ROLE=HOST or ROLE=HOST\INSTANCE`,
		"=sql01":                      `"=sql01": want ROLE=HOST`,
		"sql=":                        `"sql=": want ROLE=HOST`,
		`sql=\BTS`:                    `"sql=\\BTS": no host before the instance name`,
		`sql=sql01\`:                  `instance name "": want 1 to 16 characters`,
		`sql=sql01\A\B`:               `instance name "A\\B": '\\' cannot be part of an instance name`,
		`sql=sql01\BTS,1433`:          `instance name "BTS,1433": ',' cannot be part`,
		`sql=sql01\ABCDEFGHIJKLMNOPQ`: `want 1 to 16 characters`,
	} {
		if _, err := ParseRole(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRole(%q): %v, want %q", in, err, want)
		}
	}
	rs := Roles{}
	for _, s := range []string{`sql=sql01\BTS`, `sql=sql01\BTS`, "smtp=mail01"} {
		r, _ := ParseRole(s)
		if err := rs.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	r, _ := ParseRole("sql=sql02")
	if err := rs.Add(r); err == nil || err.Error() != `sql given twice (sql01\BTS and sql02)` {
		t.Errorf("a role mapped twice: %v", err)
	}
}

// A named instance replaces the role's 1433/tcp checks by requirements on the
// host's SQL Browser: the instance listens where the Browser says.
func TestBuildNamedInstance(t *testing.T) {
	cat, ps := load(t, "biztalk-send-server")
	pl, err := buildItem(cat, map[string]string{"sql": `198.18.0.14\BTS`, "smtp": "198.18.0.25"}, ps...)
	if err != nil {
		t.Fatal(err)
	}
	var sql []scan.Port
	for tg := range pl.Scan.Targets {
		if tg.Addr.String() == "198.18.0.14" {
			sql = tg.Ports
		}
	}
	var browser *scan.Port
	for i, p := range sql {
		if p.Proto == results.TCP && p.Lo == 1433 {
			t.Errorf("1433/tcp still checked on a named instance's host: %+v", p)
		}
		if p.Proto == results.UDP && p.Lo == 1434 {
			browser = &sql[i]
		}
	}
	if browser == nil {
		t.Fatalf("no SQL Browser port on the sql host: %+v", sql)
	}
	if browser.Probe != "sqlbrowser" || browser.Check == nil || browser.Check.Expect != results.ExpectOpen || browser.Check.Role != "sql" {
		t.Errorf("browser port %+v", browser)
	}
	if len(browser.Instances) != 1 || browser.Instances[0].Name != "BTS" || browser.Instances[0].Check.Role != "sql" ||
		browser.Instances[0].Check.Service != "SQL Server" || browser.Instances[0].Check.Expect != results.ExpectOpen {
		t.Errorf("required instances %+v", browser.Instances)
	}
	if _, err := buildItem(cat, map[string]string{"sql": `198.18.0.14\a b`}, ps...); err == nil || !strings.Contains(err.Error(), `role sql=198.18.0.14\a b: instance name "a b"`) {
		t.Errorf("bad instance name in a plan: %v", err)
	}
}

// --expect reachable (blocked) turns must-be-open into must-be-reachable
// (must-be-blocked) and leaves the rest, without touching the plan's own
// checks.
func TestFirewallPorts(t *testing.T) {
	for _, e := range []results.Expectation{results.ExpectReachable, results.ExpectBlocked} {
		open := &results.Check{Expect: results.ExpectOpen}
		closed := &results.Check{Expect: results.ExpectClosed}
		in := []scan.Port{
			{Proto: results.TCP, Lo: 445, Check: open},
			{Proto: results.TCP, Lo: 23, Check: closed},
			{Proto: results.TCP, Lo: 80},
			{Proto: results.UDP, Lo: 1434, Check: open, Instances: []scan.Instance{{Name: "BTS", Check: open}}},
		}
		out := firewallPorts(in, e)
		if out[0].Check.Expect != e || out[1].Check != closed || out[2].Check != nil ||
			out[3].Instances[0].Check.Expect != e {
			t.Errorf("%s: %+v", e, out)
		}
		if open.Expect != results.ExpectOpen || in[3].Instances[0].Check != open {
			t.Errorf("%s modified its input", e)
		}
	}
}
