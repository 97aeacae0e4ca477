package results

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVHeader is the fixed header row of CSV output. Columns are only ever added at
// the end, so scripts that index columns keep working.
var CSVHeader = []string{
	"target", "address", "proto", "port", "state", "reason", "rtt_ms", "attempts",
	"probe", "detail", "under", "profiles", "service", "expect", "met", "source", "time",
	"outcome", "why",
	"source_address",
}

// WriteCSV writes a header row and one row per result, in Sort order (rs is not
// modified), quoted per RFC 4180 by encoding/csv. Cells that have no value are
// empty rather than zero: port for IP protocols and failed targets, rtt_ms when
// nothing answered, time when the port never finished, and the check columns
// (profiles, service, expect, met, source) when the result answers no profile
// entry. met is "true" or "false" by Fails, so an unfinished port that had to be
// open or closed is "false"; it is empty for optional entries and for checks
// that could not be tested or decided, which neither pass nor fail. outcome and
// why are Judge's: met, failed, untested or undetermined, and the reason for it;
// both are empty for a result without a check that can fail. Lists (profiles,
// source) are joined with "; ", a source as "document § section". source_address is the local
// address the port was tested from (what the target's firewall sees).
func WriteCSV(w io.Writer, rs []Result) error {
	sorted := inOrder(rs)
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

func csvRow(r *Result) []string {
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
	var profiles, service, expect, met, source, from string
	if r.Source.IsValid() {
		from = r.Source.String()
	}
	if c := r.Check; c != nil {
		profiles = strings.Join(c.Profiles, "; ")
		service = c.Service
		expect = string(c.Expect)
		source = sourcesText(c.Sources)
	}
	o := Judge(r)
	switch o.Status {
	case StatusMet, StatusFailed:
		met = strconv.FormatBool(o.Status == StatusMet)
	}
	return []string{
		r.Target, addr, string(r.Proto), port, r.State.String(), string(r.Reason), rtt,
		strconv.Itoa(r.Attempts), r.Probe, r.Detail, r.Under, profiles, service,
		expect, met, source, at, string(o.Status), string(o.Why), from,
	}
}

// sourcesText renders citations for one-line formats: "document § section; …".
//
// A document named again right after itself is not repeated: "001.txt § Net
// Logon; § Server".
func sourcesText(ss []Source) string {
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
