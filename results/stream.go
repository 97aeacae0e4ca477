package results

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// A streaming writer writes each result as it comes and keeps nothing per
// result, so a scan's memory does not grow with its ports: JSONLWriter,
// CSVWriter and JSONWriter. Results come out in the order they are written,
// not Sort order.

// CSVWriter streams CSV: the header row (CSVHeader), then one row per result as
// it comes, laid out as WriteCSV lays them out. Close flushes. A CSVWriter is
// safe for concurrent use.
type CSVWriter struct {
	mu      sync.Mutex
	cw      *csv.Writer
	started bool
}

// NewCSVWriter returns a CSV writer to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{cw: csv.NewWriter(w)} }

func (c *CSVWriter) header() error {
	if c.started {
		return nil
	}
	c.started = true
	return c.cw.Write(CSVHeader)
}

// Write writes r's row (after the header, the first time).
func (c *CSVWriter) Write(r Result) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.header(); err != nil {
		return err
	}
	return c.cw.Write(csvRow(&r))
}

// Close writes the header if no row came, and flushes.
func (c *CSVWriter) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.header(); err != nil {
		return err
	}
	c.cw.Flush()
	return c.cw.Error()
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
	start   Report // its start fields
	started bool
	n       int
	one     bytes.Buffer
	enc     *json.Encoder
	hosts   map[hostKey]*Host
	verdict Verdict
}

// NewJSONWriter returns a JSON report writer to w for a run that start
// describes: its SchemaVersion, Tool, Started and Command (nothing else of it is
// read).
func NewJSONWriter(w io.Writer, start *Report) *JSONWriter {
	j := &JSONWriter{bw: bufio.NewWriterSize(w, 64<<10), hosts: map[hostKey]*Host{}, verdict: VerdictNone}
	j.start = Report{Tool: start.Tool, Started: start.Started, Command: start.Command}
	j.enc = json.NewEncoder(&j.one)
	j.enc.SetIndent("    ", "  ")
	j.enc.SetEscapeHTML(false)
	return j
}

type jsonStart struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	Started       time.Time `json:"started"`
	Command       []string  `json:"command"`
}

type jsonEnd struct {
	Finished    time.Time `json:"finished"`
	Interrupted bool      `json:"interrupted"`
	Incomplete  bool      `json:"incomplete"`
	Verdict     Verdict   `json:"verdict"`
	Drift       *Drift    `json:"drift,omitempty"`
	Hosts       []Host    `json:"hosts"`
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
	return bytes.TrimSuffix(b, []byte("\n}")), nil
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
func (j *JSONWriter) Write(r Result) error {
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
	j.bw.Write(bytes.TrimSuffix(j.one.Bytes(), []byte("\n")))
	summarize(j.hosts, &r)
	switch Judge(&r).Status {
	case StatusFailed:
		j.verdict = VerdictFail
	case StatusMet:
		if j.verdict == VerdictNone {
			j.verdict = VerdictPass
		}
	}
	return nil
}

// Close ends the document with end's Finished, Interrupted, Incomplete and
// Drift, the verdict and the host summaries (in Sort order), and flushes.
func (j *JSONWriter) Close(end *Report) error {
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
