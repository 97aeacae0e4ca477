package profiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/portreach/portreach/results"
)

// Error is one problem in a profile or plan file, located by file and line.
type Error struct {
	File string
	Line int
	Msg  string
}

// Error renders "file:line: message", the form editors and terminals link to.
func (e *Error) Error() string { return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg }

// Strict decoding. encoding/json's DisallowUnknownFields names an unknown field but
// not where it is, and says nothing about the position of a value that decodes but
// fails validation. So the file is first read token by token into a tree of nodes
// that remember their byte offsets, and the tree is then decoded into the schema's
// structs by a small reflective decoder that rejects unknown and duplicate fields
// and reports every error with file:line.

type nodeKind uint8

const (
	nObject nodeKind = iota
	nArray
	nString
	nNumber
	nBool
	nNull
)

var kindNames = [...]string{nObject: "an object", nArray: "an array", nString: "a string", nNumber: "a number", nBool: "a boolean", nNull: "null"}

type member struct {
	name string
	off  int64 // offset of the key
	val  *node
}

type node struct {
	off     int64 // offset of the value's first byte
	kind    nodeKind
	str     string      // nString
	num     json.Number // nNumber
	b       bool        // nBool
	members []member    // nObject, in file order
	elems   []*node     // nArray
}

// source is one file being decoded.
type source struct {
	name  string
	data  []byte
	errs  []error
	nl    []int64 // offsets of the newlines, computed on first use
	nlSet bool
}

// maxErrors caps the errors reported for one file: past it, the rest is noise.
const maxErrors = 20

// line turns a byte offset into a 1-based line number.
func (s *source) line(off int64) int {
	if !s.nlSet {
		for i, b := range s.data {
			if b == '\n' {
				s.nl = append(s.nl, int64(i))
			}
		}
		s.nlSet = true
	}
	n, _ := slices.BinarySearch(s.nl, off)
	return 1 + n
}

// errorf records an error at offset off, up to maxErrors.
func (s *source) errorf(off int64, format string, args ...any) {
	switch {
	case len(s.errs) < maxErrors:
		s.errs = append(s.errs, &Error{File: s.name, Line: s.line(off), Msg: fmt.Sprintf(format, args...)})
	case len(s.errs) == maxErrors:
		s.errs = append(s.errs, &Error{File: s.name, Line: s.line(off), Msg: "too many errors"})
	}
}

// errorAt records an error at a position already known (a field's Pos).
func (s *source) errorAt(p Pos, format string, args ...any) {
	if len(s.errs) <= maxErrors {
		s.errs = append(s.errs, &Error{File: s.name, Line: p.Line, Msg: fmt.Sprintf(format, args...)})
	}
}

// err joins the recorded errors; nil when there are none.
func (s *source) err() error { return errors.Join(s.errs...) }

// start returns the offset of the next token at or after off: the decoder's
// InputOffset points just past the previous token, before separators and spaces.
func (s *source) start(off int64) int64 {
	for off < int64(len(s.data)) {
		switch s.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// parse reads the whole file into a node tree. A syntax error is returned located.
func (s *source) parse() (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(s.data))
	dec.UseNumber()
	n, err := s.value(dec)
	if err == nil {
		off := s.start(dec.InputOffset())
		if _, err2 := dec.Token(); err2 != io.EOF {
			return nil, &Error{File: s.name, Line: s.line(off), Msg: "unexpected data after the top-level value"}
		}
	}
	if err != nil {
		var se *json.SyntaxError
		var le *Error
		switch {
		case errors.As(err, &le):
			return nil, err
		case errors.As(err, &se):
			return nil, &Error{File: s.name, Line: s.line(se.Offset), Msg: "invalid JSON: " + strings.TrimPrefix(se.Error(), "json: ")}
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return nil, &Error{File: s.name, Line: s.line(int64(len(s.data))), Msg: "invalid JSON: unexpected end of file"}
		}
		return nil, &Error{File: s.name, Line: s.line(dec.InputOffset()), Msg: "invalid JSON: " + err.Error()}
	}
	return n, nil
}

// value reads one JSON value, recursively, remembering where each starts.
func (s *source) value(dec *json.Decoder) (*node, error) {
	off := s.start(dec.InputOffset())
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	n := &node{off: off}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind = nObject
			seen := map[string]bool{}
			for dec.More() {
				koff := s.start(dec.InputOffset())
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				if seen[key] {
					return nil, &Error{File: s.name, Line: s.line(koff), Msg: fmt.Sprintf("duplicate field %q", key)}
				}
				seen[key] = true
				v, err := s.value(dec)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, member{key, koff, v})
			}
		case '[':
			n.kind = nArray
			for dec.More() {
				v, err := s.value(dec)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, v)
			}
		default:
			return nil, &json.SyntaxError{Offset: off}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.kind, n.str = nString, t
	case json.Number:
		n.kind, n.num = nNumber, t
	case bool:
		n.kind, n.b = nBool, t
	case nil:
		n.kind = nNull
	}
	return n, nil
}

var (
	posType       = reflect.TypeFor[Pos]()
	portRangeType = reflect.TypeFor[results.PortRange]()
	endpointType  = reflect.TypeFor[Endpoint]()
)

