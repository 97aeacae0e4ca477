package jsonschema

import (
	"encoding/json"
	"strings"
	"testing"
)

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
		if _, err := Compile([]byte(tc.schema)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%s) = %v, want an error saying %q", tc.schema, err, tc.want)
		}
	}
}

// The checker's own behaviour, keyword by keyword, on a small schema.
func TestSchemaChecker(t *testing.T) {
	s, err := Compile([]byte(`{
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
		err := s.Validate(v)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.doc, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%s: error %v, want %q", tc.doc, err, tc.want)
		}
	}
}
