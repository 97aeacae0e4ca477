package profiles

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

// The completeness test: every (port, protocol) pair of document 001's port-sorted
// summary table, every row of document 000's table and every port of document
// 004's tables must appear in a profile entry whose source names that document
// (and, for 000 and 004, the row or table; for 001, the service).
//
// The facts are extracted from the seed documents into testdata/seedfacts.json so
// the test runs on any clone without the documents' prose. When ../shared/seeds
// exists next to the repository, the facts are extracted again and must match the
// stored ones: run `go test ./profiles -run TestSeedFacts -update` after a seed
// document changes.

var update = flag.Bool("update", false, "rewrite testdata/seedfacts.json from ../shared/seeds")

const (
	doc000 = "000_06133edff8422ee7.txt"
	doc001 = "001_0175e4248fb76a64.txt"
	doc004 = "004_8fd744a6db91100a.txt"
)

// fact is one port a document requires, as extracted from one of its tables.
type fact struct {
	Doc     string `json:"doc"`
	Where   string `json:"where"`             // table row: "row 7", "summary", a table heading
	Service string `json:"service,omitempty"` // 000: destination; 001: system service; 004: purpose
	Proto   string `json:"proto"`             // as the document spells it, lower-cased
	Port    string `json:"port"`              // "445", "50000-50200", "" for IP protocols
}

func (f fact) String() string {
	return fmt.Sprintf("%s %s [%s] %s/%s", f.Doc, f.Where, f.Service, f.Proto, f.Port)
}

// protoSpelling maps the documents' misspelt protocols to what they mean.
var protoSpelling = map[string]results.Proto{
	"upd": results.UDP, // 001's SMS Remote Chat row spells UDP "UPD", in the section and the summary table
}

// serviceNames maps 001 summary-table service names to the section titles the
// profiles cite, where the document uses two names for one service.
var serviceNames = map[string]string{
	"UPNP Device Host": "Universal Plug and Play Device Host",
	"Internet Connection Firewall/Internet Connection Sharing": "ICF/ICS",
	"Application Layer Gateway Service":                        "Application Layer Gateway (ALG) Service",
}

// omitted lists facts deliberately not covered by any profile, with the reason.
// Keys are fact.String(). Every listed fact must exist and must really be
// uncovered, so the list cannot go stale.
var omitted = map[string]string{}

var portPrefixRE = regexp.MustCompile(`^\s*(\d+(?:-\d+)?)`)

// extract000 reads the markdown table of the BizTalk document: one fact per row.
func extract000(text string) []fact {
	var out []fact
	row := 0
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		if len(cells) < 6 || strings.HasPrefix(cells[0], "---") || strings.HasPrefix(cells[0], "Service or") {
			continue
		}
		row++
		dest, _, _ := strings.Cut(cells[1], "<br")
		port := portPrefixRE.FindStringSubmatch(cells[3])
		p := ""
		if port != nil {
			p = port[1]
		}
		out = append(out, fact{Doc: doc000, Where: fmt.Sprintf("row %d", row), Service: strings.TrimSpace(dest),
			Proto: strings.ToLower(strings.TrimSpace(cells[4])), Port: p})
	}
	return out
}

// extract001 reads the port-sorted summary table of document 001. In the text the
// table is one cell per line: port, protocol, application protocol, service.
func extract001(text string) []fact {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	start := -1
	for i := 0; i+1 < len(lines); i++ {
		if lines[i] == "Ports and Protocols" && strings.HasPrefix(lines[i+1], "The following table summarizes") {
			start = i + 2
		}
	}
	if start < 0 || start+4 > len(lines) {
		return nil
	}
	var out []fact
	for i := start + 4; i+3 < len(lines) && !strings.HasPrefix(lines[i], "A spreadsheet"); i += 4 {
		port := lines[i]
		if port == "n/a" {
			port = ""
		}
		out = append(out, fact{Doc: doc001, Where: "summary table", Service: lines[i+3], Proto: strings.ToLower(lines[i+1]), Port: port})
	}
	return out
}

var (
	portProtoRE = regexp.MustCompile(`(\d+)/(TCP|UDP)`)
	bulletRE    = regexp.MustCompile(`•[^:<]*:\s*([\d, ]+)`)
)

// extract004 reads the markdown tables of the Exchange 2016/2019 document: every
// "N/TCP" or "N/UDP" in the Ports column; a row whose Ports cell says "see comments"
// lists TCP ports in its comments' bullets.
func extract004(text string) []fact {
	var out []fact
	heading := ""
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "#") {
			heading = strings.TrimSpace(strings.TrimLeft(l, "#"))
			continue
		}
		if !strings.HasPrefix(l, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		if len(cells) < 3 || strings.HasPrefix(cells[0], ":--") || strings.Contains(cells[0], "**Purpose**") {
			continue
		}
		purpose, _, _ := strings.Cut(cells[0], "<br/>")
		purpose = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(purpose), ":"))
		ports := portProtoRE.FindAllStringSubmatch(cells[1], -1)
		for _, m := range ports {
			out = append(out, fact{Doc: doc004, Where: heading, Service: purpose, Proto: strings.ToLower(m[2]), Port: m[1]})
		}
		if len(ports) == 0 && strings.Contains(cells[1], "see comments") {
			for _, m := range bulletRE.FindAllStringSubmatch(cells[len(cells)-1], -1) {
				for _, p := range strings.Split(m[1], ",") {
					if p = strings.TrimSpace(p); p != "" {
						out = append(out, fact{Doc: doc004, Where: heading, Service: purpose, Proto: "tcp", Port: p})
					}
				}
			}
		}
	}
	return out
}

