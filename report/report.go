// Package report owns portreach's output formats: the table for people, JSON
// (the report, read back as a baseline), JSON Lines, CSV, JUnit XML, the
// Prometheus text format and the HTML go-live report. Each format is one file
// and one Writer; results (the vocabulary: states, reasons, checks, verdicts,
// drift) says what they all render.
//
// Every format's writer takes the results of a run as they come (Write) and
// ends with the run's summary (Close): a scan of every port streams through
// it without keeping its results, and a caller needs no special case for a
// format that renders the whole report at the end.
package report

import "github.com/portreach/portreach/results"

// A Writer writes one output format: each result as it comes, in any order,
// then the run's end. Formats that print results in results.Sort order sort
// what they keep; line formats (JSON Lines, CSV) write each result at once.
// Every writer in this package is safe for concurrent use of Write.
type Writer interface {
	// Write takes one result of the run.
	Write(r results.Result) error
	// Close ends the output with what rep says of the run: its times, command
	// line, whether it finished, and its drift. rep's Results are not read
	// (they were written); rep is never nil. Close flushes; it does not close
	// the underlying io.Writer.
	Close(rep *results.Report) error
}

// Every format is a Writer.
var (
	_ Writer = (*TableWriter)(nil)
	_ Writer = (*JSONWriter)(nil)
	_ Writer = (*JSONLWriter)(nil)
	_ Writer = (*CSVWriter)(nil)
	_ Writer = (*JUnitWriter)(nil)
	_ Writer = (*PrometheusWriter)(nil)
	_ Writer = (*HTMLWriter)(nil)
	_ Writer = (*RulesWriter)(nil)
)
