package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

func TestJSONRoundTrip(t *testing.T) {
	rep := fixtureReport()
	var first bytes.Buffer
	if err := WriteJSON(&first, rep); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if err := WriteJSON(&second, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(second.Bytes(), first.Bytes()) {
		t.Errorf("writing what was read gives a different document:\n%s", second.Bytes())
	}
	want := *rep
	want.SchemaVersion = SchemaVersion
	want.Results = append([]results.Result(nil), rep.Results...)
	results.Sort(want.Results)
	if !reflect.DeepEqual(got.Results, want.Results) {
		for i := range want.Results {
			if i >= len(got.Results) || !reflect.DeepEqual(got.Results[i], want.Results[i]) {
				t.Fatalf("result %d:\n got %#v\nwant %#v", i, got.Results[i], want.Results[i])
			}
		}
		t.Fatalf("got %d results, want %d", len(got.Results), len(want.Results))
	}
	got.Results, want.Results = nil, nil
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("report:\n got %#v\nwant %#v", *got, want)
	}
}

func TestWriteJSONEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, &results.Report{Tool: results.Tool{Name: "portreach"}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"command": []`, `"hosts": []`, `"results": []`, `"verdict": "none"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("empty report lacks %s:\n%s", want, b.String())
		}
	}
	if _, err := ReadJSON(&b); err != nil {
		t.Errorf("empty report does not read back: %v", err)
	}
}

func TestWriteJSONDoesNotModifyReport(t *testing.T) {
	rep := fixtureReport()
	before := append([]results.Result(nil), rep.Results...)
	if err := WriteJSON(&bytes.Buffer{}, rep); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Results, before) {
		t.Error("WriteJSON reordered the caller's results")
	}
}

