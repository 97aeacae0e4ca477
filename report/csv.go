package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portreach/portreach/results"
)

// CSVHeader is the fixed header row of CSV output. Columns are only ever added at
// the end, so scripts that index columns keep working.
var CSVHeader = []string{
	"target", "address", "proto", "port", "state", "reason", "rtt_ms", "attempts",
	"probe", "detail", "under", "profiles", "service", "expect", "met", "source", "time",
	"outcome", "why",
	"source_address",
	"trace", "trace_hop", "trace_hops",
	"source_name", "rule",
	"records", "clock_offset",
}

// WriteCSV writes a header row and one row per result, in results.Sort order (rs is not
// modified), quoted per RFC 4180 by encoding/csv. Cells that have no value are
// empty rather than zero: port for IP protocols and failed targets, rtt_ms when
// nothing answered, time when the port never finished, and the check columns
// (profiles, service, expect, met, source) when the result answers no profile
// entry. met is "true" or "false" by results.Fails, so an unfinished port that had to be
// open or closed is "false"; it is empty for optional entries and for checks
// that could not be tested or decided, which neither pass nor fail. outcome and
// why are results.Judge's: met, failed, untested or undetermined, and the reason for it;
// both are empty for a result without a check that can fail. Lists (profiles,
// source) are joined with "; ", a source as "document § section". source_address is the local
// address the port was tested from (what the target's firewall sees). trace,
// trace_hop and trace_hops are a traced port's (--trace): where its packets
// stop (results.Trace.Summary), the hop that names (results.Trace.DropHop;
// empty when none does) and the hops ("1 198.18.0.2 0.21 ms, 2 …, 3 *").
// records are the DNS SRV records that named a target the DC locator found
// (joined with "; "), clock_offset the seconds the server's clock is ahead of
// this machine's (a Kerberos error's time, an NTP reply's), empty when the
// reply carried none.
func WriteCSV(w io.Writer, rs []results.Result) error {
	sorted := results.Sorted(rs)
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for i := range sorted {
		if err := cw.Write(csvRow(&sorted[i])); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvRow(r *results.Result) []string {
	var addr, port, rtt, at string
	if r.Addr.IsValid() {
		addr = r.Addr.String()
	}
	if r.Port != 0 {
		port = strconv.Itoa(int(r.Port))
	}
	if r.RTT > 0 {
		rtt = strconv.FormatFloat(float64(r.RTT.Microseconds())/1000, 'f', -1, 64)
	}
	if !r.Time.IsZero() {
		at = r.Time.UTC().Format(time.RFC3339Nano)
	}
	var profiles, service, expect, met, source, from, clock string
	if r.ClockOffset != nil {
		clock = strconv.FormatFloat(*r.ClockOffset, 'f', -1, 64)
	}
	if r.Source.IsValid() {
		from = r.Source.String()
	}
	if c := r.Check; c != nil {
		profiles = strings.Join(c.Profiles, "; ")
		service = c.Service
		expect = string(c.Expect)
		source = sourcesText(c.Sources)
	}
	o := results.Judge(r)
	switch o.Status {
	case results.StatusMet, results.StatusFailed:
		met = strconv.FormatBool(o.Status == results.StatusMet)
	}
	var vantage string // a policy's source ("source" is the check's document)
	if r.Vantage != nil {
		vantage = r.Vantage.Name
	}
	var trace, traceHop, traceHops string
	if t := r.Trace; t != nil {
		trace, traceHops = t.Summary(), t.Path()
		if h := t.DropHop(); h >= 0 {
			traceHop = strconv.Itoa(h)
		}
	}
	row := []string{
		r.Target, addr, string(r.Proto), port, r.State.String(), string(r.Reason), rtt,
		strconv.Itoa(r.Attempts), r.Probe, r.Detail, r.Under, profiles, service,
		expect, met, source, at, string(o.Status), string(o.Why), from,
		trace, traceHop, traceHops,
		vantage, r.Rule,
		strings.Join(r.Records, "; "), clock,
	}
	for i := range row {
		row[i] = csvCell(row[i])
	}
	return row
}

// sourcesText renders citations for one-line formats: "document § section; …".
//
// A document named again right after itself is not repeated: "001.txt § Net
// Logon; § Server".
func sourcesText(ss []results.Source) string {
	parts := make([]string, 0, len(ss))
	for i, s := range ss {
		switch {
		case s.Section == "":
			parts = append(parts, s.Document)
		case i > 0 && ss[i-1].Document == s.Document && ss[i-1].Section != "":
			parts = append(parts, "§ "+s.Section)
		default:
			parts = append(parts, s.Document+" § "+s.Section)
		}
	}
	return strings.Join(parts, "; ")
}

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
func (c *CSVWriter) Write(r results.Result) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.header(); err != nil {
		return err
	}
	return c.cw.Write(csvRow(&r))
}

// Close writes the header if no row came, and flushes. CSV has no summary:
// the report is not read.
func (c *CSVWriter) Close(*results.Report) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.header(); err != nil {
		return err
	}
	c.cw.Flush()
	return c.cw.Error()
}
