package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

// serveAnswer is a real JSON answer of "portreach serve" (exporter's
// TestJSONLAnswer writes it with PORTREACH_UPDATE_SEEDS=1).
func serveAnswer(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/serve-answer.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A real answer reads whole; what a hostile remote sends instead is a
// source-error naming it: a line over its cap, an answer over its cap, a line
// that is no result, a result refused by the caller.
func TestReadResults(t *testing.T) {
	var got []results.Result
	take := func(r results.Result) error { got = append(got, r); return nil }
	if err := readResults(bytes.NewReader(serveAnswer(t)), take); err != nil || len(got) != 2 || got[0].Vantage == nil {
		t.Fatalf("serve's answer: %v, %d results", err, len(got))
	}
	line := strings.TrimSpace(strings.SplitN(string(serveAnswer(t)), "\n", 2)[0])
	defer func(l, a int) { maxLine, maxAnswer = l, a }(maxLine, maxAnswer)
	maxLine, maxAnswer = 4<<10, 64<<10
	for _, c := range []struct {
		name string
		in   io.Reader
		take func(results.Result) error
		want string
	}{
		{"long line", strings.NewReader(strings.Repeat("x", maxLine+10)), take, fmt.Sprintf("line 1 is longer than %d bytes", maxLine)},
		{"endless answer", strings.NewReader(strings.Repeat(line+"\n", maxAnswer/len(line)+2)), func(results.Result) error { return nil }, fmt.Sprintf("the answer is longer than %d bytes", maxAnswer)},
		{"not a result", strings.NewReader(line + "\n{\"hello\": 1}\n"), take, `line 2: not a portreach result`},
		{"not JSON", strings.NewReader("<html>\n"), take, `line 1: not a JSON object`},
		{"refused", strings.NewReader(line + "\n"), func(results.Result) error { return errors.New("a result for \"x\"") }, `line 1: a result for "x"`},
	} {
		err := readResults(c.in, c.take)
		var f *failure
		if !errors.As(err, &f) || f.reason != results.ReasonSourceError || !strings.Contains(f.detail, c.want) {
			t.Errorf("%s: %v, want source-error %q", c.name, err, c.want)
		}
	}
	// A last line without its newline still counts; blank lines do not.
	got = nil
	if err := readResults(strings.NewReader("\n\n"+line), take); err != nil || len(got) != 1 {
		t.Errorf("last line: %v, %d results", err, len(got))
	}
}

// FuzzReadResults: whatever a remote sends, reading ends with results or an
// error, never a panic, and never more results than lines.
func FuzzReadResults(f *testing.F) {
	f.Add(serveAnswer(f))
	f.Add([]byte("{}\n"))
	f.Add([]byte(strings.SplitN(string(serveAnswer(f)), "\n", 2)[0] + "\n\n{\"target\":"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		_ = readResults(bytes.NewReader(b), func(results.Result) error { n++; return nil })
		if lines := bytes.Count(b, []byte("\n")) + 1; n > lines {
			t.Fatalf("%d results from %d lines", n, lines)
		}
	})
}