// decode stores n into v, which must be settable. Errors are recorded in s; decoding
// goes on so that one run reports every problem in the file.
func (s *source) decode(n *node, v reflect.Value, what string) {
	if v.Type() == portRangeType {
		s.decodePort(n, v)
		return
	}
	if v.Type() == endpointType && n.kind == nString {
		// A policy's source endpoint: its URL alone ("local", "https://…").
		e := Endpoint{URL: n.str, Pos: Pos{File: s.name, Line: s.line(n.off)}}
		for _, msg := range e.problems() {
			s.errorf(n.off, "%s", msg)
		}
		v.Set(reflect.ValueOf(e))
		return
	}
	want := func(kind string) {
		s.errorf(n.off, "%s: want %s, got %s", what, kind, kindNames[n.kind])
	}
	switch v.Kind() {
	case reflect.String:
		if n.kind != nString {
			want("a string")
			return
		}
		v.SetString(n.str)
	case reflect.Bool:
		if n.kind != nBool {
			want("true or false")
			return
		}
		v.SetBool(n.b)
	case reflect.Slice:
		if n.kind != nArray {
			want("an array")
			return
		}
		sl := reflect.MakeSlice(v.Type(), len(n.elems), len(n.elems))
		for i, e := range n.elems {
			s.decode(e, sl.Index(i), what)
		}
		v.Set(sl)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		s.decode(n, p.Elem(), what)
		v.Set(p)
	case reflect.Map:
		if n.kind != nObject {
			want("an object")
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.members))
		for _, mb := range n.members {
			ev := reflect.New(v.Type().Elem()).Elem()
			s.decode(mb.val, ev, fmt.Sprintf("%s %q", what, mb.name))
			m.SetMapIndex(reflect.ValueOf(mb.name).Convert(v.Type().Key()), ev)
		}
		v.Set(m)
	case reflect.Struct:
		if n.kind != nObject {
			want("an object")
			return
		}
		t := v.Type()
		fields := map[string]int{}
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Type == posType {
				v.Field(i).Set(reflect.ValueOf(Pos{File: s.name, Line: s.line(n.off)}))
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields[name] = i
			}
		}
		if noun, ok := nouns[t]; ok {
			what = noun
		}
		before := len(s.errs)
		for _, mb := range n.members {
			i, ok := fields[mb.name]
			if !ok {
				s.errorf(mb.off, "unknown field %q in %s (fields: %s)", mb.name, what, fieldList(t))
				continue
			}
			s.decode(mb.val, v.Field(i), fmt.Sprintf("%q", mb.name))
		}
		// Validate only what decoded cleanly: one mistake, one message.
		if vd, ok := v.Addr().Interface().(validator); ok && len(s.errs) == before {
			vd.validate(&checker{s, n})
		}
	default:
		s.errorf(n.off, "%s: cannot decode into %s", what, v.Type())
	}
}

// nouns name the schema's structs in error messages.
var nouns = map[reflect.Type]string{
	reflect.TypeFor[Profile]():        "profile",
	reflect.TypeFor[Entry]():          "entry",
	reflect.TypeFor[Role]():           "role",
	reflect.TypeFor[catalogFile]():    "profile file",
	reflect.TypeFor[planFile]():       "plan file",
	reflect.TypeFor[PlanItem]():       "plan item",
	reflect.TypeFor[Endpoint]():       "source endpoint",
	reflect.TypeFor[Rule]():           "rule",
	reflect.TypeFor[results.Source](): "source",
}

// validator is implemented by schema structs that check their own fields once
// decoded; a checker locates each complaint at the offending field's line.
type validator interface {
	validate(c *checker)
}

type checker struct {
	s *source
	n *node
}

// errorf records an error at the line of field, or of the object when the field is absent.
func (c *checker) errorf(field, format string, args ...any) {
	off := c.n.off
	for _, mb := range c.n.members {
		if mb.name == field {
			off = mb.val.off
		}
	}
	c.s.errorf(off, format, args...)
}

// has reports whether the object spells out field.
func (c *checker) has(field string) bool {
	for _, mb := range c.n.members {
		if mb.name == field {
			return true
		}
	}
	return false
}

func fieldList(t reflect.Type) string {
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// decodePort accepts a number (445) or a string ("445", "50000-50200").
func (s *source) decodePort(n *node, v reflect.Value) {
	var r results.PortRange
	var err error
	switch n.kind {
	case nNumber:
		r.Lo, err = results.ParsePort(n.num.String()) // a number is one port, never a range
		r.Hi = r.Lo
	case nString:
		r, err = results.ParsePortRange(n.str)
	default:
		s.errorf(n.off, `"port": want a number or a "low-high" string, got %s`, kindNames[n.kind])
		return
	}
	if err != nil {
		s.errorf(n.off, `"port": %v`, err)
		return
	}
	v.Set(reflect.ValueOf(r))
}

// catalogFile is the schema of a profile file.
type catalogFile struct {
	Profiles []*Profile `json:"profiles"`
}

// parseCatalogFile decodes and validates one profile file. Cross-profile checks
// (includes, unique names) are the Catalog's.
func parseCatalogFile(name string, data []byte) ([]*Profile, error) {
	s := &source{name: name, data: data}
	root, err := s.parse()
	if err != nil {
		return nil, err
	}
	var f catalogFile
	s.decode(root, reflect.ValueOf(&f).Elem(), "profile file")
	if err := s.err(); err != nil {
		return nil, err
	}
	return f.Profiles, nil
}
