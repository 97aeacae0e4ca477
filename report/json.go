package report

import (
	"bufio"
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	"github.com/portreach/portreach/internal/jsonschema"
	"github.com/portreach/portreach/results"
)

//go:embed schema/report-v6.schema.json
var schemaCurrent []byte

// schemaV5 is version 5's schema: version 5 reports (baselines written before
// the DC locator) are still read as they are.
//
//go:embed schema/report-v5.schema.json
var schemaV5 []byte

// schemaV4 is version 4's schema: version 4 reports (baselines written before
// policy runs and --expect blocked) are still read as they are.
//
//go:embed schema/report-v4.schema.json
var schemaV4 []byte

// schemaV3 is version 3's schema: version 3 reports (baselines written before
// traces) are still read as they are.
//
//go:embed schema/report-v3.schema.json
var schemaV3 []byte

// schemaV2 is the previous version's schema: version 2 reports (baselines
// written before checks carried their outcome) are still read, each outcome
// then computed from expect and state as version 2 readers did.
//
//go:embed schema/report-v2.schema.json
var schemaV2 []byte

// JSONSchema returns the JSON Schema (draft 2020-12) of the report WriteJSON writes,
// for users who validate reports in their own pipelines. Its "$defs/result" also
// describes one line of JSONL output.
func JSONSchema() []byte { return bytes.Clone(schemaCurrent) }

// compiledSchema is the shipped schema of SchemaVersion, compiled once; ReadJSON
// checks every document of that version against it before decoding.
var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) { return jsonschema.Compile(schemaCurrent) })

// compiledSchemaV5 checks version 5 documents.
var compiledSchemaV5 = sync.OnceValues(func() (*jsonschema.Schema, error) { return jsonschema.Compile(schemaV5) })

// compiledSchemaV4 checks version 4 documents.
var compiledSchemaV4 = sync.OnceValues(func() (*jsonschema.Schema, error) { return jsonschema.Compile(schemaV4) })

// compiledSchemaV3 checks version 3 documents.
var compiledSchemaV3 = sync.OnceValues(func() (*jsonschema.Schema, error) { return jsonschema.Compile(schemaV3) })

// compiledSchemaV2 checks version 2 documents.
var compiledSchemaV2 = sync.OnceValues(func() (*jsonschema.Schema, error) { return jsonschema.Compile(schemaV2) })

// SchemaVersion is the version of the JSON report format this package writes.
// It changes whenever a field is added, removed or changes meaning, together with
// a new schema file under schema/. ReadJSON reads this version and versions 5,
// 4, 3 and 2.
//
// Version 2 added the optional "drift" section (a comparison with a baseline).
// Version 3 added each check's outcome (results.Result.Outcome), results.Host.Undetermined and
// the expectation "reachable", and "source_address" to results and
// hosts: the local address a host was scanned from. Version 4 added
// results[].trace (results.Trace, --trace). Version 5 added the expectation
// "blocked", and "source" (results.Vantage) and "rule" to results, hosts and
// changes (a policy run: which source checked a destination, by which rule).
// Version 6 added the DC locator's "records" (results.Result.Records) and the
// servers' "clock_offset" (results.Result.ClockOffset) to results, and
// "require" (results.Check.Require) to checks.
const SchemaVersion = 6

// oldestReadable is the oldest schema version ReadJSON reads.
const oldestReadable = 2

// reportJSON is the wire form of a Report: field order is the document's order.
type reportJSON struct {
	SchemaVersion int              `json:"schema_version"`
	Tool          results.Tool     `json:"tool"`
	Started       time.Time        `json:"started"`
	Finished      time.Time        `json:"finished"`
	Command       []string         `json:"command"`
	Interrupted   bool             `json:"interrupted"`
	Incomplete    bool             `json:"incomplete"`
	Verdict       results.Verdict  `json:"verdict"`
	Drift         *results.Drift   `json:"drift,omitempty"`
	Hosts         []results.Host   `json:"hosts"`
	Results       []results.Result `json:"results"`
}