// goldenDoc returns the golden JSON with one substitution applied, for tests of
// documents that are almost right.
func goldenDoc(t *testing.T, old, new string) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if !strings.Contains(s, old) {
		t.Fatalf("golden document lacks %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

func TestReadJSONRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"garbage", "portreach was here", "not a JSON document: invalid character 'p'"},
		{"empty", "", "not a JSON document: EOF"},
		{"array", "[1,2]", "not a portreach JSON report: the document is an array, not an object"},
		{"no version", `{"results": []}`, "not a portreach JSON report: it has no schema_version"},
		{"string version", `{"schema_version": "1"}`, "schema_version is a string, not a number"},
		{"fractional version", `{"schema_version": 1.5}`, "schema_version 1.5 is not an integer"},
		{"future version", `{"schema_version": 99, "anything": "goes"}`,
			"report has schema_version 99, newer than this portreach reads (6): upgrade portreach to read it"},
		{"version zero", `{"schema_version": 0}`, "report has schema_version 0, which this portreach does not read (it reads 6)"},
		{"future version in full doc", goldenDoc(t, `"schema_version": 6`, `"schema_version": 99`), "schema_version 99, newer"},
		{"trailing data", goldenDoc(t, "\n", "\n") + "{}", "not a JSON document: data after the end of the JSON document"},
		{"unknown state", goldenDoc(t, `"state": "open"`, `"state": "opne"`),
			`report does not match schema version 6: results[1].state: "opne" is not one of "unknown", "open"`},
		{"unknown field", goldenDoc(t, `"interrupted": true`, `"interrupted": true, "intrerupted": false`),
			"report does not match schema version 6: intrerupted: unknown field"},
		{"missing field", goldenDoc(t, `"reason": "no-such-host",`, ""),
			`report does not match schema version 6: results[0]: required field "reason" is missing`},
		{"port out of range", goldenDoc(t, `"port": 25,`, `"port": 70000,`), "results[1].port: 70000 is more than 65535"},
		{"port not integer", goldenDoc(t, `"port": 25,`, `"port": 25.5,`), "results[1].port: a number where integer is expected"},
		{"local time", goldenDoc(t, `"started": "2026-11-23T17:00:00Z"`, `"started": "2026-11-23T18:00:00+01:00"`),
			`started: "2026-11-23T18:00:00+01:00" does not match Z$`},
		{"bad time", goldenDoc(t, `"started": "2026-11-23T17:00:00Z"`, `"started": "yesterday Z"`), `started: "yesterday Z" is not an RFC 3339 date-time`},
		{"bad address", goldenDoc(t, `"address": "198.18.1.2"`, `"address": "198.18.1.2.3"`), "ParseAddr"},
		{"unknown expectation", goldenDoc(t, `"expect": "closed"`, `"expect": "shut"`), `"shut" is not one of "open", "optional", "closed", "reachable", "blocked"`},
		{"huge exponent", goldenDoc(t, `"attempts": 2,`, `"attempts": 1e999999999,`), "results[5].attempts: a number where integer is expected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := ReadJSON(strings.NewReader(tc.doc))
			if err == nil {
				t.Fatalf("accepted: %+v", rep)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestReadJSONVersionError(t *testing.T) {
	_, err := ReadJSON(strings.NewReader(`{"schema_version": 7}`))
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Got != 7 {
		t.Fatalf("error %v is not a VersionError for version 7", err)
	}
}

// A version 5 report with a DC locator field (version 6's) is an error, not a
// guess; the same document as version 6 is read.
func TestReadJSONLocatorFieldsAreVersion6(t *testing.T) {
	doc := withoutTraces(t, goldenDoc(t, `"schema_version": 6`, `"schema_version": 5`))
	withClock := strings.Replace(doc, `"attempts":2,`, `"attempts":2,"clock_offset":0.5,`, 1)
	if withClock == doc {
		t.Fatal("no result with attempts in the golden report")
	}
	if _, err := ReadJSON(strings.NewReader(withClock)); err == nil || !strings.Contains(err.Error(), "schema version 5: results[") || !strings.Contains(err.Error(), "clock_offset: unknown field") {
		t.Errorf("version 5 document with a version 6 field: %v", err)
	}
	if _, err := ReadJSON(strings.NewReader(strings.Replace(withClock, `"schema_version":5`, `"schema_version":6`, 1))); err != nil {
		t.Errorf("version 6 document with clock_offset: %v", err)
	}
}

// A version 1 report (before drift existed) is refused with advice, never read
// as if it were a later version: the schema version says how to read a document.
func TestReadJSONRefusesVersion1(t *testing.T) {
	doc := goldenDoc(t, `"schema_version": 6`, `"schema_version": 1`)
	_, err := ReadJSON(strings.NewReader(doc))
	want := "report has schema_version 1, older than this portreach reads (2 to 6): write it anew with this version"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// A version 3 report (a baseline written before traces) is read as it is; a
// trace in it is an error, not a guess.
func TestReadJSONVersion3(t *testing.T) {
	v3 := goldenDoc(t, `"schema_version": 6`, `"schema_version": 3`)
	v3 = withoutTraces(t, v3)
	rep, err := ReadJSON(strings.NewReader(v3))
	if err != nil {
		t.Fatalf("version 3 report refused: %v", err)
	}
	if rep.SchemaVersion != 3 || len(rep.Results) == 0 {
		t.Errorf("read %d results of version %d", len(rep.Results), rep.SchemaVersion)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(goldenDoc(t, `"schema_version": 6`, `"schema_version": 3`)), &m); err != nil {
		t.Fatal(err)
	}
	withoutLocator(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	withTrace := string(b)
	if _, err := ReadJSON(strings.NewReader(withTrace)); err == nil || !strings.Contains(err.Error(), "schema version 3: results[") || !strings.Contains(err.Error(), "trace: unknown field") {
		t.Errorf("version 3 document with a trace: %v", err)
	}
}

// withoutTraces removes from a JSON report each result's trace (version 4's)
// and the DC locator's fields (version 6's): records, clock_offset, and each
// check's require.
func withoutTraces(t *testing.T, doc string) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	withoutV4(v)
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
