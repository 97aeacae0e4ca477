package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/portreach/portreach/results"
)

// countingWriter records each Write call separately.
type countingWriter struct{ writes [][]byte }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

// Each result reaches the underlying writer as one complete line, at once, even
// through a buffered writer.
func TestJSONLWritesLineAtOnce(t *testing.T) {
	var under countingWriter
	bw := bufio.NewWriterSize(&under, 1<<16) // would hold many lines without the flush
	w := NewJSONLWriter(bw)
	rs := fixtureResults()[:5]
	for i, r := range rs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		if len(under.writes) != i+1 {
			t.Fatalf("after %d results, %d writes reached the output", i+1, len(under.writes))
		}
		line := under.writes[i]
		if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
			t.Fatalf("write %d is not one line: %q", i, line)
		}
		var back results.Result
		if err := json.Unmarshal(line, &back); err != nil {
			t.Fatal(err)
		}
		if back.Port != r.Port || back.State != r.State || back.RTT != r.RTT || !back.Time.Equal(r.Time) {
			t.Errorf("line %d reads back as %+v, want %+v", i, back, r)
		}
	}
}

// Concurrent writers never interleave inside a line.
func TestJSONLConcurrent(t *testing.T) {
	var b bytes.Buffer
	w := NewJSONLWriter(&b)
	rs := fixtureResults()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < len(rs); i += 4 {
				if err := w.Write(rs[i]); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(rs) {
		t.Fatalf("%d lines, want %d", len(lines), len(rs))
	}
	for i, l := range lines {
		var r results.Result
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, l)
		}
	}
}

// ReadJSONLine reads back what JSONLWriter writes and refuses what the schema
// does not allow, naming it.
func TestReadJSONLine(t *testing.T) {
	var b bytes.Buffer
	w := NewJSONLWriter(&b)
	for _, r := range fixtureResults() {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, line := range bytes.Split(bytes.TrimSpace(b.Bytes()), []byte("\n")) {
		if _, err := ReadJSONLine(line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		n++
	}
	if n != len(fixtureResults()) {
		t.Errorf("%d lines", n)
	}
	for line, want := range map[string]string{
		`{"target":"a"`: "not a JSON object",
		`[1]`:           "not a portreach result",
		`{"target":"a","address":"","proto":"tcp","port":70000,"state":"open","reason":"x","rtt_ms":0,"attempts":1,"time":"2026-01-01T00:00:00Z"}`:         "port: 70000 is more than 65535",
		`{"target":"a","address":"","proto":"tcp","port":1,"state":"opne","reason":"x","rtt_ms":0,"attempts":1,"time":"2026-01-01T00:00:00Z"}`:             `state: "opne" is not one of`,
		`{"target":"a","address":"","proto":"tcp","port":1,"state":"open","reason":"x","rtt_ms":0,"attempts":1,"time":"2026-01-01T00:00:00Z","evil":true}`: "evil: unknown field",
	} {
		if _, err := ReadJSONLine([]byte(line)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", line, err, want)
		}
	}
}
