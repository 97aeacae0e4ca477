//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/results"
)

// sqlHost is a test host whose SQL Browser stand-in lists two instances, both
// listening, with the firewall dropping BTS's port.
func sqlHost(t *testing.T) *testnet.Host {
	h := testnet.NewHost(t)
	testnet.StartSQLBrowser(t, h, []testnet.SQLInstance{
		{Server: "SQL01", Name: "MSSQLSERVER", Version: "16.0.1000.6", TCPPort: 1433},
		{Server: "SQL01", Name: "BTS", Version: "16.0.1000.6", TCPPort: 49733},
	})
	// 1433 answers a PRELOGIN: a profile scan confirms the SQL Server there.
	testnet.ServeTDSPrelogin(t, h, 1433, 16, 0, 1000, 6, 0x00)
	testnet.ServeTCP(t, h, 49733)
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 49733 drop
	}
}`)
	return h
}

// A profile that requires SQL Server makes each instance the Browser lists a
// check: the dropped instance port fails the run although 1433 and the Browser
// answer.
func TestSQLInstancesAreChecks(t *testing.T) {
	h := sqlHost(t)
	code, out, errOut := runBin(t, "scan", "--profile", "sql-server", "-f", "json", h.Addr.String())
	if code != exitFailed {
		t.Fatalf("an instance port dropped: exit %d, want 1\n%s\n%s", code, errOut, out)
	}
	failed := results.Failed(decodeReport(t, out).Results)
	if len(failed) != 1 || failed[0].Port != 49733 || failed[0].State != results.Filtered || failed[0].Under != "instance BTS" ||
		failed[0].Via != "1434/udp" || failed[0].Check == nil || results.Judge(&failed[0]).Why != results.ReasonNoResponse {
		t.Errorf("failures %+v", failed)
	}
}

// --role sql=HOST\NAME requires a named instance: one the Browser lists passes
// on the instance's own port (1433 is not asked of a named instance); one it
// does not list fails with instance-not-listed; a listed one behind a dropped
// port fails as filtered.
func TestSQLNamedInstanceRole(t *testing.T) {
	h := sqlHost(t)
	scan := func(role string) (int, *results.Report, string) {
		t.Helper()
		code, out, errOut := runBin(t, "scan", "--profile-file", filepath.Join("testdata", "sql-role-profile.json"),
			"--profile", "sql-client-test", "--role", role, "-f", "json")
		if code == exitUsage {
			t.Fatalf("--role %s: exit 2: %s", role, errOut)
		}
		return code, decodeReport(t, out), errOut
	}

	code, rep, errOut := scan(`sql=` + h.Addr.String() + `\mssqlserver`)
	if code != exitOK {
		t.Errorf("listed instance, port open: exit %d, want 0\n%s\n%+v", code, errOut, rep.Results)
	}
	var instanceChecked bool
	for _, r := range rep.Results {
		instanceChecked = instanceChecked || r.Port == 1433 && r.Under == "instance MSSQLSERVER" && r.Check != nil && r.Check.Role == "sql" && r.Met()
	}
	if !instanceChecked {
		t.Errorf("the instance's port was not checked for the role: %+v", rep.Results)
	}

	code, rep, _ = scan(`sql=` + h.Addr.String() + `\NOPE`)
	failed := results.Failed(rep.Results)
	if code != exitFailed || len(failed) != 1 || failed[0].Reason != results.ReasonInstanceNotListed ||
		failed[0].Under != "instance NOPE" || failed[0].Check.Role != "sql" ||
		!strings.Contains(failed[0].Detail, "does not list instance NOPE (it lists MSSQLSERVER, BTS)") {
		t.Errorf("unlisted instance: exit %d, failures %+v", code, failed)
	}

	// The same in a plan file.
	plan := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(plan, []byte(`{"items": [{"profiles": ["sql-client-test"], "roles": {"sql": "`+h.Addr.String()+`\\NOPE"}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBin(t, "scan", "--profile-file", filepath.Join("testdata", "sql-role-profile.json"), "--plan", plan, "-f", "json")
	if failed := results.Failed(decodeReport(t, out).Results); code != exitFailed || len(failed) != 1 || failed[0].Reason != results.ReasonInstanceNotListed {
		t.Errorf("plan file, unlisted instance: exit %d, failures %+v\n%s", code, failed, errOut)
	}

	code, rep, _ = scan(`sql=` + h.Addr.String() + `\BTS`)
	failed = results.Failed(rep.Results)
	if code != exitFailed || len(failed) != 1 || failed[0].Port != 49733 || failed[0].State != results.Filtered || failed[0].Check.Role != "sql" {
		t.Errorf("listed instance behind a dropped port: exit %d, failures %+v", code, failed)
	}
}

// --expect blocked checks that a firewall stops the traffic: a dropped port and
// an ICMP reject (admin-prohibited) pass; a port the host answered fails, with
// passed-firewall, whether open or closed (a RST, ICMP port unreachable: the
// packet got through), and a reset says it cannot tell a missing rule from a
// firewall that rejects with RST; a silent UDP port is undetermined.
func TestExpectBlocked(t *testing.T) {
	h := testnet.NewHost(t)
	testnet.ServeTCP(t, h, 8080)
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 1433 drop
		tcp dport 3389 reject with icmp type admin-prohibited
		udp dport 3389 reject with icmp type admin-prohibited
		udp dport 5000 drop
	}
}`)
	code, out, errOut := runBin(t, "scan", "-p", "T:445,1433,3389,8080,U:1434,3389,5000", "--expect", "blocked", "-f", "json", h.Addr.String())
	if code != exitFailed {
		t.Fatalf("answered ports: exit %d, want 1\n%s", code, errOut)
	}
	type want struct {
		o      results.Outcome
		detail string
	}
	passed := results.Outcome{Status: results.StatusFailed, Why: results.ReasonPassedFirewall}
	wants := map[string]want{
		"445/tcp":  {passed, "a reset: no firewall or one that rejects with RST"},
		"8080/tcp": {passed, ""},
		"1434/udp": {passed, ""},
		"1433/tcp": {results.Outcome{Status: results.StatusMet, Why: results.ReasonNoResponse}, ""},
		"3389/tcp": {results.Outcome{Status: results.StatusMet, Why: results.ReasonHostUnreach}, ""},
		"3389/udp": {results.Outcome{Status: results.StatusMet, Why: results.ReasonAdminProhibited}, ""},
		"5000/udp": {results.Outcome{Status: results.StatusUndetermined, Why: results.ReasonNoResponse}, ""},
	}
	rep := decodeReport(t, out)
	for _, r := range rep.Results {
		k := results.PortName(r.Proto, r.Port)
		w, ok := wants[k]
		if k == "3389/tcp" && r.Reason == results.ReasonAdminProhibited {
			// Where TCP reads the ICMP error itself (IP_RECVERR), not EHOSTUNREACH.
			w.o.Why = results.ReasonAdminProhibited
		}
		// Only a reset gets the note; other details are the scanner's own.
		detailOK := r.Detail == w.detail || w.detail == "" && r.Detail != results.ResetDetail
		if got := results.Judge(&r); !ok || got != w.o || !detailOK {
			t.Errorf("%s: %s (%s) %q, outcome %+v, want %+v %q", k, r.State, r.Reason, r.Detail, got, w.o, w.detail)
		}
		delete(wants, k)
	}
	if len(wants) != 0 {
		t.Errorf("not reported: %v", wants)
	}
	if h := rep.Hosts(); len(h) != 1 || h[0].Undetermined != 1 || h[0].Failed != 3 {
		t.Errorf("host summary %+v", h)
	}
	if n := strings.Count(out, `"why": "passed-firewall"`); n != 3 {
		t.Errorf("the report says passed-firewall %d times, want 3:\n%s", n, out)
	}

	// A profile's must-be-open entries become must-be-blocked: with every
	// port dropped, SQL Server's profile passes (its silent 1434/udp
	// undetermined).
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		meta l4proto { tcp, udp } drop
	}
}`)
	code, out, errOut = runBin(t, "scan", "--profile", "sql-server", "--expect", "blocked", "-f", "json", h.Addr.String())
	rep = decodeReport(t, out)
	if code != exitOK || results.Overall(rep.Results) != results.VerdictPass {
		t.Fatalf("--profile sql-server --expect blocked, everything dropped: exit %d, want 0\n%s\n%s", code, errOut, out)
	}
	for _, r := range rep.Results {
		if r.Check != nil && r.Check.Expect != results.ExpectBlocked && r.Check.Expect != results.ExpectOptional {
			t.Errorf("%s: expect %s, want blocked", results.PortName(r.Proto, r.Port), r.Check.Expect)
		}
	}
}

