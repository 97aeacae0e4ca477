package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/portreach/portreach/results"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended):\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestGoldenJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json.golden", b.Bytes())
}

func TestGoldenJSONL(t *testing.T) {
	var b bytes.Buffer
	w := NewJSONLWriter(&b)
	rs := fixtureResults()
	results.Sort(rs)
	for _, r := range rs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "results.jsonl.golden", b.Bytes())
}

func TestGoldenCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, fixtureResults()); err != nil {
		t.Fatal(err)
	}
	golden(t, "results.csv.golden", b.Bytes())
}

func TestGoldenTable(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  TableOptions
	}{
		{"table.golden", TableOptions{}},
		{"table-verbose.golden", TableOptions{Verbose: true}},
		{"table-color.golden", TableOptions{Color: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteTable(&b, fixtureReport(), tc.opt); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}

func TestGoldenHTML(t *testing.T) {
	rep := fixtureReport()
	var b bytes.Buffer
	if err := WriteHTML(&b, rep, HTMLOptions{Machine: "jump01"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.html.golden", b.Bytes())
}
