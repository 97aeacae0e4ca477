package report

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/portreach/portreach/results"
)

// Every format in the list: a unique name Lookup finds, a description that
// fits a line of --help, and a writer that renders a whole report as the
// format's own function does (the JSON document without a run start to
// stream from), or as its golden file says.
func TestFormats(t *testing.T) {
	whole := map[string]func(io.Writer, *results.Report) error{
		"table":      func(w io.Writer, rep *results.Report) error { return WriteTable(w, rep, TableOptions{}) },
		"json":       WriteJSON,
		"jsonl":      nil, // results.jsonl.golden
		"csv":        func(w io.Writer, rep *results.Report) error { return WriteCSV(w, rep.Results) },
		"junit":      WriteJUnit,
		"prometheus": WritePrometheus,
		"html":       func(w io.Writer, rep *results.Report) error { return WriteHTML(w, rep, HTMLOptions{}) },
		"rules":      writeRules,
	}
	seen := map[string]bool{}
	for _, f := range Formats() {
		if seen[f.Name] {
			t.Errorf("format %q listed twice", f.Name)
		}
		seen[f.Name] = true
		if g, ok := Lookup(f.Name); !ok || g.Name != f.Name {
			t.Errorf("Lookup(%q) = %v, %v", f.Name, g.Name, ok)
		}
		if f.Description == "" || len(f.Description) > 66 {
			t.Errorf("%s: description %q: want 1 to 66 characters", f.Name, f.Description)
		}
		want, ok := whole[f.Name]
		if !ok {
			t.Errorf("%s: no test of its whole-report rendering here", f.Name)
			continue
		}
		var got, exp bytes.Buffer
		if err := Render(&got, f, fixtureReport(), Options{}); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if want == nil {
			b, err := os.ReadFile(filepath.Join("testdata", "results.jsonl.golden"))
			if err != nil {
				t.Fatal(err)
			}
			exp.Write(b)
		} else if err := want(&exp, fixtureReport()); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if !bytes.Equal(got.Bytes(), exp.Bytes()) {
			t.Errorf("%s: Render differs from the whole-report rendering:\n%s\n---\n%s", f.Name, got.Bytes(), exp.Bytes())
		}
	}
	if len(seen) != len(whole) {
		t.Errorf("%d formats, %d tested", len(seen), len(whole))
	}
	if _, ok := Lookup("xml"); ok {
		t.Error("Lookup found a format that does not exist")
	}
	if got, want := NameList(), "table, json, jsonl, csv, junit, prometheus, html or rules"; got != want {
		t.Errorf("NameList = %q, want %q", got, want)
	}
}

// The HTML report lists the same entries whatever order the ports finish in,
// even when a host has more than it lists: a scan streams them as they come.
func TestHTMLOrderIndependent(t *testing.T) {
	addr := netip.MustParseAddr("198.18.1.2")
	check := &results.Check{Expect: results.ExpectOpen}
	var rs []results.Result
	for p := 1; p <= maxListed+300; p++ {
		rs = append(rs,
			results.Result{Target: "h", Addr: addr, Proto: results.TCP, Port: uint16(p), State: results.Filtered, Reason: results.ReasonNoResponse, Check: check},
			results.Result{Target: "h", Addr: addr, Proto: results.UDP, Port: uint16(p), State: results.Open, Reason: results.ReasonUDPResponse, Detail: "a reply", Check: check})
	}
	rs = append(rs, results.Result{Target: "h", Addr: addr, State: results.Error, Reason: results.ReasonNoRoute, Detail: "b"},
		results.Result{Target: "h", Addr: addr, State: results.Error, Reason: results.ReasonLocalError, Detail: "a"})
	render := func(rs []results.Result) []byte {
		var b bytes.Buffer
		hw := NewHTMLWriter(&b, HTMLOptions{})
		for _, r := range rs {
			if err := hw.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := hw.Close(&results.Report{}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	want := render(results.Sorted(rs))
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3 {
		rng.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
		if got := render(rs); !bytes.Equal(got, want) {
			t.Fatalf("shuffled results give another report:\n%s\n---\n%s", got, want)
		}
	}
}
