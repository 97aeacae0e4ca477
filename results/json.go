package results

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/portreach/portreach/internal/jsonschema"
)

//go:embed schema/report-v3.schema.json
var schemaCurrent []byte

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

// compiledSchemaV2 checks version 2 documents.
var compiledSchemaV2 = sync.OnceValues(func() (*jsonschema.Schema, error) { return jsonschema.Compile(schemaV2) })

// oldestReadable is the oldest schema version ReadJSON reads.
const oldestReadable = 2

// reportJSON is the wire form of a Report: field order is the document's order.
type reportJSON struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	Command       []string  `json:"command"`
	Interrupted   bool      `json:"interrupted"`
	Incomplete    bool      `json:"incomplete"`
	Verdict       Verdict   `json:"verdict"`
	Drift         *Drift    `json:"drift,omitempty"`
	Hosts         []Host    `json:"hosts"`
	Results       []Result  `json:"results"`
}

// Hosts summarises the report's results per host (see Summarize).
func (rep *Report) Hosts() []Host { return Summarize(rep.Results) }

// WriteJSON writes rep as one indented JSON document (schema in JSONSchema) followed
// by a newline. Results are written in Sort order; rep is not modified. The
// document also carries the overall verdict and the per-host summary, derived from
// the results, for readers such as jq. An empty Tool.Name is written as "portreach".
func WriteJSON(w io.Writer, rep *Report) error {
	if v := rep.SchemaVersion; v != 0 && (v < oldestReadable || v > SchemaVersion) {
		return fmt.Errorf("results: cannot write schema version %d, only %d", rep.SchemaVersion, SchemaVersion)
	}
	rs := inOrder(rep.Results)
	hosts := Summarize(rs)
	if hosts == nil {
		hosts = []Host{}
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
		Verdict:       Overall(rs),
		Drift:         rep.Drift,
		Hosts:         hosts,
		Results:       rs,
	}
	// The document is encoded without its results, which are then written one
	// at a time: encoding the whole document at once would hold its every byte
	// (for a full port range, several times the results themselves).
	doc.Results = []Result{}
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	const empty = "[]\n}\n"
	b, ok := bytes.CutSuffix(head.Bytes(), []byte(empty))
	if !ok || len(rs) == 0 {
		_, err := w.Write(head.Bytes())
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
		bw.Write(bytes.TrimSuffix(one.Bytes(), []byte("\n")))
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
// SchemaVersion and version 2, whose results get their outcomes computed from
// expect and state), and the document must match that version's shipped schema
// exactly (unknown fields, wrong types, unknown states are errors
// naming the offending field, e.g. "results[3].state: …"). Hosts are not read back;
// Report.Hosts recomputes them from the results.
func ReadJSON(r io.Reader) (*Report, error) {
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
	return &Report{
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
