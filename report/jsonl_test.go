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
