package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/portreach/portreach/internal/jsonschema"
	"github.com/portreach/portreach/results"
)

func compiled(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := compiledSchema()
	if err != nil {
		t.Fatalf("the shipped schema does not compile: %v", err)
	}
	return s
}

func validateDoc(t *testing.T, n *jsonschema.Schema, doc []byte) error {
	t.Helper()
	v, err := jsonschema.Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	return n.Validate(v)
}

// The JSON document, including an empty one, matches the shipped schema.
func TestJSONMatchesSchema(t *testing.T) {
	s := compiled(t)
	for _, rep := range []*results.Report{fixtureReport(), {}, {Results: []results.Result{{}}}} {
		var b bytes.Buffer
		if err := WriteJSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		if err := validateDoc(t, s, b.Bytes()); err != nil {
			t.Errorf("output does not match the schema: %v\n%s", err, b.Bytes())
		}
	}
}

// Every JSONL line matches the schema's result definition.
func TestJSONLMatchesSchema(t *testing.T) {
	s := compiled(t).Def("result")
	if s == nil {
		t.Fatal("schema has no $defs/result")
	}
	var b bytes.Buffer
	w := NewJSONLWriter(&b)
	for _, r := range append(fixtureResults(), results.Result{}) {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	sc := bufio.NewScanner(&b)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		if err := validateDoc(t, s, sc.Bytes()); err != nil {
			t.Errorf("line %d does not match $defs/result: %v\n%s", n, err, sc.Bytes())
		}
	}
	if want := len(fixtureResults()) + 1; n != want {
		t.Errorf("%d lines, want %d", n, want)
	}
}

// The schema's enums list exactly the values the Go types can take.
func TestSchemaEnumsMatchTypes(t *testing.T) {
	s := compiled(t)
	enum := func(name string) []string {
		var out []string
		for _, v := range s.Def(name).Enum() {
			out = append(out, v.(string))
		}
		return out
	}
	var states []string // in numeric order, as the schema lists them
	for st := results.State(0); ; st++ {
		b, err := st.MarshalText()
		if err != nil {
			break
		}
		states = append(states, string(b))
	}
	if got := enum("state"); !slices.Equal(got, states) {
		t.Errorf("schema states %q, Go states %q", got, states)
	}
	verdicts := []string{string(results.VerdictNone), string(results.VerdictPass), string(results.VerdictFail)}
	if got := enum("verdict"); !slices.Equal(got, verdicts) {
		t.Errorf("schema verdicts %q, Go verdicts %q", got, verdicts)
	}
	var expects []string
	for _, v := range s.Def("check").Property("expect").Enum() {
		expects = append(expects, v.(string))
	}
	if want := []string{string(results.ExpectOpen), string(results.ExpectOptional), string(results.ExpectClosed), string(results.ExpectReachable), string(results.ExpectBlocked)}; !slices.Equal(expects, want) {
		t.Errorf("schema expectations %q, Go %q", expects, want)
	}
	var statuses []string
	for _, st := range results.Statuses {
		statuses = append(statuses, string(st))
	}
	if got := enum("status"); !slices.Equal(got, statuses) {
		t.Errorf("schema statuses %q, Go statuses %q", got, statuses)
	}
}

func TestJSONSchemaIsACopy(t *testing.T) {
	b := JSONSchema()
	b[0] = 'x'
	if JSONSchema()[0] != '{' {
		t.Error("JSONSchema returned the package's own slice")
	}
	var v map[string]any
	if err := json.Unmarshal(JSONSchema(), &v); err != nil || v["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("schema is not a draft 2020-12 document: %v", err)
	}
}