// --expect reachable validates the firewall before the service exists: a host
// with no listeners passes (RST, ICMP port unreachable); a dropped port and an
// admin-prohibited reject fail; a silent UDP port is undetermined, counted apart.
func TestExpectReachable(t *testing.T) {
	h := testnet.NewHost(t)
	code, out, errOut := runBin(t, "scan", "-p", "T:1433,3389,U:1434,5000", "--expect", "reachable", "-f", "json", h.Addr.String())
	rep := decodeReport(t, out)
	if code != exitOK || results.Overall(rep.Results) != results.VerdictPass {
		t.Fatalf("no listeners: exit %d, want 0\n%s\n%s", code, errOut, out)
	}
	for _, r := range rep.Results {
		if r.State != results.Closed || results.Judge(&r).Status != results.StatusMet {
			t.Errorf("no listeners: %+v", r)
		}
	}
	// The same with a profile: every must-be-open entry becomes must-be-reachable.
	if code, out, errOut := runBin(t, "scan", "--profile", "sql-server", "--expect", "reachable", "-f", "json", h.Addr.String()); code != exitOK {
		t.Errorf("--profile sql-server --expect reachable, nothing installed: exit %d, want 0\n%s\n%s", code, errOut, out)
	}

	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 1433 drop
		tcp dport 3389 reject with icmp type admin-prohibited
		udp dport 3389 reject with icmp type admin-prohibited
		udp dport 5000 drop
	}
}`)
	code, out, errOut = runBin(t, "scan", "-p", "T:1433,3389,U:1434,3389,5000", "--expect", "reachable", "-f", "json", h.Addr.String())
	if code != exitFailed {
		t.Fatalf("dropped and rejected ports: exit %d, want 1\n%s", code, errOut)
	}
	// connect(2) reports an ICMP reject as EHOSTUNREACH whatever its code;
	// the scan reads the ICMP message itself (IP_RECVERR), for TCP as for UDP.
	want := map[string]results.Outcome{
		"1433/tcp": {Status: results.StatusFailed, Why: results.ReasonNoResponse},
		"3389/tcp": {Status: results.StatusFailed, Why: results.ReasonAdminProhibited},
		"3389/udp": {Status: results.StatusFailed, Why: results.ReasonAdminProhibited},
		"1434/udp": {Status: results.StatusMet, Why: results.ReasonPortUnreach},
		"5000/udp": {Status: results.StatusUndetermined, Why: results.ReasonNoResponse},
	}
	rep = decodeReport(t, out)
	for _, r := range rep.Results {
		k := results.PortName(r.Proto, r.Port)
		if got := results.Judge(&r); got != want[k] {
			t.Errorf("%s: %s (%s), outcome %+v, want %+v", k, r.State, r.Reason, got, want[k])
		}
		delete(want, k)
	}
	if len(want) != 0 {
		t.Errorf("not reported: %v", want)
	}
	if h := rep.Hosts(); len(h) != 1 || h[0].Undetermined != 1 || h[0].Failed != 3 {
		t.Errorf("host summary %+v", h)
	}
	if n := strings.Count(out, `"status": "failed"`); n != 3 {
		t.Errorf("the report says %d checks failed, want 3:\n%s", n, out)
	}
	_, table, _ := runBin(t, "scan", "-p", "U:5000,1434", "--expect", "reachable", "-f", "table", "--no-progress", h.Addr.String())
	if want := "PASS: 1 check met on 1 host (1 undetermined: a silent UDP port cannot tell a firewall from a service not installed yet)."; !strings.Contains(table, want) {
		t.Errorf("table lacks %q:\n%s", want, table)
	}
}

// --expect reachable with a profile whose services are not there yet (issue 18
// item 5): a placeholder listener on 1433 passes (the packet got through,
// whatever answered); MSDTC behind an endpoint mapper that does not register it,
// or behind a refused 135, is undetermined, not a failure; the run passes.
func TestExpectReachableServices(t *testing.T) {
	sql := testnet.NewHost(t)
	testnet.ServeTCP(t, sql, 1433)
	sql.WaitTCP(t, 1433)
	dtc := testnet.NewHost(t)
	other, _ := msrpc.LookupInterface("drsuapi")
	testnet.StartRPCServer(t, dtc, other, 49700)
	dtc.WaitTCP(t, 135)
	refused := testnet.NewHost(t)
	for _, c := range []struct {
		profile string
		host    *testnet.Host
		want    map[string]results.Outcome // by port, "?/tcp" for a row without one
	}{
		{"sql-server", sql, map[string]results.Outcome{"1433/tcp": {Status: results.StatusMet, Why: results.ReasonSynAck}}},
		{"msdtc", dtc, map[string]results.Outcome{"135/tcp": {Status: results.StatusMet, Why: results.ReasonEPMListed},
			"?/tcp": {Status: results.StatusUndetermined, Why: results.ReasonNotRegistered}}},
		{"msdtc", refused, map[string]results.Outcome{"135/tcp": {Status: results.StatusMet, Why: results.ReasonConnRefused},
			"?/tcp": {Status: results.StatusUndetermined, Why: results.ReasonEPMUnreadable}}},
	} {
		code, out, errOut := runBin(t, "scan", "--profile", c.profile, "--expect", "reachable", "--timeout", "500ms", "-f", "json", c.host.Addr.String())
		if code != exitOK {
			t.Errorf("--profile %s --expect reachable: exit %d, want 0\n%s\n%s", c.profile, code, errOut, out)
		}
		for _, r := range decodeReport(t, out).Results {
			k := results.PortName(r.Proto, r.Port)
			want, ok := c.want[k]
			if !ok {
				continue
			}
			if got := results.Judge(&r); got != want || r.Check == nil {
				t.Errorf("%s %s: %s (%s) %q, outcome %+v, want %+v", c.profile, k, r.State, r.Reason, r.Detail, got, want)
			}
			delete(c.want, k)
		}
		if len(c.want) != 0 {
			t.Errorf("%s: not reported: %v", c.profile, c.want)
		}
	}
}
