package report

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

// Every format says each check's outcome, and a producer's failure survives a
// JSON round trip.
func TestOutcomeInFormats(t *testing.T) {
	r := results.Result{Target: "sql01", Proto: results.TCP, Port: 1433, State: results.Open, Reason: "syn-ack", Check: &results.Check{Expect: results.ExpectOpen}}
	r.Fail("instance-not-listed")
	var b bytes.Buffer
	if err := NewJSONLWriter(&b).Write(r); err != nil {
		t.Fatal(err)
	}
	if want := `"outcome":{"status":"failed","why":"instance-not-listed"}`; !strings.Contains(b.String(), want) {
		t.Errorf("JSONL lacks %s: %s", want, b.String())
	}
	var back results.Result
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !results.Fails(&back) || results.Judge(&back).Why != "instance-not-listed" {
		t.Errorf("read back: %+v", back.Outcome)
	}
	b.Reset()
	if err := WriteCSV(&b, []results.Result{r}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(strings.TrimSpace(b.String()), ",false,,,failed,instance-not-listed,,,,,,,,") {
		t.Errorf("CSV row: %s", b.String())
	}
}

// A version 2 report (a baseline from before outcomes) reads, and its checks get
// the outcomes version 2 readers computed.
func TestReadJSONVersion2(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	doc["schema_version"] = 2
	withoutV4(doc)
	for _, h := range doc["hosts"].([]any) {
		delete(h.(map[string]any), "undetermined")
		delete(h.(map[string]any), "source_address")
	}
	for _, r := range doc["results"].([]any) {
		delete(r.(map[string]any), "outcome")
		delete(r.(map[string]any), "source_address")
		delete(r.(map[string]any), "trace")
	}
	v2, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ReadJSON(bytes.NewReader(v2))
	if err != nil {
		t.Fatalf("version 2 report refused: %v", err)
	}
	// Version 2 had no outcomes: a producer's failure (a missing SRV
	// record, a clock too far off) on an open port is not in it.
	byState := fixtureResults()
	for i := range byState {
		byState[i].Outcome = nil
	}
	if got, want := len(results.Failed(rep.Results)), len(results.Failed(byState)); got != want {
		t.Errorf("%d failed checks read from version 2, want %d", got, want)
	}
	var again bytes.Buffer
	if err := WriteJSON(&again, rep); err != nil {
		t.Fatalf("a version 2 report read back does not write: %v", err)
	}
	if !strings.Contains(again.String(), `"schema_version": 6`) {
		t.Error("rewritten report is not version 6")
	}
	// Version 3 fields in a version 2 document are an error, not a guess.
	doc["hosts"].([]any)[0].(map[string]any)["undetermined"] = 0
	v2, _ = json.Marshal(doc)
	if _, err := ReadJSON(bytes.NewReader(v2)); err == nil || !strings.Contains(err.Error(), "schema version 2: hosts[0].undetermined: unknown field") {
		t.Errorf("version 2 document with a version 3 field: %v", err)
	}
}

// JUnit: an undetermined check is skipped with why, a producer's failure is a
// failure naming its reason.
func TestJUnitOutcomes(t *testing.T) {
	reach := &results.Check{Expect: results.ExpectReachable}
	missing := results.Result{Target: "sql01", Proto: results.TCP, State: results.NotTested, Reason: results.ReasonInstanceNotListed, Under: "instance BTS", Check: &results.Check{Expect: results.ExpectOpen}}
	missing.Fail(results.ReasonInstanceNotListed)
	blocked := &results.Check{Expect: results.ExpectBlocked}
	rep := &results.Report{Results: []results.Result{
		{Target: "sql01", Proto: results.UDP, Port: 1434, State: results.OpenFiltered, Reason: results.ReasonNoResponse, Check: reach},
		missing,
		{Target: "dc01", Proto: results.TCP, Port: 445, State: results.Closed, Reason: results.ReasonConnRefused, Check: blocked},
		{Target: "dc01", Proto: results.UDP, Port: 389, State: results.OpenFiltered, Reason: results.ReasonNoResponse, Check: blocked},
	}}
	var b bytes.Buffer
	if err := WriteJUnit(&b, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`type="undetermined"`, "a silent UDP port cannot tell a firewall from a service not installed yet",
		`(instance-not-listed): must be open`,
		`445/tcp is closed (conn-refused): must be blocked: passed-firewall`,
		"a silent UDP port cannot tell a firewall that drops from a service that ignores the probe",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JUnit lacks %q:\n%s", want, b.String())
		}
	}
}