func extractAll(dir string) ([]fact, error) {
	var out []fact
	for _, d := range []struct {
		name string
		fn   func(string) []fact
	}{{doc000, extract000}, {doc001, extract001}, {doc004, extract004}} {
		b, err := os.ReadFile(filepath.Join(dir, d.name))
		if err != nil {
			return nil, err
		}
		fs := d.fn(string(b))
		if len(fs) == 0 {
			return nil, fmt.Errorf("%s: extracted no facts: has the document's layout changed?", d.name)
		}
		out = append(out, fs...)
	}
	return out, nil
}

const factsFile = "testdata/seedfacts.json"

func loadFacts(t *testing.T) []fact {
	t.Helper()
	b, err := os.ReadFile(factsFile)
	if err != nil {
		t.Fatal(err)
	}
	var fs []fact
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestSeedFacts checks the stored facts against the seed documents, when present.
func TestSeedFacts(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "seeds")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("seed documents not found at %s (the CI checkout provides them)", dir)
		}
		t.Skipf("seed documents not found at %s; using the stored facts only", dir)
	}
	got, err := extractAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(factsFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := loadFacts(t)
	if !slices.Equal(got, want) {
		for i := 0; i < max(len(got), len(want)); i++ {
			var g, w fact
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("fact %d: seeds say %v, %s says %v", i, g, factsFile, w)
			}
		}
		t.Fatalf("%s disagrees with the seed documents; if the documents changed, run: go test ./profiles -run TestSeedFacts -update", factsFile)
	}
	// Sanity: the extractors found what the documents hold.
	count := map[string]int{}
	for _, f := range got {
		count[f.Doc]++
	}
	if count[doc000] != 36 || count[doc001] != 155 || count[doc004] != 25 {
		t.Errorf("extracted %v facts; want 36 rows of 000, 155 rows of 001's summary table, 25 ports of 004", count)
	}
}

// covers reports whether entry e answers fact f.
func covers(e *Entry, f fact) bool {
	if e.Source.Document != f.Doc {
		return false
	}
	proto := results.Proto(f.Proto)
	if p, ok := protoSpelling[f.Proto]; ok {
		proto = p
	}
	if e.Proto != proto {
		return false
	}
	if f.Port == "" {
		if !e.Port.IsZero() {
			return false
		}
	} else if r, err := results.ParsePortRange(f.Port); err != nil || r != e.Port {
		return false
	}
	sec := e.Source.Section
	switch f.Doc {
	case doc000:
		return strings.Contains(sec, f.Where+": ")
	case doc001:
		name := f.Service
		if n, ok := serviceNames[name]; ok {
			name = n
		}
		return strings.Contains(sec, name) || strings.Contains(name, sec)
	case doc004:
		return strings.HasPrefix(sec, strings.TrimSuffix(f.Where, " (not pictured)")+": ")
	}
	return false
}

func TestCompleteness(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	facts := loadFacts(t)
	known := map[string]bool{}
	for _, f := range facts {
		known[f.String()] = true
		var hit bool
		for _, p := range c.Profiles() {
			for i := range p.Entries {
				if covers(&p.Entries[i], f) {
					hit = true
				}
			}
		}
		reason, skip := omitted[f.String()]
		switch {
		case hit && skip:
			t.Errorf("%v is listed as omitted (%s) but a profile covers it: remove it from omitted", f, reason)
		case !hit && !skip:
			t.Errorf("%v: no profile entry cites it; add one or list it in omitted with the reason", f)
		}
	}
	// The matcher must be able to say no: a port no document lists, a right port
	// cited from the wrong document, and a 000 port cited from the wrong row.
	for _, f := range []fact{
		{Doc: doc001, Where: "summary table", Service: "DNS Server", Proto: "tcp", Port: "9999"},
		{Doc: doc004, Where: "Network ports required for clients and services", Proto: "tcp", Port: "1433"},
		{Doc: doc000, Where: "row 1", Service: "File share", Proto: "tcp", Port: "1433"},
		{Doc: doc001, Where: "summary table", Service: "DNS Server", Proto: "tcp", Port: "88"},
	} {
		for _, p := range c.Profiles() {
			for i := range p.Entries {
				if covers(&p.Entries[i], f) {
					t.Errorf("%v covers the made-up fact %v", p.Entries[i].Pos, f)
				}
			}
		}
	}
	for k := range omitted {
		if !known[k] {
			t.Errorf("omitted lists %s, which is not an extracted fact", k)
		}
	}
}
