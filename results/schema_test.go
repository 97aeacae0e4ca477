package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func compiled(t *testing.T) *schemaNode {
	t.Helper()
	s, err := compiledSchema()
	if err != nil {
		t.Fatalf("the shipped schema does not compile: %v", err)
	}
	return s
}

func validateDoc(t *testing.T, n *schemaNode, doc []byte) error {
	t.Helper()
	v, err := decodeJSONValue(doc)
	if err != nil {
		t.Fatal(err)
	}
	return n.validate(v, "")
}

// The JSON document, including an empty one, matches the shipped schema.
func TestJSONMatchesSchema(t *testing.T) {
	s := compiled(t)
	for _, rep := range []*Report{fixtureReport(), {}, {Results: []Result{{}}}} {
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
	s := compiled(t).defs["result"]
	if s == nil {
		t.Fatal("schema has no $defs/result")
	}
	var b bytes.Buffer
	w := NewJSONLWriter(&b)
	for _, r := range append(fixtureResults(), Result{}) {
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
		for _, v := range s.defs[name].enum {
			out = append(out, v.(string))
		}
		return out
	}
	var states []string
	for i := range stateNames {
		states = append(states, stateNames[i])
	}
	if got := enum("state"); !slices.Equal(got, states) {
		t.Errorf("schema states %q, Go states %q", got, states)
	}
	verdicts := []string{string(VerdictNone), string(VerdictPass), string(VerdictFail)}
	if got := enum("verdict"); !slices.Equal(got, verdicts) {
		t.Errorf("schema verdicts %q, Go verdicts %q", got, verdicts)
	}
	var expects []string
	for _, v := range s.defs["check"].props["expect"].enum {
		expects = append(expects, v.(string))
	}
	if want := []string{string(ExpectOpen), string(ExpectOptional), string(ExpectClosed), string(ExpectReachable)}; !slices.Equal(expects, want) {
		t.Errorf("schema expectations %q, Go %q", expects, want)
	}
	var statuses []string
	for _, st := range Statuses {
		statuses = append(statuses, string(st))
	}
	if got := enum("status"); !slices.Equal(got, statuses) {
		t.Errorf("schema statuses %q, Go statuses %q", got, statuses)
	}
}

// The checker refuses schemas that use keywords it does not implement, so the
// shipped schema can never carry a constraint that is silently skipped.
func TestCompileSchemaRefusesUnsupported(t *testing.T) {
	for _, tc := range []struct{ schema, want string }{
		{`{"oneOf": [{"type": "string"}]}`, `keyword "oneOf" is not supported`},
		{`{"properties": {"a": {"maxLength": 3}}}`, `schema #/properties/a: keyword "maxLength" is not supported`},
		{`{"$ref": "https://example.com/x.json"}`, `unsupported or dangling $ref`},
		{`{"$ref": "#/$defs/missing"}`, `unsupported or dangling $ref`},
		{`{"format": "email"}`, `only format date-time is supported`},
		{`{"type": "text"}`, `unknown type "text"`},
		{`{"pattern": "("}`, `missing closing )`},
		{`[]`, `root is not an object`},
	} {
		if _, err := compileSchema([]byte(tc.schema)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("compileSchema(%s) = %v, want an error saying %q", tc.schema, err, tc.want)
		}
	}
}

// The checker's own behaviour, keyword by keyword, on a small schema.
func TestSchemaChecker(t *testing.T) {
	s, err := compileSchema([]byte(`{
		"type": "object",
		"required": ["n"],
		"additionalProperties": false,
		"properties": {
			"n": {"type": "integer", "minimum": 1, "maximum": 10},
			"x": {"type": ["number", "null"]},
			"s": {"type": "string", "minLength": 2, "pattern": "^a"},
			"t": {"type": "string", "format": "date-time"},
			"e": {"enum": ["a", 1, null]},
			"c": {"const": {"k": [1, 2]}},
			"l": {"type": "array", "items": {"$ref": "#/$defs/b"}},
			"m": {"type": "object", "propertyNames": {"enum": ["p", "q"]}, "additionalProperties": {"type": "boolean"}},
			"f": false
		},
		"$defs": {"b": {"type": "boolean"}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ doc, want string }{
		{`{"n": 1}`, ""},
		{`{"n": 10.0, "x": null, "s": "ab", "t": "2026-01-02T03:04:05.5Z", "e": 1.0, "c": {"k": [1.0, 2]}, "l": [true, false], "m": {"p": true}}`, ""},
		{`{}`, `(document): required field "n" is missing`},
		{`{"n": 0}`, "n: 0 is less than 1"},
		{`{"n": 11}`, "n: 11 is more than 10"},
		{`{"n": 1.5}`, "n: a number where integer is expected"},
		{`{"n": "1"}`, "n: a string where integer is expected"},
		{`{"n": 1, "x": true}`, "x: a boolean where number or null is expected"},
		{`{"n": 1, "s": "a"}`, "s: string shorter than 2"},
		{`{"n": 1, "s": "ba"}`, `s: "ba" does not match ^a`},
		{`{"n": 1, "t": "2026-01-02"}`, `t: "2026-01-02" is not an RFC 3339 date-time`},
		{`{"n": 1, "e": "b"}`, `e: "b" is not one of "a", 1, null`},
		{`{"n": 1, "c": {"k": [1]}}`, `c: {"k":[1]}, want {"k":[1,2]}`},
		{`{"n": 1, "l": [true, 1]}`, "l[1]: a number where boolean is expected"},
		{`{"n": 1, "m": {"r": true}}`, `m.r: "r" is not one of "p", "q"`},
		{`{"n": 1, "m": {"p": 1}}`, "m.p: a number where boolean is expected"},
		{`{"n": 1, "f": 1}`, "f: no value is allowed here"},
		{`{"n": 1, "z": 1}`, "z: unknown field"},
		{`[]`, "(document): an array where object is expected"},
	} {
		var v any
		dec := json.NewDecoder(strings.NewReader(tc.doc))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		err := s.validate(v, "")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.doc, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%s: error %v, want %q", tc.doc, err, tc.want)
		}
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
