package report

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

// A report carrying drift writes, validates and reads back to the same bytes,
// and the table shows the changes.
func TestDriftJSONAndTable(t *testing.T) {
	base := fixtureReport()
	cur := fixtureReport()
	cur.Interrupted = false
	for i := range cur.Results {
		r := &cur.Results[i]
		switch {
		case r.Port == 443 && r.Proto == results.TCP:
			r.State, r.Reason = results.Open, "syn-ack"
		case r.Port == 25 && r.Proto == results.TCP:
			r.State, r.Reason = results.Filtered, "no-response"
		case r.Port == 49733:
			r.Port = 49800
		case r.Probe == "ntp":
			r.Details = map[string]any{"stratum": float64(16)}
		}
	}
	cur.Drift = results.Diff(base, cur, testDriftRules)
	cur.Drift.Baseline.File = "last.json"
	var b bytes.Buffer
	if err := WriteJSON(&b, cur); err != nil {
		t.Fatal(err)
	}
	if err := validateDoc(t, compiled(t), b.Bytes()); err != nil {
		t.Fatalf("drift does not match the schema: %v", err)
	}
	read, err := ReadJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WriteJSON(&again, read); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), b.Bytes()) {
		t.Errorf("drift does not survive a JSON round trip:\n%s", again.Bytes())
	}
	golden(t, "report-drift.json.golden", b.Bytes())
	var tb bytes.Buffer
	if err := WriteTable(&tb, cur, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "table-drift.golden", tb.Bytes())
	var hb bytes.Buffer
	if err := WriteHTML(&hb, cur, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "report-drift.html.golden", hb.Bytes())
	if !bytes.Contains(hb.Bytes(), []byte(`<td class="n">25/tcp</td><td>open → filtered</td><td><span class="bad">REGRESSION</span></td>`)) {
		t.Error("the HTML report does not show the regression")
	}
	for _, want := range []string{
		"4 changes since the baseline of 2026-11-23T17:00:05Z:",
		"25/tcp                         open → filtered       REGRESSION: must be open",
		"49800/tcp instance SQLEXPRESS  moved from 49733/tcp",
		"ntp stratum: 2 → 16",
	} {
		if !strings.Contains(tb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tb.String())
		}
	}

	cur.Drift = results.Diff(cur, cur, testDriftRules)
	tb.Reset()
	if err := WriteTable(&tb, cur, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tb.String(), "No changes since the baseline of 2026-11-23T17:00:05Z.") {
		t.Errorf("table does not say nothing changed:\n%s", tb.String())
	}
}

// The schema lists exactly the drift kinds the Go type has, in order.
func TestSchemaDriftKinds(t *testing.T) {
	var got []string
	for _, v := range compiled(t).Def("change").Property("kind").Enum() {
		got = append(got, v.(string))
	}
	var want []string
	for _, k := range results.DriftKinds {
		want = append(want, string(k))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("schema kinds %q, Go kinds %q", got, want)
	}
}
