package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// Every field results.DriftDetails compares exists in the probe's details, by
// its JSON name: a renamed field would otherwise silently stop being compared.
// (results cannot import probes, so the check lives here.)
func TestDriftDetailsMatchProbes(t *testing.T) {
	details := map[string]any{
		"sqlbrowser": probes.SQLBrowserDetail{},
		"cldap":      probes.CLDAPDetail{},
		"ntp":        probes.NTPDetail{},
		"dns":        probes.DNSDetail{},
		"snmp":       probes.SNMPDetail{},
		"kerberos":   probes.KerberosDetail{},
		"nbstat":     probes.NBStatDetail{},
	}
	for _, rule := range results.DriftDetails {
		if _, ok := probes.ByName(rule.Probe); !ok {
			t.Errorf("rule %s %s: no such probe", rule.Probe, rule.Path)
			continue
		}
		d, ok := details[rule.Probe]
		if !ok {
			t.Errorf("rule %s %s: add the probe's detail type to this test", rule.Probe, rule.Path)
			continue
		}
		typ := reflect.TypeOf(d)
		for _, seg := range strings.Split(rule.Path, ".") {
			name, sel, hasSel := strings.Cut(seg, "[")
			sel = strings.TrimSuffix(sel, "]")
			f, ok := jsonField(typ, name)
			if !ok {
				t.Errorf("rule %s %s: %s has no JSON field %q", rule.Probe, rule.Path, typ, name)
				break
			}
			typ = deref(f.Type)
			if hasSel {
				if typ.Kind() != reflect.Slice {
					t.Errorf("rule %s %s: %s is not an array", rule.Probe, rule.Path, name)
					break
				}
				typ = deref(typ.Elem())
				if sel != "" {
					if _, ok := jsonField(typ, sel); !ok {
						t.Errorf("rule %s %s: elements of %s have no key field %q", rule.Probe, rule.Path, name, sel)
						break
					}
				}
			}
		}
	}
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func TestParseFailOn(t *testing.T) {
	for _, tc := range []struct {
		in       string
		baseline bool
		want     string
		err      string
	}{
		{"expect", false, "expect", ""},
		{" regression , any-change,regression", true, "regression,any-change", ""},
		{"none", true, "none", ""},
		{"state-change", false, "", "--fail-on state-change compares with a baseline"},
		{"none,expect", true, "", "cannot be combined"},
		{",", true, "", "--fail-on: empty"},
		{"Expect", true, "", `--fail-on "Expect": want one or more of`},
	} {
		got, err := parseFailOn(tc.in, tc.baseline)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || strings.Join(got, ",") != tc.want):
			t.Errorf("%q: %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestRunFails(t *testing.T) {
	failed := []results.Result{{Port: 1}}
	d := &results.Drift{Changes: []results.Change{
		{Kind: results.DriftDetail},
	}}
	moved := &results.Drift{Changes: []results.Change{{Kind: results.DriftPortMoved}}}
	worse := &results.Drift{Changes: []results.Change{{Kind: results.DriftState, Regression: true}}}
	for _, tc := range []struct {
		conds  string
		failed []results.Result
		drift  *results.Drift
		want   string // "" for pass
	}{
		{"expect", failed, nil, "1 expectation failed"},
		{"expect", nil, d, ""},
		{"regression", failed, d, ""},
		{"regression", failed, worse, "1 regression since the baseline"},
		{"state-change", nil, d, ""},
		{"state-change", nil, moved, "1 state change since the baseline"},
		{"any-change", nil, d, "1 change since the baseline"},
		{"any-change", nil, &results.Drift{Changes: []results.Change{}}, ""},
		{"none", failed, worse, ""},
		{"regression", failed, nil, ""}, // the first run of a cron job: no baseline yet
	} {
		fails, why := runFails(strings.Split(tc.conds, ","), tc.failed, tc.drift)
		if fails != (tc.want != "") || why != tc.want {
			t.Errorf("%s: %v %q, want %q", tc.conds, fails, why, tc.want)
		}
	}
}