// A version 4 report (a baseline from before policies) and a version 5 one
// (before the DC locator) read as they are; a version 6 one keeps each result's source, rule and "blocked" through a
// round trip, and its hosts are one per (source, rule, destination).
func TestReadJSONVersion4And5(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	doc["schema_version"] = 4
	withoutLocator(doc)
	v4, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadJSON(bytes.NewReader(v4)); err != nil {
		t.Fatalf("version 4 report refused: %v", err)
	}
	doc["schema_version"] = 5
	v5, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadJSON(bytes.NewReader(v5)); err != nil {
		t.Fatalf("version 5 report refused: %v", err)
	}
	blocked := &results.Check{Expect: results.ExpectBlocked}
	dmz := &results.Vantage{Name: "dmz", Address: netip.MustParseAddr("198.18.5.2")}
	lan := &results.Vantage{Name: "lan", Address: netip.MustParseAddr("198.18.6.2")}
	dc := netip.MustParseAddr("198.18.7.2")
	rep := &results.Report{Results: []results.Result{
		{Target: "dc01", Addr: dc, Proto: results.TCP, Port: 445, State: results.Closed, Reason: results.ReasonConnRefused, Check: blocked, Vantage: dmz, Rule: "rule 2"},
		{Target: "dc01", Addr: dc, Proto: results.TCP, Port: 445, State: results.Open, Reason: results.ReasonSynAck, Check: &results.Check{Expect: results.ExpectOpen}, Vantage: lan, Rule: "rule 1"},
	}}
	b.Reset()
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&b)
	if err != nil {
		t.Fatalf("version 6 report refused: %v\n%s", err, b.String())
	}
	for i, r := range back.Results {
		if r.Vantage == nil || r.Rule == "" {
			t.Fatalf("result %d lost its source or rule: %+v", i, r)
		}
	}
	if back.Results[0].Vantage.Name != "dmz" || *back.Results[0].Vantage != *dmz || results.Judge(&back.Results[0]).Why != results.ReasonPassedFirewall {
		t.Errorf("read back %+v %+v", back.Results[0], back.Results[0].Vantage)
	}
	hosts := back.Hosts()
	if len(hosts) != 2 || hosts[0].Vantage.Name != "dmz" || hosts[0].Verdict != results.VerdictFail || hosts[1].Vantage.Name != "lan" || hosts[1].Verdict != results.VerdictPass {
		t.Errorf("hosts %+v", hosts)
	}
}

// withoutV4 removes from a JSON report what versions 4 and 6 added that the
// fixture has: traces and the DC locator's fields (withoutLocator).
func withoutV4(doc map[string]any) {
	for _, r := range doc["results"].([]any) {
		delete(r.(map[string]any), "trace")
	}
	withoutLocator(doc)
}

// withoutLocator removes the DC locator's version 6 fields from a JSON report:
// records (results and hosts), clock_offset, and a check's require.
func withoutLocator(doc map[string]any) {
	for _, h := range doc["hosts"].([]any) {
		delete(h.(map[string]any), "records")
	}
	for _, r := range doc["results"].([]any) {
		m := r.(map[string]any)
		delete(m, "records")
		delete(m, "clock_offset")
		if c, ok := m["check"].(map[string]any); ok {
			delete(c, "require")
		}
	}
}
