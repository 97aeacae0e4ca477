package exporter

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/report"
)

func catalog(t *testing.T) *profiles.Catalog {
	t.Helper()
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// The example file deploy/serve/portreach.yml, which docs/exporter.md
// shows, loads.
func TestModulesExample(t *testing.T) {
	b, err := os.ReadFile("../deploy/serve/portreach.yml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseModules("portreach.yml", b, catalog(t), 4096)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Names(), []string{"biztalk-send", "corp-dcs", "dc", "dc-blocked", "sql-firewall", "web"}; !slices.Equal(got, want) {
		t.Errorf("modules %v, want %v", got, want)
	}
	if m.AdHocParams() {
		t.Error("ad_hoc_params: false read as true")
	}
	doc, err := os.ReadFile("../docs/exporter.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "ad_hoc_params: false\n\nmodules:\n  # A domain controller") {
		t.Error("docs/exporter.md does not show deploy/serve/portreach.yml")
	}
}

// The configuration file is read strictly, every error naming the line.
func TestModulesErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"", "m.yml: empty: want modules:"},
		{"modules: {}\n", "m.yml: no modules: want modules: NAME: {profiles: [...], ports: ...}"},
		{"modules:\n  dc:\n    profiles: [ad-dc-2016-2025]\n    timout: 2s\n", "m.yml: line 4: unknown key timout"},
		{"modulez:\n  dc: {}\n", "m.yml: line 1: unknown key modulez"},
		{"ad_hoc_params: no-thanks\nmodules:\n  dc: {ports: '1'}\n", "m.yml: line 1: cannot unmarshal !!str `no-thanks` into bool"},
		{"modules:\n  dc: {ports: '1'}\n  dc: {ports: '2'}\n", `m.yml: line 3: mapping key "dc" already defined at line 2`},
		{"modules:\n  dc: {ports: '1'}\n---\nmodules: {}\n", "m.yml: more than one YAML document: want one"},
		{"modules:\n  web:\n    ports: T:80\n  dc:\n    profiles: [domain-controler]\n", `m.yml: line 4: module dc: profile: unknown profile "domain-controler"; did you mean domain-controller (Domain controller)?`},
		{"modules:\n  web:\n    ports: T:80,70000\n", `m.yml: line 2: module web: ports: port list "T:80,70000": port 70000 is out of range (1-65535)`},
		{"modules:\n  web:\n    timeout: 2s\n", "m.yml: line 2: module web: nothing to probe: give profile=SLUG or ports=LIST (T:135,445,U:53)"},
		{"modules:\n  dc:\n    profiles: [ad-dc-2016-2025]\n    expect: open\n", "m.yml: line 2: module dc: expect applies to ports; profiles set their own expectations (expect: reachable or blocked turns them into must-be-reachable or must-be-blocked)"},
		{"modules:\n  dc:\n    profiles: [ad-dc-2016-2025]\n    roles: {sql: sql01}\n", `m.yml: line 2: module dc: role "sql" not used by the selected profiles (they use no roles)`},
		{"modules:\n  big:\n    ports: T:1-5000\n", "m.yml: line 2: module big: 5000 ports to test; this exporter allows at most 4096 a probe (--max-ports)"},
		{"modules:\n  web:\n    ports: T:80\n    timeout: 2h\n", `m.yml: line 2: module web: timeout "2h": at most 1m0s`},
		{"modules:\n  a/b:\n    ports: T:80\n", `m.yml: line 2: module "a/b": a name of letters, digits, '_', '.' and '-', at most 64, starting with a letter or digit`},
	} {
		_, err := ParseModules("m.yml", []byte(c.text), catalog(t), 4096)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.text, err, c.want)
		}
	}
}

