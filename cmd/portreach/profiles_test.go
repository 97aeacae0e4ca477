package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runP(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runProfiles(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestProfilesList(t *testing.T) {
	code, out, errs := runP("exchange 2016")
	if code != 0 || errs != "" {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	want := "SLUG                               NAME                                        PORTS  FOR\n" +
		"exchange-2016-2019-edge-transport  Exchange 2016/2019 Edge Transport (common)  12     Exchange Server 2016/2019\n" +
		"exchange-2016-2019-mailbox         Exchange 2016/2019 Mailbox (common)         13     Exchange Server 2016/2019\n" +
		"exchange-2016-edge-transport       Exchange 2016 Edge Transport                12     Exchange Server 2016\n" +
		"exchange-2016-mailbox              Exchange 2016 Mailbox                       13     Exchange Server 2016\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	// The current profiles say which product and Windows versions they are for,
	// and a version finds them.
	code, out, _ = runP("2025")
	for _, want := range []string{
		"ad-dc-2016-2025 ", " Windows Server 2016/2019/2022/2025\n",
		" SQL Server 2016/2017/2019/2022/2025 on Windows Server 2016/2019/2022/2025\n",
		" Exchange Server 2019/SE on Windows Server 2019/2022/2025\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("profiles 2025: code %d, output lacks %q:\n%s", code, want, out)
		}
	}
	code, out, _ = runP()
	if code != 0 || strings.Count(out, "\n") < 100 {
		t.Errorf("list all: code %d, %d lines", code, strings.Count(out, "\n"))
	}
}

func TestProfilesShow(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"Exchange 2016 Mailbox", []string{
			"exchange-2016-mailbox — Exchange 2016 Mailbox\n",
			"Includes: exchange-2016-2019-mailbox\n",
			"  edge      Subscribed Edge Transport server\n",
			"\n from exchange-2016-2019-mailbox:\n",
			"  tcp/443             open      HTTPS: Autodiscover, ActiveSync",
			"  tcp/143             optional  IMAP: IMAP4 clients\n",
			"note:   IMAP4 is disabled by default.\n",
			"  udp/53 -> dns       open      DNS: Resolving the next mail hop [probe dns]\n",
			"source: 004_8fd744a6db91100a.txt, Network ports required for mail flow with Edge Transport servers: EdgeSync synchronization\n",
		}},
		// A current profile: product and Windows versions, sources by URL.
		{"sql-server-ag-listener", []string{
			"Product:  SQL Server 2016/2017/2019/2022/2025\n",
			"Runs on:  Windows Server 2016, Windows Server 2019, Windows Server 2022, Windows Server 2025\n",
			"  tcp/1433  open      SQL Server: Client connections through the availability group listener\n",
			"source: https://learn.microsoft.com/en-us/sql/database-engine/availability-groups/windows/availability-group-listener-overview, Listener port\n",
		}},
		// A dynamic-rpc entry says which RPC interfaces it stands for.
		{"ad-dc-2016-2025", []string{
			"  tcp/49152-65535 dynamic-rpc  open      Dynamic RPC: RPC for LSA, SAM and Net Logon",
			"RPC:    lsarpc, samr, netlogon, drsuapi\n",
		}},
	} {
		code, out, errs := runP("show", tc.name)
		if code != 0 || errs != "" {
			t.Fatalf("show %s: code %d, stderr %q", tc.name, code, errs)
		}
		for _, want := range tc.want {
			if !strings.Contains(out, want) {
				t.Errorf("show %s: output lacks %q:\n%s", tc.name, want, out)
			}
		}
	}
}

func TestProfilesBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"profiles": [{"slug": "x", "nam": "X"}]}`), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"show", "exchnage 2016 mailbox"}, 2, "portreach profiles show: unknown profile \"exchnage 2016 mailbox\"; did you mean exchange-2016-mailbox (Exchange 2016 Mailbox)"},
		{[]string{"show"}, 2, "portreach profiles show: want one profile"},
		{[]string{"show", "a", "b"}, 2, "portreach profiles show: want one profile"},
		{[]string{"a", "b"}, 2, "portreach profiles: want at most one search word, got 2"},
		{[]string{"--profile-file", bad}, 2, "portreach profiles: " + bad + `:1: unknown field "nam" in profile`},
		{[]string{"--profile-file", filepath.Join(dir, "missing.json")}, 2, "portreach profiles: --profile-file: open "},
		{[]string{"--nope"}, 2, "portreach profiles: unknown flag --nope (see portreach profiles --help)\n"},
		{[]string{"zzzzqqq"}, 1, `portreach profiles: no profile matches "zzzzqqq"`},
	} {
		code, out, errs := runP(tc.args...)
		if code != tc.code || !strings.HasPrefix(errs, tc.err) || out != "" {
			t.Errorf("%q: code %d, stdout %q, stderr %q; want code %d, stderr %q…", tc.args, code, out, errs, tc.code, tc.err)
		}
	}
}

func TestProfilesHelpAndUserFile(t *testing.T) {
	code, out, _ := runP("--help")
	if code != 0 || !strings.Contains(out, "portreach profiles show [--profile-file FILE]... SLUG|NAME") || !strings.Contains(out, "-profile-file FILE") {
		t.Errorf("--help: code %d\n%s", code, out)
	}
	f := filepath.Join(t.TempDir(), "mine.json")
	os.WriteFile(f, []byte(`{"profiles": [{"slug": "my-app", "name": "My app", "description": "Contoso app.", "product": "Contoso",
  "include": ["dns-server"],
  "entries": [{"proto": "tcp", "port": 8443, "service": "HTTPS", "purpose": "API", "expect": "open"}]}]}`), 0o644)
	code, out, errs := runP("show", "--profile-file", f, "MY APP")
	if code != 0 || !strings.Contains(out, "Defined:  "+f+":1\n") || !strings.Contains(out, "tcp/8443") || !strings.Contains(out, "\n from dns-server:\n") {
		t.Errorf("code %d stderr %q\n%s", code, errs, out)
	}
}
