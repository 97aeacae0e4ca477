package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/portreach/portreach/results"
)

// TestJSONWriterReadsBack: a streamed report, its results in the order they
// came, reads back as the report WriteJSON writes, and carries the same verdict
// and host summaries.
func TestJSONWriterReadsBack(t *testing.T) {
	for _, rs := range [][]results.Result{fixtureResults(), nil} {
		rep := fixtureReport()
		rep.Results = rs
		var whole, streamed bytes.Buffer
		if err := WriteJSON(&whole, rep); err != nil {
			t.Fatal(err)
		}
		j := NewJSONWriter(&streamed, rep)
		for _, r := range slices.Backward(rs) {
			if err := j.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := j.Close(rep); err != nil {
			t.Fatal(err)
		}
		a, err := ReadJSON(bytes.NewReader(whole.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		b, err := ReadJSON(bytes.NewReader(streamed.Bytes()))
		if err != nil {
			t.Fatalf("streamed report does not read back: %v\n%s", err, streamed.Bytes())
		}
		results.Sort(b.Results)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("streamed report reads back as\n%+v\nwant\n%+v", b, a)
		}
		var wa, wb map[string]any
		if err := json.Unmarshal(whole.Bytes(), &wa); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(streamed.Bytes(), &wb); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"verdict", "hosts", "schema_version", "tool", "command", "started", "finished"} {
			if !reflect.DeepEqual(wa[k], wb[k]) {
				t.Errorf("%s: streamed %v, want %v", k, wb[k], wa[k])
			}
		}
	}
}

// TestCSVWriterRows: streamed CSV is WriteCSV's, row for row, in the order the
// results came.
func TestCSVWriterRows(t *testing.T) {
	rs := fixtureResults()
	results.Sort(rs)
	var whole, streamed bytes.Buffer
	if err := WriteCSV(&whole, rs); err != nil {
		t.Fatal(err)
	}
	c := NewCSVWriter(&streamed)
	for _, r := range rs {
		if err := c.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(&results.Report{}); err != nil {
		t.Fatal(err)
	}
	if whole.String() != streamed.String() {
		t.Errorf("streamed CSV:\n%s\nwant:\n%s", streamed.String(), whole.String())
	}
	var empty bytes.Buffer
	if err := NewCSVWriter(&empty).Close(&results.Report{}); err != nil || empty.Len() == 0 {
		t.Errorf("no results: %q, %v; want the header row", empty.String(), err)
	}
}
