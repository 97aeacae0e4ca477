//go:build linux

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// Every error of the plan builder as scan words it, before anything is sent.
func TestScanPlanErrors(t *testing.T) {
	dir := t.TempDir()
	noTargets := filepath.Join(dir, "no-targets.json")
	os.WriteFile(noTargets, []byte(`{"items": [{"profiles": ["domain-controller"]}]}`), 0o644)
	roles := filepath.Join(dir, "roles.json")
	os.WriteFile(roles, []byte(`{"items": [{"profiles": ["biztalk-send-server"], "roles": {"smtp": "127.0.0.1"}}]}`), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-p", "80"}, "no targets: give TARGET arguments or -iL FILE"},
		{[]string{"127.0.0.1"}, "no ports to test: give -p LIST or --profile NAME (see portreach profiles)"},
		{[]string{"--profile", "biztalk-send-server", "127.0.0.1"}, "no ports to test: give -p LIST or --profile NAME (see portreach profiles)"},
		{[]string{"--expect", "open", "--profile", "domain-controller", "127.0.0.1"},
			"--expect open applies to -p ports; profiles set their own expectations (--expect reachable or blocked turns them into must-be-reachable or must-be-blocked)"},
		{[]string{"-p", "80", "--exclude", "127.0.0.0/8", "127.0.0.1"}, "every target is excluded: nothing to scan"},
		{[]string{"-p", "80", "--exclude", "host.example", "127.0.0.1"},
			`--exclude: exclusion "host.example": use addresses, CIDR blocks or octet ranges, not host names`},
		{[]string{"-p", "80", "--max-hosts", "2", "127.0.0.0/24"}, "more than 2 target hosts; narrow the targets or raise --max-hosts"},
		{[]string{"-p", "80", "bad_host!"}, `target "bad_host!": not a valid host name (character '!')`},
		{[]string{"-p", "80-70", "127.0.0.1"}, `-p: port list "80-70": range "80-70" runs backwards (write 70-80)`},
		{[]string{"--plan", noTargets}, noTargets + ":1: the item checks its targets' own ports, but lists no targets"},
		// --role beside --plan was ignored without a word.
		{[]string{"--plan", roles, "--role", "sql=127.0.0.1"}, "--plan and --role cannot be combined: put the roles in the plan's items"},
		{[]string{"--plan", roles, "--domain", "lab.example"}, "--plan and --domain cannot be combined: put the domain in the plan's items"},
		{[]string{"--site", "Site-A", "-p", "80", "127.0.0.1"}, "--site and --dns-server need --domain DOMAIN"},
		{[]string{"--dns-server", "198.18.1.2"}, "--site and --dns-server need --domain DOMAIN"},
		{[]string{"--domain", "lab..example"}, `--domain "lab..example" has an empty label`},
		{[]string{"--domain", "lab.example", "--site", "Site A"}, `--site "Site A": not a DNS label (letters, digits, '-' and '_', at most 63)`},
		{[]string{"--domain", "lab.example", "--site", "a.b"}, `--site "a.b": not a DNS label (letters, digits, '-' and '_', at most 63)`},
		{[]string{"--domain", "lab.example", "--profile", "biztalk-send-server"}, "no ports to test: give -p LIST or --profile NAME (see portreach profiles)"},
	} {
		code, out, errs := runScanArgs(t, tt.args...)
		if code != exitUsage || out != "" || errs != "portreach scan: "+tt.want+"\n" {
			t.Errorf("%q: exit %d, stderr %q\nwant %d and %q", tt.args, code, errs, exitUsage, tt.want)
		}
	}
}
