package report

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text from the network (replies, certificate subjects, SQL instance names)
// and from users (targets, profile files, process names) reaches every output
// format. This file is the one place that makes it safe: printable for the
// text formats (table, CSV, HTML, JUnit, the Prometheus labels), csvCell for
// spreadsheets, escapeJSONControls for JSON and JSON Lines, which keep the
// exact values.

// printable makes text from the network or from users safe for a terminal and for
// tabwriter: a reply can carry tabs and line breaks (SNMP sysDescr often ends in
// CR LF) that would break the columns, and escape sequences that would drive the
// reader's terminal. Line breaks and tabs become spaces; other control
// characters are shown as \xNN, and bytes that are not UTF-8 (a raw 0x9b is CSI
// to some terminals) as U+FFFD.
func printable(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case unicode.IsControl(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Printable is printable for the outputs of other packages (the exporter's
// page, whose html/template escapes markup but passes control characters):
// the same sanitiser, not a second one.
func Printable(s string) string { return printable(s) }

// csvCell is a CSV cell's text: printable, and then OWASP's rule against CSV
// injection, since a spreadsheet (Excel, LibreOffice, Google Sheets) runs a
// cell that begins with = + - or @ as a formula: such a cell gets a single
// quote in front, which makes it text (a tab or carriage return, the rule's
// other two, printable has already made a space). A SQL instance named
// =HYPERLINK("http://…") is shown as its name, not as a link.
func csvCell(s string) string {
	s = printable(s)
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// escapeJSONControls rewrites, in encoded JSON, the control characters
// encoding/json leaves raw, DEL and the C1 controls (U+0080 to U+009F; it
// escapes C0 itself), as \u escapes: the same string to a JSON reader, nothing
// that drives the terminal of whoever prints the file. In the valid UTF-8
// encoding/json writes, these bytes occur only inside strings: a C1 control
// is 0xC2 followed by its own code.
func escapeJSONControls(b []byte) []byte {
	if bytes.IndexByte(b, 0x7f) < 0 && !hasC1(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == 0x7f:
			out = append(out, `\u007f`...)
		case c == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f:
			out = fmt.Appendf(out, `\u%04x`, b[i+1])
			i++
		default:
			out = append(out, c)
		}
	}
	return out
}

// hasC1 reports whether UTF-8 b holds a C1 control.
func hasC1(b []byte) bool {
	for i := bytes.IndexByte(b, 0xc2); i >= 0 && i+1 < len(b); {
		if b[i+1] >= 0x80 && b[i+1] <= 0x9f {
			return true
		}
		j := bytes.IndexByte(b[i+1:], 0xc2)
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}
