package report

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/portreach/portreach/results"
)

// FuzzReadJSON feeds ReadJSON the kind of files users hand in as baselines:
// ours, hand-edited, truncated, or something else entirely. It must never panic,
// and whatever it accepts must survive a write and a read unchanged: a document
// it accepts is one it understood, not one it misread.
func FuzzReadJSON(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "report.json.golden"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add(golden[:len(golden)/2])
	drift, err := os.ReadFile(filepath.Join("testdata", "report-drift.json.golden"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(drift)
	var empty bytes.Buffer
	if err := WriteJSON(&empty, &results.Report{Results: []results.Result{{}}}); err != nil {
		f.Fatal(err)
	}
	f.Add(empty.Bytes())
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"schema_version": 99}`, `{"schema_version": 1}`, `{"schema_version": 2}`, `{"schema_version": 3}`,
		`{"schema_version": 4}`, `{"schema_version": 5}`, `{"schema_version": 6}`, `{"schema_version": 5, "results": [{"clock_offset": 1}]}`,
		`{"schema_version": 1e999999999}`, `{"schema_version": -1}`,
		`{"schema_version": 2, "results": [{"state": "open", "State": "closed"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		rep, err := ReadJSON(bytes.NewReader(doc))
		if err != nil {
			if rep != nil {
				t.Fatal("a report and an error")
			}
			return
		}
		var first bytes.Buffer
		if err := WriteJSON(&first, rep); err != nil {
			t.Fatalf("accepted report does not write: %v", err)
		}
		again, err := ReadJSON(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("our own output of an accepted report is refused: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := WriteJSON(&second, again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("write/read is not stable:\n%s\n---\n%s", first.Bytes(), second.Bytes())
		}
		for _, opt := range []TableOptions{{}, {Verbose: true, Color: true}, {OnlyFailing: true}} {
			if err := WriteTable(io.Discard, rep, opt); err != nil {
				t.Fatal(err)
			}
		}
		if err := WriteCSV(io.Discard, rep.Results); err != nil {
			t.Fatal(err)
		}
		// As a baseline: compared with itself nothing changed, and compared
		// with an empty run every host is gone.
		if d := results.Diff(rep, rep, testDriftRules); len(d.Changes) != 0 {
			t.Fatalf("a report differs from itself: %+v", d.Changes)
		}
		d := results.Diff(rep, &results.Report{}, testDriftRules)
		for _, c := range d.Changes {
			if c.Kind != results.DriftHostRemoved {
				t.Fatalf("against an empty run: %+v", c)
			}
		}
		rep.Drift = results.Diff(&results.Report{}, rep, testDriftRules)
		if err := WriteJUnit(io.Discard, rep); err != nil {
			t.Fatal(err)
		}
		if err := WritePrometheus(io.Discard, rep); err != nil {
			t.Fatal(err)
		}
	})
}
