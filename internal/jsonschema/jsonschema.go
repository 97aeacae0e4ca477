// Package jsonschema checks JSON documents against a JSON Schema: the part of
// draft 2020-12 that portreach's report schema uses (report/schema/), no more.
// It refuses to compile a schema that uses anything else, so a constraint can
// never be silently ignored. A full validator library would be one more
// dependency for a fixed, small schema; this one also gives path-precise
// messages ("results[3].state: …") for hand-edited files.
package jsonschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Schema is one compiled (sub)schema. It is immutable, and safe for concurrent
// use.
type Schema struct {
	always    *bool // a boolean schema: true accepts everything, false nothing
	ref       string
	refNode   *Schema
	types     []string
	props     map[string]*Schema
	required  []string
	addl      *Schema // additionalProperties
	propNames *Schema
	items     *Schema
	enum      []any
	hasConst  bool
	constVal  any
	min, max  *big.Rat
	minLength int
	pattern   *regexp.Regexp
	format    string
	defs      map[string]*Schema // at the root only: the compiled $defs
}

// schemaKeywords are the keywords Compile understands. Annotations (title,
// description, $comment, $schema, $id) do not constrain anything.
var schemaKeywords = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "$defs": true, "$ref": true,
	"title": true, "description": true,
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"propertyNames": true, "items": true, "enum": true, "const": true,
	"minimum": true, "maximum": true, "minLength": true, "pattern": true, "format": true,
}

// Compile compiles a schema document. Only local references into $defs
// ("#/$defs/name") are supported; any keyword this package does not implement
// is an error.
func Compile(doc []byte) (*Schema, error) {
	root, err := Decode(doc)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema: root is not an object")
	}
	defs := map[string]*Schema{}
	var pending []*Schema
	c := func(v any, where string) (*Schema, error) { return compileNode(v, where, &pending) }
	if d, ok := obj["$defs"]; ok {
		dm, ok := d.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("schema: $defs is not an object")
		}
		for name, v := range dm {
			n, err := c(v, "#/$defs/"+name)
			if err != nil {
				return nil, err
			}
			defs[name] = n
		}
	}
	top, err := c(obj, "#")
	if err != nil {
		return nil, err
	}
	for _, n := range pending {
		name, ok := strings.CutPrefix(n.ref, "#/$defs/")
		if !ok || defs[name] == nil {
			return nil, fmt.Errorf("schema: unsupported or dangling $ref %q", n.ref)
		}
		n.refNode = defs[name]
	}
	top.defs = defs
	return top, nil
}

func compileNode(v any, where string, pending *[]*Schema) (*Schema, error) {
	n := &Schema{minLength: -1}
	if b, ok := v.(bool); ok {
		n.always = &b
		return n, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema %s: not a schema", where)
	}
	sub := func(key string, v any) (*Schema, error) { return compileNode(v, where+"/"+key, pending) }
	for k, val := range m {
		if !schemaKeywords[k] {
			return nil, fmt.Errorf("schema %s: keyword %q is not supported by this checker", where, k)
		}
		var err error
		switch k {
		case "$ref":
			s, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("schema %s: $ref is not a string", where)
			}
			n.ref = s
			*pending = append(*pending, n)
		case "$defs":
			if where != "#" {
				return nil, fmt.Errorf("schema %s: $defs only at the root", where)
			}
		case "type":
			switch t := val.(type) {
			case string:
				n.types = []string{t}
			case []any:
				for _, e := range t {
					s, ok := e.(string)
					if !ok {
						return nil, fmt.Errorf("schema %s: bad type list", where)
					}
					n.types = append(n.types, s)
				}
			default:
				return nil, fmt.Errorf("schema %s: bad type", where)
			}
			for _, t := range n.types {
				if !slices.Contains([]string{"object", "array", "string", "number", "integer", "boolean", "null"}, t) {
					return nil, fmt.Errorf("schema %s: unknown type %q", where, t)
				}
			}
		case "properties":
			pm, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("schema %s: properties is not an object", where)
			}
			n.props = map[string]*Schema{}
			for name, pv := range pm {
				if n.props[name], err = sub("properties/"+name, pv); err != nil {
					return nil, err
				}
			}
		case "required":
			list, ok := val.([]any)
			if !ok {
				return nil, fmt.Errorf("schema %s: required is not an array", where)
			}
			for _, e := range list {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("schema %s: required holds a non-string", where)
				}
				n.required = append(n.required, s)
			}
		case "additionalProperties":
			n.addl, err = sub(k, val)
		case "propertyNames":
			n.propNames, err = sub(k, val)
		case "items":
			n.items, err = sub(k, val)
		case "enum":
			list, ok := val.([]any)
			if !ok {
				return nil, fmt.Errorf("schema %s: enum is not an array", where)
			}
			n.enum = list
		case "const":
			n.hasConst, n.constVal = true, val
		case "minimum", "maximum":
			num, ok := val.(json.Number)
			if !ok {
				return nil, fmt.Errorf("schema %s: %s is not a number", where, k)
			}
			r, ok := parseNumber(num.String())
			if !ok {
				return nil, fmt.Errorf("schema %s: %s is not a number", where, k)
			}
			if k == "minimum" {
				n.min = r
			} else {
				n.max = r
			}
		case "minLength":
			num, ok := val.(json.Number)
			if !ok {
				return nil, fmt.Errorf("schema %s: minLength is not a number", where)
			}
			i, err := strconv.Atoi(num.String())
			if err != nil || i < 0 {
				return nil, fmt.Errorf("schema %s: bad minLength", where)
			}
			n.minLength = i
		case "pattern":
			s, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("schema %s: pattern is not a string", where)
			}
			if n.pattern, err = regexp.Compile(s); err != nil {
				return nil, fmt.Errorf("schema %s: %w", where, err)
			}
		case "format":
			s, ok := val.(string)
			if !ok || s != "date-time" {
				return nil, fmt.Errorf("schema %s: only format date-time is supported", where)
			}
			n.format = s
		}
		if err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Decode decodes one JSON document into generic values, the form Validate
