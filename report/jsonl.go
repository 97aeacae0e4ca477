package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/portreach/portreach/internal/jsonschema"
	"github.com/portreach/portreach/results"
)

// JSONLWriter streams results as JSON Lines: one Result object per line
// (schema: "$defs/result" in JSONSchema), written as each port finishes, so that a
// huge scan never holds its results in memory and a pipe consumer (jq, a log
// shipper) sees every verdict at once. There is no header line; each line stands
// alone. A JSONLWriter is safe for concurrent use.
type JSONLWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf bytes.Buffer
}

// NewJSONLWriter returns a writer of JSON Lines to w.
func NewJSONLWriter(w io.Writer) *JSONLWriter { return &JSONLWriter{w: w} }

// flusher is implemented by buffered writers (bufio.Writer, compress writers).
type flusher interface{ Flush() error }

// Write writes r as one line with a single Write call on the underlying writer,
// then flushes that writer if it buffers (has a Flush() error method), so a line
// is never held back or split between results.
func (j *JSONLWriter) Write(r results.Result) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil { // Encode ends the line with '\n'
		return err
	}
	if _, err := j.w.Write(escapeJSONControls(j.buf.Bytes())); err != nil {
		return err
	}
	if f, ok := j.w.(flusher); ok {
		return f.Flush()
	}
	return nil
}

// Close writes nothing: JSON Lines has no summary, each line stands alone.
func (j *JSONLWriter) Close(*results.Report) error { return nil }

// ReadJSONLine reads one line of JSON Lines output (JSONLWriter's, or a
// portreach exporter's JSON answer) as strictly as ReadJSON reads a report:
// the line must match the shipped schema's "$defs/result" (no unknown field,
// known states, ports in range) before it is decoded. It is for lines from
// elsewhere, a remote source of a policy run among them, which is never
// trusted: every error names what is wrong.
func ReadJSONLine(line []byte) (results.Result, error) {
	v, err := jsonschema.Decode(line)
	if err != nil {
		return results.Result{}, fmt.Errorf("not a JSON object: %w", err)
	}
	schema, err := compiledSchema()
	if err != nil {
		return results.Result{}, fmt.Errorf("results: built-in schema: %w", err)
	}
	if err := schema.Def("result").Validate(v); err != nil {
		return results.Result{}, fmt.Errorf("not a portreach result: %w", err)
	}
	var r results.Result
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return results.Result{}, fmt.Errorf("not a portreach result: %w", err)
	}
	return r, nil
}