// WriteJSON writes rep as one indented JSON document (schema in JSONSchema) followed
// by a newline. Results are written in results.Sort order; rep is not modified. The
// document also carries the overall verdict and the per-host summary, derived from
// the results, for readers such as jq. An empty Tool.Name is written as "portreach".
func WriteJSON(w io.Writer, rep *results.Report) error {
	if v := rep.SchemaVersion; v != 0 && (v < oldestReadable || v > SchemaVersion) {
		return fmt.Errorf("results: cannot write schema version %d, only %d", rep.SchemaVersion, SchemaVersion)
	}
	rs := results.Sorted(rep.Results)
	hosts := results.Summarize(rs)
	if hosts == nil {
		hosts = []results.Host{}
	}
	tool := rep.Tool
	if tool.Name == "" {
		tool.Name = "portreach"
	}
	doc := reportJSON{
		SchemaVersion: SchemaVersion,
		Tool:          tool,
		Started:       rep.Started.UTC(),
		Finished:      rep.Finished.UTC(),
		Command:       append([]string{}, rep.Command...),
		Interrupted:   rep.Interrupted,
		Incomplete:    rep.Incomplete,
		Verdict:       results.Overall(rs),
		Drift:         rep.Drift,
		Hosts:         hosts,
		Results:       rs,
	}
	// The document is encoded without its results, which are then written one
	// at a time: encoding the whole document at once would hold its every byte
	// (for a full port range, several times the results themselves).
	doc.Results = []results.Result{}
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	const empty = "[]\n}\n"
	headBytes := escapeJSONControls(head.Bytes())
	b, ok := bytes.CutSuffix(headBytes, []byte(empty))
	if !ok || len(rs) == 0 {
		_, err := w.Write(headBytes)
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(b)
	bw.WriteString("[\n")
	var one bytes.Buffer
	enc = json.NewEncoder(&one)
	enc.SetIndent("    ", "  ")
	enc.SetEscapeHTML(false)
	for i := range rs {
		one.Reset()
		if err := enc.Encode(&rs[i]); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString(",\n")
		}
		bw.WriteString("    ")
		bw.Write(escapeJSONControls(bytes.TrimSuffix(one.Bytes(), []byte("\n"))))
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

// VersionError is returned by ReadJSON for a report whose schema_version this
// package does not read.
type VersionError struct {
	Got int // the document's schema_version
}

// Error says which version the document has and what to do about it.
func (e *VersionError) Error() string {
	if e.Got > SchemaVersion {
		return fmt.Sprintf("report has schema_version %d, newer than this portreach reads (%d): upgrade portreach to read it", e.Got, SchemaVersion)
	}
	if e.Got >= 1 && e.Got < oldestReadable {
		return fmt.Sprintf("report has schema_version %d, older than this portreach reads (%d to %d): write it anew with this version (portreach scan … -f json, without --baseline)", e.Got, oldestReadable, SchemaVersion)
	}
	return fmt.Sprintf("report has schema_version %d, which this portreach does not read (it reads %d)", e.Got, SchemaVersion)
}

// ReadJSON reads a report written by WriteJSON, typically a baseline a user hands
// in. It never guesses: a document of a schema version it does not read is
// refused with a *VersionError before anything else is read (it reads
// SchemaVersion, versions 5, 4 and 3, and version 2, whose results get their outcomes computed from
// expect and state), and the document must match that version's shipped schema
// exactly (unknown fields, wrong types, unknown states are errors
// naming the offending field, e.g. "results[3].state: …"). Hosts are not read back;
// Report.Hosts recomputes them from the results.
func ReadJSON(r io.Reader) (*results.Report, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	v, err := jsonschema.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("not a JSON document: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a portreach JSON report: the document is %s, not an object", jsonschema.TypeName(v))
	}
	sv, ok := obj["schema_version"]
	if !ok {
		return nil, fmt.Errorf("not a portreach JSON report: it has no schema_version")
	}
	num, ok := sv.(json.Number)
	if !ok {
		return nil, fmt.Errorf("not a portreach JSON report: schema_version is %s, not a number", jsonschema.TypeName(sv))
	}
	ver, err := num.Int64()
	if err != nil || ver < -1<<31 || ver > 1<<31-1 {
		return nil, fmt.Errorf("not a portreach JSON report: schema_version %s is not an integer", jsonschema.Show(num))
	}
	var schema *jsonschema.Schema
	switch ver {
	case SchemaVersion:
		schema, err = compiledSchema()
	case 5:
		// Version 6 only added fields.
		schema, err = compiledSchemaV5()
	case 4:
		// Version 5 only added fields and an expectation.
		schema, err = compiledSchemaV4()
	case 3:
		// Version 4 only added a field.
		schema, err = compiledSchemaV3()
	case 2:
		// Version 3 only added fields, so the version 3 structs read a version 2
		// document; its outcomes are computed as version 2 readers did.
		schema, err = compiledSchemaV2()
	default:
		return nil, &VersionError{Got: int(ver)}
	}
	if err != nil {
		return nil, fmt.Errorf("results: built-in schema: %w", err)
	}
	if err := schema.Validate(v); err != nil {
		return nil, fmt.Errorf("report does not match schema version %d: %w", ver, err)
	}
	var doc reportJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("report does not match schema version %d: %w", ver, err)
	}
	shareTraces(doc.Results)
	return &results.Report{
		SchemaVersion: doc.SchemaVersion,
		Tool:          doc.Tool,
		Started:       doc.Started,
		Finished:      doc.Finished,
		Command:       doc.Command,
		Interrupted:   doc.Interrupted,
		Incomplete:    doc.Incomplete,
		Results:       doc.Results,
		Drift:         doc.Drift,
	}, nil
}

