package probes

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestConformance holds every registered probe to the rules the scanner relies
// on. A new probe in all.go is checked here without being named.
func TestConformance(t *testing.T) {
	names := map[string]bool{}
	ports := map[uint16]string{}
	for _, p := range All() {
		if p.Name == "" || p.New == nil {
			t.Errorf("%q: needs a name and New", p.Name)
			continue
		}
		if names[p.Name] {
			t.Errorf("%s: name registered twice", p.Name)
		}
		names[p.Name] = true
		if got, _ := ByName(p.Name); got != p {
			t.Errorf("%s: ByName finds another probe", p.Name)
		}
		if len(p.Ports) == 0 {
			t.Errorf("%s: no default ports", p.Name)
		}
		for _, port := range p.Ports {
			if other, ok := ports[port]; ok {
				t.Errorf("%s: port %d is already %s's (ForPort would pick one)", p.Name, port, other)
			}
			ports[port] = p.Name
		}
		if p.Mute && p.Silence == "" {
			t.Errorf("%s: mute probes say why they are silent", p.Name)
		}
		t.Run(p.Name, func(t *testing.T) { conformQuery(t, p) })
		conformDrift(t, p)
	}
}

// garbage are datagrams no probe may take for a reply.
var garbage = [][]byte{
	{0x00},
	bytes.Repeat([]byte{0xff}, 64),
	bytes.Repeat([]byte{0x00}, 512),
	[]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x80\x81\xfe"),
}

// ownRequestIsReply lists the probes whose service answers with the request
// itself (RFC 862 echo).
var ownRequestIsReply = map[string]bool{"echo": true}

func conformQuery(t *testing.T, p *Probe) {
	q, err := p.New(&ikeCounter{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	packets := q.Packets()
	if len(packets) == 0 {
		t.Fatal("no datagrams to send")
	}
	for i, pk := range packets {
		if ownRequestIsReply[p.Name] {
			break
		}
		if d, err := q.Match(pk); err == nil {
			t.Errorf("own datagram %d taken for a reply: %s", i, d.Summary())
		}
	}
	for i, g := range append([][]byte{nil, {}}, garbage...) {
		if d, err := q.Match(g); err == nil || d != nil {
			t.Errorf("garbage %d taken for a reply: %v, %v", i, d, err)
		}
	}
	// Without randomness, construction fails with an error, or the probe
	// draws none (its datagrams do not change with the source).
	q2, err := p.New(bytes.NewReader(nil), Options{})
	if err == nil {
		q3, err := p.New(&ikeCounter{n: 77}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(q2.Packets(), q3.Packets()) {
			t.Error("draws randomness but did not fail without it")
		}
	}
}

// conformDrift checks each drift field against the probe's detail type, by JSON
// name: a renamed field would otherwise silently stop being compared.
func conformDrift(t *testing.T, p *Probe) {
	re := regexp.MustCompile(`^[a-z_]+(\[[a-z_]*\])?(\.[a-z_]+(\[[a-z_]*\])?)*$`)
	if len(p.Drift) > 0 && p.Detail == nil {
		t.Errorf("%s: Drift needs Detail", p.Name)
		return
	}
	seen := map[string]bool{}
	for _, f := range p.Drift {
		if !re.MatchString(f.Path) || f.Meaning == "" {
			t.Errorf("%s: bad drift field %+v", p.Name, f)
		}
		if seen[f.Path] {
			t.Errorf("%s: drift field %s twice", p.Name, f.Path)
		}
		seen[f.Path] = true
		if err := detailPathValid(reflect.TypeOf(p.Detail), f.Path); err != nil {
			t.Errorf("%s: drift field %s: %v", p.Name, f.Path, err)
		}
	}
}

func TestDetailPathValid(t *testing.T) {
	typ := reflect.TypeOf((*SQLBrowserDetail)(nil))
	for path, want := range map[string]string{
		"instances[name].tcp_port": "",
		"instances[].name":         "",
		"instances[nope].tcp_port": `elements of instances have no key field "nope"`,
		"nosuch":                   `has no JSON field "nosuch"`,
		"instances.name":           `has no JSON field "name"`,
	} {
		err := detailPathValid(typ, path)
		if (want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
}

// detailPathValid checks a DriftField path (see its doc) against a detail type.
func detailPathValid(typ reflect.Type, path string) error {
	typ = derefType(typ)
	for _, seg := range strings.Split(path, ".") {
		name, sel, hasSel := strings.Cut(seg, "[")
		sel = strings.TrimSuffix(sel, "]")
		f, ok := jsonField(typ, name)
		if !ok {
			return fmt.Errorf("%s has no JSON field %q", typ, name)
		}
		typ = derefType(f.Type)
		if !hasSel {
			continue
		}
		if typ.Kind() != reflect.Slice {
			return fmt.Errorf("%s is not an array", name)
		}
		typ = derefType(typ.Elem())
		if sel != "" {
			if _, ok := jsonField(typ, sel); !ok {
				return fmt.Errorf("elements of %s have no key field %q", name, sel)
			}
		}
	}
	return nil
}

func derefType(t reflect.Type) reflect.Type {
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
