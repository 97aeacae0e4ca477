package report

import (
	"io"
	"strings"
	"sync"

	"github.com/portreach/portreach/results"
)

// Format is one output format as the CLI offers it (-f NAME, -o NAME:FILE).
type Format struct {
	Name string // as -f spells it
	// Description says what the format is for, in at most 66 characters (a
	// line of --help after the name).
	Description string
	// New returns the format's writer to w.
	New func(w io.Writer, opt Options) Writer
}

// Options are what a format's writer may need beyond where it writes; each
// format reads only its own. The zero value is plain output of a whole report.
type Options struct {
	// Start is the run as it starts (Tool, Started, Command): a scan that
	// streams its outputs has it before the first result. The JSON format
	// then streams its document (the run's start, each result as it comes,
	// the summary at Close); without it, it keeps the results and writes the
	// document WriteJSON writes at Close.
	Start *results.Report
	// Table is the table's options.
	Table TableOptions
	// HTML is the HTML report's options.
	HTML HTMLOptions
}

// formats is the explicit list of output formats (no init() registration), in
// the order --help lists them. A new format is its file (a Writer) and one line
// here; TestFormats checks every entry.
var formats = []Format{
	{"table", "for people: a block per host with its verdict", newTable},                // table.go
	{"json", "one document with verdicts and summaries; --baseline reads it", newJSON},  // json.go
	{"jsonl", "one result per line, written as each port finishes", newJSONL},           // jsonl.go
	{"csv", "one row per port, for spreadsheets", newCSV},                               // csv.go
	{"junit", "JUnit XML for CI servers: a test case per check", newJUnit},              // junit.go
	{"prometheus", "text format for node_exporter's textfile collector", newPrometheus}, // prometheus.go
	{"html", "a self-contained go-live report for a change ticket", newHTML},            // html.go
	{"rules", "the firewall request: allow/deny lines for the failed checks", newRules}, // rules.go
}

// Formats returns every output format, in the order --help lists them.
func Formats() []Format { return append([]Format(nil), formats...) }

// Names returns the formats' names, in the order of Formats.
func Names() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.Name
	}
	return names
}

// NameList is Names for a sentence: "table, json, … or html".
func NameList() string {
	names := Names()
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Lookup returns the format named name.
func Lookup(name string) (Format, bool) {
	for _, f := range formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// Render writes rep whole in format f: its results in results.Sort order, then
// its end.
func Render(w io.Writer, f Format, rep *results.Report, opt Options) error {
	fw := f.New(w, opt)
	for _, r := range results.Sorted(rep.Results) {
		if err := fw.Write(r); err != nil {
			return err
		}
	}
	return fw.Close(rep)
}

func newTable(w io.Writer, opt Options) Writer { return NewTableWriter(w, opt.Table) }

func newJSON(w io.Writer, opt Options) Writer {
	if opt.Start == nil {
		return &jsonDocument{w: w}
	}
	return NewJSONWriter(w, opt.Start)
}

func newJSONL(w io.Writer, _ Options) Writer      { return NewJSONLWriter(w) }
func newCSV(w io.Writer, _ Options) Writer        { return NewCSVWriter(w) }
func newJUnit(w io.Writer, _ Options) Writer      { return NewJUnitWriter(w) }
func newPrometheus(w io.Writer, _ Options) Writer { return NewPrometheusWriter(w) }
func newHTML(w io.Writer, opt Options) Writer     { return NewHTMLWriter(w, opt.HTML) }
func newRules(w io.Writer, _ Options) Writer      { return NewRulesWriter(w) }

// jsonDocument is the JSON format without a run start to stream from: it
// keeps the results and writes WriteJSON's document at Close.
type jsonDocument struct {
	mu sync.Mutex
	w  io.Writer
	rs []results.Result
}

func (d *jsonDocument) Write(r results.Result) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rs = append(d.rs, r)
	return nil
}

func (d *jsonDocument) Close(rep *results.Report) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	whole := *rep
	whole.Results = d.rs
	return WriteJSON(d.w, &whole)
}
