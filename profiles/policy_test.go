package profiles

import (
	"strings"
	"testing"
)

// The policy reads; an unknown source is named with its rule's line.
func TestParsePolicy(t *testing.T) {
	in := `{
  "sources": {
    "here": ["local"],
    "app":  [{"url": "https://app01:9469", "ca_file": "ca.pem",
              "username": "audit", "password_file": "audit.pw"}],
    "dmz":  ["http://dmz01:9469"],
    "jump": [{"url": "ssh://admin@jump01", "ssh_args": ["-i", "key"], "max_time": "2m"}]
  },
  "rules": [
    {"from": ["here", "app"], "to": ["dc01", "dc02"], "profiles": ["ad-dc-2016-2025"]},
    {"from": ["app"], "to": ["sql01"], "profiles": ["sql-server"]},
    {"name": "dmz blocked", "from": ["dmz", "jump"], "to": ["dc01", "sql01"], "ports": "T:88,135,389,445,1433", "expect": "blocked"}
  ]
}`
	p, err := ParsePlan(strings.NewReader(in), "policy.json")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Policy() || len(p.Sources) != 4 || len(p.Rules) != 3 || p.Sources["app"][0].Username != "audit" || p.Sources["here"][0].URL != "local" ||
		p.Sources["jump"][0].SSHArgs[1] != "key" || p.Rules[2].Name != "dmz blocked" || p.Rules[2].Pos.Line != 12 || p.SourcePos["dmz"].Line != 6 {
		t.Errorf("policy %+v", p)
	}
	for _, c := range []struct{ name, in, want string }{
		{"unknown source", strings.Replace(in, `"from": ["app"]`, `"from": ["ap"]`, 1), `policy.json:11: rule 2: unknown source "ap" (sources: app, dmz, here, jump)`},
		{"unknown field", strings.Replace(in, `"ca_file"`, `"cafile"`, 1), `policy.json:4: unknown field "cafile" in source endpoint`},
		{"rule field", strings.Replace(in, `"expect": "blocked"`, `"expected": "blocked"`, 1), `policy.json:12: unknown field "expected" in rule`},
		{"scheme", strings.Replace(in, `"http://dmz01:9469"`, `"ftp://dmz01"`, 1), `policy.json:6: source "ftp://dmz01": scheme "ftp": want http, https or ssh (or "local")`},
		{"password in URL", strings.Replace(in, `"http://dmz01:9469"`, `"http://u:p@dmz01:9469"`, 1), `a password in the URL: give username and password_file`},
		{"tls on http", strings.Replace(in, `"https://app01:9469"`, `"http://app01:9469"`, 1), `ca_file, cert_file and key_file need an https:// URL`},
		{"items and rules", strings.Replace(in, `"rules"`, `"items": [{"profiles": ["dc"]}], "rules"`, 1), `policy.json:1: a policy has sources and rules, not items: make each item a rule`},
		{"no from", strings.Replace(in, `"from": ["app"], `, ``, 1), `policy.json:11: rule needs "from": the sources it is checked from`},
		{"a range", strings.Replace(in, `"to": ["sql01"]`, `"to": ["198.18.0.0/24"]`, 1), `destination "198.18.0.0/24": want one host name or address`},
	} {
		_, err := ParsePlan(strings.NewReader(c.in), "policy.json")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// Today's plan files stay plans.
	if p, err := ParsePlan(strings.NewReader(`{"items": [{"profiles": ["dc"], "targets": ["dc01"]}]}`), "p.json"); err != nil || p.Policy() {
		t.Errorf("plan: %v %+v", err, p)
	}
}
