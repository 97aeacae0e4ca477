package report

import (
	"bytes"
	"encoding/csv"
	"net/netip"
	"strings"
	"testing"
	"unicode"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// hostile is a run whose texts come from a hostile network and hostile
// names: a SQL instance named as a spreadsheet formula, a certificate subject
// and a process name with terminal escapes, a target and a profile with
// control characters, a DEL and a C1 control (U+009B, CSI to some
// terminals), and a drift of such a detail.
func hostile() *results.Report {
	addr := netip.MustParseAddr("198.18.1.2")
	formula := `=HYPERLINK("http://evil.invalid/","click")`
	browser := (&probes.SQLBrowserDetail{Instances: []probes.SQLInstance{{Name: formula, TCPPort: 1433}}}).Summary()
	check := &results.Check{Profiles: []string{"p\x1bq"}, Service: "+SUM(1)", Purpose: "@x\x07", Expect: results.ExpectOpen,
		Sources: []results.Source{{Document: "-doc\r\n", Section: "§\u009b1m"}}}
	rep := &results.Report{Command: []string{"portreach", "scan", "\x1b[2J"}, Results: []results.Result{
		{Target: "h\x1b[31m", Addr: addr, Proto: results.UDP, Port: 1434, State: results.Open, Reason: results.ReasonUDPResponse,
			Probe: probes.SQLBrowser.Name, Detail: browser},
		{Target: "h\x1b[31m", Addr: addr, Proto: results.TCP, Port: 1433, State: results.Closed, Reason: results.ReasonConnRefused,
			Under: results.InstanceLabel(formula), Via: "1434/udp", Check: check},
		{Target: "h\x1b[31m", Addr: addr, Proto: results.TCP, Port: 443, State: results.Open, Reason: results.ReasonSynAck,
			Detail: "CN=a\x1b]0;pwned\x07\r\nstate: open\x7f\u009b", Check: check},
		{Target: "=1+1", Proto: results.TCP, Port: 22, State: results.Open, Reason: results.ReasonListening,
			Detail: "evil\x1b[8m, pid 7 (0.0.0.0)"},
	}}
	base := &results.Report{Results: []results.Result{rep.Results[0]}}
	base.Results[0].Detail = "was\x1b[5m"
	rep.Drift = results.Diff(base, rep, nil)
	for i := range rep.Drift.Changes {
		rep.Drift.Changes[i].Before = "\x1b[5m"
	}
	return rep
}

// No text format writes a control character it was handed: not the table,
// CSV, HTML, JUnit or the Prometheus text (their only controls are their own
// line breaks), and JSON and JSON Lines escape every one, keeping the value.
func TestControlCharacters(t *testing.T) {
	for _, f := range Formats() {
		var b bytes.Buffer
		if err := Render(&b, f, hostile(), Options{}); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		for i, r := range b.String() {
			if unicode.IsControl(r) && r != '\n' {
				t.Errorf("%s: control character %U at byte %d: %q", f.Name, r, i, around(b.String(), i))
				break
			}
		}
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, hostile()); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	results.Sort(back.Results)
	if got, want := back.Results[1].Detail, hostile().Results[2].Detail; got != want {
		t.Errorf("JSON changed a value: %q, want %q", got, want)
	}
}

func around(s string, i int) string { return s[max(0, i-30):min(len(s), i+30)] }

// No CSV cell starts a spreadsheet formula (OWASP: = + - @ tab, carriage
// return), and none carries a control character; a cell that would is
// quoted with ' and shows its text.
func TestCSVInjection(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, hostile().Results); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]bool{}
	for _, row := range rows {
		for _, c := range row {
			cells[c] = true
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("cell %q starts a formula", c)
			}
			if strings.ContainsFunc(c, unicode.IsControl) {
				t.Errorf("cell %q has a control character", c)
			}
		}
	}
	for _, want := range []string{
		`'=HYPERLINK("http://evil.invalid/","click") tcp/1433`, // the Browser's reply
		`'=1+1`, `'+SUM(1)`, `'-doc   § §\x9b1m`,
		`CN=a\x1b]0;pwned\x07  state: open\x7f\x9b`,
		`instance =HYPERLINK("http://evil.invalid/","click")`,
	} {
		if !cells[want] {
			t.Errorf("no cell %q in %q", want, rows)
		}
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "a": "a", "=1": "'=1", "+1": "'+1", "-1": "'-1", "@A1": "'@A1",
		"\tx": " x", "\rx": " x", "a=b": "a=b", "1-2": "1-2", "\x1b=": `\x1b=`,
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapeJSONControls(t *testing.T) {
	for in, want := range map[string]string{
		`"a"`:                    `"a"`,
		"\"a\x7fb\"":             `"a\u007fb"`,
		"\"\u009b[31m\"":         `"\u009b[31m"`,
		"\"\u0080\u009f\u00a0\"": "\"\\u0080\\u009f\u00a0\"",
		"\"é€\"":                 "\"é€\"",
	} {
		if got := string(escapeJSONControls([]byte(in))); got != want {
			t.Errorf("escapeJSONControls(%q) = %q, want %q", in, got, want)
		}
	}
}