// checks: numbers as json.Number, so that integers are checked exactly.
// Trailing data is an error.
func Decode(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the end of the JSON document")
	}
	return v, nil
}

// parseNumber converts a JSON number exactly. Exponents beyond float64's range are
// refused: big.Rat would expand "1e999999999" into a billion-digit integer.
func parseNumber(s string) (*big.Rat, bool) {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > 400 || e < -400 {
			return nil, false
		}
	}
	return new(big.Rat).SetString(s)
}

// Validate checks v, a document as Decode returns it, against s and returns
// the first violation, naming where it is ("results[3].state: …").
func (s *Schema) Validate(v any) error { return s.validate(v, "") }

// Def returns the compiled "$defs" entry name of a root schema, or nil.
func (s *Schema) Def(name string) *Schema { return s.defs[name] }

// Property returns the schema of an object's property name, or nil.
func (s *Schema) Property(name string) *Schema { return s.props[name] }

// Enum returns the values s's "enum" allows, as Decode returns values; nil
// when it has none.
func (s *Schema) Enum() []any { return slices.Clone(s.enum) }

// validate checks v against n and returns the first violation, naming where it is.
func (n *Schema) validate(v any, path string) error {
	if n.always != nil {
		if !*n.always {
			return schemaErrorf(path, "no value is allowed here")
		}
		return nil
	}
	if n.refNode != nil {
		if err := n.refNode.validate(v, path); err != nil {
			return err
		}
	}
	if len(n.types) > 0 && !slices.ContainsFunc(n.types, func(t string) bool { return hasType(v, t) }) {
		return schemaErrorf(path, "%s where %s is expected", TypeName(v), strings.Join(n.types, " or "))
	}
	if n.hasConst && !jsonEqual(v, n.constVal) {
		return schemaErrorf(path, "%s, want %s", Show(v), Show(n.constVal))
	}
	if n.enum != nil && !slices.ContainsFunc(n.enum, func(e any) bool { return jsonEqual(v, e) }) {
		var names []string
		for _, e := range n.enum {
			names = append(names, Show(e))
		}
		return schemaErrorf(path, "%s is not one of %s", Show(v), strings.Join(names, ", "))
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range n.required {
			if _, ok := x[k]; !ok {
				return schemaErrorf(path, "required field %q is missing", k)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // report the same violation every time
		for _, k := range keys {
			p := joinPath(path, k)
			if n.propNames != nil {
				if err := n.propNames.validate(k, p); err != nil {
					return err
				}
			}
			if s, ok := n.props[k]; ok {
				if err := s.validate(x[k], p); err != nil {
					return err
				}
				continue
			}
			if n.addl != nil {
				if n.addl.always != nil && !*n.addl.always {
					return schemaErrorf(p, "unknown field")
				}
				if err := n.addl.validate(x[k], p); err != nil {
					return err
				}
			}
		}
	case []any:
		if n.items != nil {
			for i, e := range x {
				if err := n.items.validate(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	case string:
		if n.minLength >= 0 && len([]rune(x)) < n.minLength {
			return schemaErrorf(path, "string shorter than %d", n.minLength)
		}
		if n.pattern != nil && !n.pattern.MatchString(x) {
			return schemaErrorf(path, "%s does not match %s", Show(x), n.pattern)
		}
		if n.format == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				return schemaErrorf(path, "%s is not an RFC 3339 date-time", Show(x))
			}
		}
	case json.Number:
		r, ok := parseNumber(x.String())
		if !ok {
			return schemaErrorf(path, "bad number %s", x)
		}
		if n.min != nil && r.Cmp(n.min) < 0 {
			return schemaErrorf(path, "%s is less than %s", x, n.min.RatString())
		}
		if n.max != nil && r.Cmp(n.max) > 0 {
			return schemaErrorf(path, "%s is more than %s", x, n.max.RatString())
		}
	}
	return nil
}

func schemaErrorf(path, format string, args ...any) error {
	if path == "" {
		path = "(document)"
	}
	return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func hasType(v any, t string) bool {
	switch x := v.(type) {
	case nil:
		return t == "null"
	case bool:
		return t == "boolean"
	case string:
		return t == "string"
	case map[string]any:
		return t == "object"
	case []any:
		return t == "array"
	case json.Number:
		if t == "number" {
			return true
		}
		if t == "integer" {
			r, ok := parseNumber(x.String())
			return ok && r.IsInt()
		}
	}
	return false
}

// TypeName names the JSON type of v, a value as Decode returns it ("an
// object", "a number", "null"), for error messages.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// Show renders a value for an error message, shortened so a huge value cannot
// flood the terminal.
func Show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const maxLen = 60
	if len(b) > maxLen {
		return string(b[:maxLen]) + "…"
	}
	return string(b)
}

// jsonEqual compares JSON values as JSON Schema does: numbers by value.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		p, ok1 := parseNumber(x.String())
		q, ok2 := parseNumber(y.String())
		return ok1 && ok2 && p.Cmp(q) == 0
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}
