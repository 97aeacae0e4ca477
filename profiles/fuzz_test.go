package profiles

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParseCatalogFile feeds arbitrary bytes to the strict decoder: it must never
// panic, and every error it returns must be located as "file:line: ".
func FuzzParseCatalogFile(f *testing.F) {
	// Seeds stay small: the fuzzer minimises every interesting input, and the
	// 80 KB data files would keep it minimising instead of fuzzing.
	b, err := os.ReadFile("data/biztalk.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:bytes.Index(b, []byte("row 4:"))])
	f.Add([]byte(profileFile(goodEntry)))
	f.Add([]byte(goodPlan))
	f.Add([]byte(schemaExample))
	f.Add([]byte(`{"profiles": [{"slug": "a", "entries": [{"port": "5-3"}, {"port": 0}, {"port": [1]}]}]}`))
	f.Add([]byte(`{"items": [{"profiles": ["dc"], "roles": {"sql": "x", "sql": "y"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines := 1 + bytes.Count(b, []byte{'\n'})
		check := func(err error) {
			if err == nil {
				return
			}
			var list interface{ Unwrap() []error }
			errs := []error{err}
			if errors.As(err, &list) {
				errs = list.Unwrap()
			}
			if len(errs) > maxErrors+1 {
				t.Fatalf("%d errors; want at most %d and a last \"too many errors\"", len(errs), maxErrors)
			}
			for _, e := range errs {
				var le *Error
				if !errors.As(e, &le) || le.File != "f.json" || le.Line < 1 || le.Line > lines {
					t.Fatalf("error not located in f.json: %v", e)
				}
				if !strings.HasPrefix(e.Error(), "f.json:") {
					t.Fatalf("error %q lacks the file:line prefix", e)
				}
			}
		}
		ps, err := parseCatalogFile("f.json", b)
		check(err)
		if err == nil {
			c := &Catalog{}
			check(c.add(ps))
		}
		_, err = ParsePlan(bytes.NewReader(b), "f.json")
		check(err)
	})
}
