package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/portreach/portreach/results"
)

// CSV output parses back with encoding/csv into the fixed columns, one row per
// result in Sort order, with text that needs quoting intact.
func TestCSVParsesBack(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, fixtureResults()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll() // also checks every row has the header's field count
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], CSVHeader) {
		t.Fatalf("header %q, want %q", rows[0], CSVHeader)
	}
	rs := fixtureResults()
	results.Sort(rs)
	if len(rows)-1 != len(rs) {
		t.Fatalf("%d rows, want %d", len(rows)-1, len(rs))
	}
	col := map[string]int{}
	for i, name := range CSVHeader {
		col[name] = i
	}
	row := func(target, port string) []string {
		for _, r := range rows[1:] {
			if r[col["target"]] == target && r[col["port"]] == port {
				return r
			}
		}
		t.Fatalf("no row for %s port %q", target, port)
		return nil
	}
	for _, tc := range []struct{ target, port, column, want string }{
		{"mail01", "53", "detail", `REFUSED, version "9.18.49"`},
		{"mail01", "53", "rtt_ms", "1.25"},
		{"mail01", "53", "met", ""},
		{"mail01", "25", "met", "true"},
		{"mail01", "443", "met", "false"},
		{"mail01", "88", "met", "false"}, // unfinished, had to be closed
		{"mail01", "88", "time", ""},
		{"mail01", "88", "rtt_ms", ""},
		{"mail01", "445", "met", ""}, // optional
		{"mail01", "389", "met", ""}, // skipped: neither met nor failed
		{"mail01", "", "met", ""},    // gre, not tested
		{"mail01", "445", "service", "SMB"},
		{"mail01", "389", "source", "ad-ports.md § Table 1; kb179442.md"},
		{"mail01", "1433", "under", "instance MSSQLSERVER"},
		{"mail01", "", "proto", "gre"},
		{"mail01", "", "state", "not-tested"},
		{"2001:db8::10", "22", "address", "2001:db8::10"},
		{"2001:db8::10", "22", "time", "2026-11-23T17:00:01Z"},
		{"nosuch.invalid", "", "address", ""},
		{"nosuch.invalid", "", "state", "error"},
		{"mail01", "3389", "profiles", "hardening"},
		{"mail01", "3389", "expect", "closed"},
	} {
		if got := row(tc.target, tc.port)[col[tc.column]]; got != tc.want {
			t.Errorf("%s %s %s = %q, want %q", tc.target, tc.port, tc.column, got, tc.want)
		}
	}
}

func TestSourcesTextGroupsDocuments(t *testing.T) {
	got := sourcesText([]results.Source{
		{Document: "001.txt", Section: "Net Logon"}, {Document: "001.txt", Section: "Server"},
		{Document: "003.txt", Section: "LDAP 389"}, {Document: "003.txt"},
	})
	want := "001.txt § Net Logon; § Server; 003.txt § LDAP 389; 003.txt"
	if got != want {
		t.Errorf("sourcesText = %q, want %q", got, want)
	}
}