// shareTraces gives the ports of a traced range, which JSON writes without
// hops, the trace of the port traced (their Via), as the scan shared it.
func shareTraces(rs []results.Result) {
	type key struct {
		target string
		addr   netip.Addr
		via    string
	}
	traced := map[key]*results.Trace{}
	for i := range rs {
		if t := rs[i].Trace; t != nil && t.Via != "" && t.Via == results.PortName(rs[i].Proto, rs[i].Port) {
			traced[key{rs[i].Target, rs[i].Addr, t.Via}] = t
		}
	}
	for i := range rs {
		t := rs[i].Trace
		if t == nil || t.Via == "" || t.Hops != nil {
			continue
		}
		if full := traced[key{rs[i].Target, rs[i].Addr, t.Via}]; full != nil && full.End == t.End && full.Hop == t.Hop {
			rs[i].Trace = full
		}
	}
}

// JSONWriter streams the JSON report (the document WriteJSON writes, with its
// keys in another order): the run's start (schema_version, tool, started,
// command) at the first result, each result as it comes, and at Close the run's
// end (finished, interrupted, incomplete), its verdict, drift and per-host
// summaries. It keeps one summary per host, not the results. ReadJSON reads
// what it writes. A JSONWriter is safe for concurrent use.
type JSONWriter struct {
	mu      sync.Mutex
	bw      *bufio.Writer
	start   results.Report // its start fields
	started bool
	n       int
	one     bytes.Buffer
	enc     *json.Encoder
	hosts   map[hostKey]*results.Host
	verdict results.Verdict
}

// NewJSONWriter returns a JSON report writer to w for a run that start
// describes: its SchemaVersion, Tool, Started and Command (nothing else of it is
// read).
func NewJSONWriter(w io.Writer, start *results.Report) *JSONWriter {
	j := &JSONWriter{bw: bufio.NewWriterSize(w, 64<<10), hosts: map[hostKey]*results.Host{}, verdict: results.VerdictNone}
	j.start = results.Report{Tool: start.Tool, Started: start.Started, Command: start.Command}
	j.enc = json.NewEncoder(&j.one)
	j.enc.SetIndent("    ", "  ")
	j.enc.SetEscapeHTML(false)
	return j
}

type jsonStart struct {
	SchemaVersion int          `json:"schema_version"`
	Tool          results.Tool `json:"tool"`
	Started       time.Time    `json:"started"`
	Command       []string     `json:"command"`
}

type jsonEnd struct {
	Finished    time.Time       `json:"finished"`
	Interrupted bool            `json:"interrupted"`
	Incomplete  bool            `json:"incomplete"`
	Verdict     results.Verdict `json:"verdict"`
	Drift       *results.Drift  `json:"drift,omitempty"`
	Hosts       []results.Host  `json:"hosts"`
}

// indented encodes v as the top-level document would, without its braces.
func indented(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	b = bytes.TrimPrefix(b, []byte("{\n"))
	return escapeJSONControls(bytes.TrimSuffix(b, []byte("\n}"))), nil
}

func (j *JSONWriter) begin() error {
	if j.started {
		return nil
	}
	j.started = true
	tool := j.start.Tool
	tool.Name = cmp.Or(tool.Name, "portreach")
	b, err := indented(jsonStart{SchemaVersion, tool, j.start.Started.UTC(), append([]string{}, j.start.Command...)})
	if err != nil {
		return err
	}
	j.bw.WriteString("{\n")
	j.bw.Write(b)
	j.bw.WriteString(",\n  \"results\": [")
	return nil
}

// Write writes r into the results array and counts it in its host's summary.
func (j *JSONWriter) Write(r results.Result) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.begin(); err != nil {
		return err
	}
	j.one.Reset()
	if err := j.enc.Encode(&r); err != nil {
		return err
	}
	if j.n > 0 {
		j.bw.WriteString(",")
	}
	j.n++
	j.bw.WriteString("\n    ")
	j.bw.Write(escapeJSONControls(bytes.TrimSuffix(j.one.Bytes(), []byte("\n"))))
	summarize(j.hosts, &r)
	switch results.Judge(&r).Status {
	case results.StatusFailed:
		j.verdict = results.VerdictFail
	case results.StatusMet:
		if j.verdict == results.VerdictNone {
			j.verdict = results.VerdictPass
		}
	}
	return nil
}

// Close ends the document with end's Finished, Interrupted, Incomplete and
// Drift, the verdict and the host summaries (in results.Sort order), and flushes.
func (j *JSONWriter) Close(end *results.Report) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.begin(); err != nil {
		return err
	}
	if j.n > 0 {
		j.bw.WriteString("\n  ")
	}
	j.bw.WriteString("],\n")
	hosts := sortedHosts(j.hosts)
	b, err := indented(jsonEnd{end.Finished.UTC(), end.Interrupted, end.Incomplete, j.verdict, end.Drift, hosts})
	if err != nil {
		return err
	}
	j.bw.Write(b)
	j.bw.WriteString("\n}\n")
	return j.bw.Flush()
}
