package profiles

import (
	"reflect"
	"strings"
	"testing"
)

const goodPlan = `{
  "items": [
    {"profiles": ["biztalk-send-server"], "targets": ["bts01"],
     "roles": {"sql": "sql01", "smtp": "mail01"}},
    {"profiles": ["Domain controller", "my-app"], "targets": ["dc01", "dc02"]}
  ],
  "profiles": [
    {"slug": "my-app", "name": "My application", "description": "Line-of-business app.", "product": "Contoso",
     "include": ["web-server-iis"],
     "entries": [{"proto": "tcp", "port": 8443, "service": "HTTPS", "purpose": "API", "expect": "open"}]}
  ]
}
`

func TestParsePlan(t *testing.T) {
	p, err := ParsePlan(strings.NewReader(goodPlan), "golive.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 2 || p.Items[0].String() != "biztalk-send-server on bts01 (smtp=mail01, sql=sql01)" ||
		p.Items[1].Pos.String() != "golive.json:5" || len(p.Profiles) != 1 || p.Profiles[0].Pos.String() != "golive.json:8" {
		t.Fatalf("plan = %+v", p)
	}
	c := load(t)
	resolved, err := c.AddPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	var slugs [][]string
	for _, ps := range resolved {
		var s []string
		for _, q := range ps {
			s = append(s, q.Slug)
		}
		slugs = append(slugs, s)
	}
	if want := [][]string{{"biztalk-send-server"}, {"domain-controller", "my-app"}}; !reflect.DeepEqual(slugs, want) {
		t.Errorf("resolved %v; want %v", slugs, want)
	}
	entries, _ := c.Resolve(c.Profile("my-app"))
	if len(entries) < 3 || entries[0].Label() != "tcp/8443" {
		t.Errorf("my-app resolves to %v", entries)
	}
}

func TestParsePlanErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown field", `{"items": [{"profiles": ["dc"], "hosts": ["a"]}]}`,
			`p.json:1: unknown field "hosts" in plan item (fields: profiles, targets, roles, trace, ports, expect, addresses, domain, site, dns_server)`},
		{"no items", `{"items": []}`, `p.json:1: plan has no items`},
		{"site without domain", `{"items": [{"profiles": ["dc"], "site": "Site-A"}]}`, `p.json:1: site "Site-A" needs a domain`},
		{"DNS server without domain", `{"items": [{"profiles": ["dc"], "dns_server": "198.18.1.2"}]}`, `p.json:1: dns_server "198.18.1.2" needs a domain`},
		{"trace not a boolean", "{\"items\": [\n {\"profiles\": [\"dc\"], \"trace\": 1}]}", `p.json:2: "trace": want true or false, got a number`},
		{"item without profiles", "{\"items\": [\n {\"targets\": [\"a\"]}\n]}", `p.json:2: plan item needs at least one profile, or ports`},
		{"bad role key", "{\"items\": [\n {\"profiles\": [\"dc\"],\n  \"roles\": {\"SQL Server\": \"x\"}}]}",
			`p.json:3: role key "SQL Server": want lower-case words joined by hyphens`},
		{"empty role host", "{\"items\": [\n {\"profiles\": [\"dc\"],\n  \"roles\": {\"sql\": \"\"}}]}",
			`p.json:3: role "sql": host "": want a host name or address`},
		{"role host not a string", "{\"items\": [\n {\"profiles\": [\"dc\"],\n  \"roles\": {\"sql\": 5}}]}",
			`p.json:3: "roles" "sql": want a string, got a number`},
		{"bad user profile", "{\"items\": [{\"profiles\": [\"dc\"]}],\n \"profiles\": [{\"slug\": \"x\", \"name\": \"X\", \"description\": \"d\", \"product\": \"p\",\n  \"entries\": [{\"proto\": \"udp\", \"port\": 70000, \"service\": \"s\", \"purpose\": \"p\", \"expect\": \"open\"}]}]}",
			`p.json:3: "port": port 70000 is out of range (1-65535)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePlan(strings.NewReader(tc.in), "p.json")
			if err == nil || err.Error() != tc.want {
				t.Errorf("err\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestAddPlanUnknownProfile(t *testing.T) {
	p, err := ParsePlan(strings.NewReader("{\"items\": [\n {\"profiles\": [\"domain controler\"]}]}"), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = load(t).AddPlan(p)
	want := `p.json:2: item 1: unknown profile "domain controler"; did you mean domain-controller (Domain controller)?`
	if err == nil || err.Error() != want {
		t.Errorf("err\n got: %v\nwant: %s", err, want)
	}
}