func modules(t *testing.T, text string) *Modules {
	t.Helper()
	m, err := ParseModules("m.yml", []byte(text), catalog(t), 4096)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// module=NAME probes what the module sets; with ad_hoc_params: false a probe
// takes nothing else (#18.9).
func TestModuleProbe(t *testing.T) {
	open, closed := listenTCP(t), closedTCP(t)
	file := fmt.Sprintf("modules:\n  web:\n    ports: T:%d\n    expect: open\n    timeout: 2s\n  down:\n    ports: T:%d\n    expect: closed\n", open, closed)
	for _, adHoc := range []bool{true, false} {
		text := file
		if !adHoc {
			text = "ad_hoc_params: false\n" + file
		}
		_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8"), Catalog: catalog(t), Modules: modules(t, text)})
		s := get(t, context.Background(), srv, "/probe?target=127.0.0.1&module=web", "")
		if s.status != http.StatusOK {
			t.Fatalf("module=web: %d %s", s.status, s.body)
		}
		if got := s.value(t, MetricProbeSuccess, nil); got != 1 {
			t.Errorf("module=web: success %v", got)
		}
		if got := s.value(t, report.MetricExpectationFailed, with(portLabels("127.0.0.1", "127.0.0.1", open, "tcp"), report.LabelExpect, "open")); got != 0 {
			t.Errorf("module=web: expectation failed %v", got)
		}
		for _, c := range []struct {
			query, body string
			adHoc       bool // the answer with ad-hoc parameters on
		}{
			{"target=127.0.0.1&module=nope", `module "nope": no such module; modules: down, web`, false},
			{"target=127.0.0.1&module=web&module=down", "module given 2 times; give it once", false},
			{"target=127.0.0.1&module=web&timeout=5s", "timeout: module web sets it; give it in the module, or probe without module=", true},
			{"target=127.0.0.1&module=web&ports=T:1", "ports: module web sets it; give it in the module, or probe without module=", true},
		} {
			s := get(t, context.Background(), srv, "/probe?"+c.query, "")
			want := "portreach: " + c.body + "\n"
			if !adHoc && !c.adHoc {
				// as is
			} else if !adHoc {
				k, _, _ := strings.Cut(strings.Split(c.query, "&")[2], "=")
				want = "portreach: " + k + ": this exporter takes only target=, module= and format= (ad_hoc_params: false in its --config.file); modules: down, web\n"
			}
			if s.status != http.StatusBadRequest || s.body != want {
				t.Errorf("ad hoc %v, %s: %d %q, want 400 %q", adHoc, c.query, s.status, s.body, want)
			}
		}
		// Without module=: as without a file, or refused.
		s = get(t, context.Background(), srv, fmt.Sprintf("/probe?target=127.0.0.1&ports=%d&expect=open", open), "")
		switch {
		case adHoc && s.status != http.StatusOK:
			t.Errorf("ad hoc, no module: %d %s", s.status, s.body)
		case !adHoc && (s.status != http.StatusBadRequest || s.body != "portreach: expect: this exporter takes only target=, module= and format= (ad_hoc_params: false in its --config.file); modules: down, web\n"):
			t.Errorf("no ad hoc, ports=: %d %q", s.status, s.body)
		}
		if !adHoc {
			s = get(t, context.Background(), srv, "/probe?target=127.0.0.1&"+url.Values{"format": {"prometheus"}, "ports": {""}}.Encode(), "")
			if want := "portreach: missing module: /probe?target=HOST&module=NAME; modules: down, web\n"; s.status != http.StatusBadRequest || s.body != want {
				t.Errorf("no ad hoc, no module: %d %q", s.status, s.body)
			}
		}
		s = get(t, context.Background(), srv, "/probe?target=127.0.0.1&module=down&format=jsonl", "")
		if s.status != http.StatusOK || !strings.Contains(s.body, `"state":"closed"`) {
			t.Errorf("module=down, format=jsonl: %d %s", s.status, s.body)
		}
	}
	// Without a file, module= is refused.
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8")})
	if s := get(t, context.Background(), srv, "/probe?target=127.0.0.1&module=web", ""); s.status != http.StatusBadRequest ||
		s.body != "portreach: module \"web\": this exporter has no modules (portreach serve --config.file)\n" {
		t.Errorf("module= without a file: %d %q", s.status, s.body)
	}
}

// A module may name a domain whose DCs the locator finds (domain=, site=,
// dns_server=): a scrape then gives module= alone.
func TestModuleDomain(t *testing.T) {
	m := modules(t, "ad_hoc_params: false\nmodules:\n  corp-dcs:\n    domain: corp.example\n    site: Site-A\n    dns_server: 198.18.1.2\n")
	q, err := m.apply(url.Values{paramModule: {"corp-dcs"}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := parseProbe(q, catalog(t))
	if err != nil {
		t.Fatal(err)
	}
	if req.domain == nil || req.domain.Name != "corp.example" || req.domain.Site != "Site-A" || req.domain.DNSServer.Addr().String() != "198.18.1.2" ||
		len(req.profiles) != 1 || req.profiles[0].Slug != defaultDCProfile {
		t.Errorf("module corp-dcs: domain %+v, profiles %v", req.domain, req.profiles)
	}
	if _, err := ParseModules("m.yml", []byte("modules:\n  x:\n    site: Site-A\n    ports: T:1\n"), catalog(t), 0); err == nil ||
		err.Error() != "m.yml: line 2: module x: site and dns_server need domain=DOMAIN" {
		t.Errorf("site without a domain: %v", err)
	}
}
