package exporter

import (
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// acceptsJSONL reports whether a request's Accept header asks for JSON Lines
// (MediaJSONL) before the Prometheus formats: a policy run's client sends it
// alone.
func acceptsJSONL(h http.Header) bool {
	for _, part := range strings.Split(h.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == MediaJSONL {
			return true
		}
	}
	return false
}

// name says where r was measured from: this exporter (Config.Name) and the
// address it scanned the host from.
func (e *Exporter) name(r *results.Result) {
	if e.cfg.Name != "" {
		r.Vantage = &results.Vantage{Name: e.cfg.Name, Address: r.Source}
	}
}

// jsonLines is a probe's JSON Lines answer: one result per line, in the
// schema of "portreach scan -f jsonl" (report.JSONLWriter), each written as
// its port is decided. The answer's status (200) is committed with its first
// scanned result, not before: a scan that fails at once still gets its 500.
// The results reached before scanning (unmapped roles, names that did not
// resolve) are held until then. A client knows the answer is whole when the
// body ends cleanly (the last chunk of a chunked answer); an answer cut off
// (the exporter stopped, the connection broke) ends without it.
type jsonLines struct {
	w       http.ResponseWriter
	out     *report.JSONLWriter
	held    []results.Result
	started bool
	stall   time.Duration // Config.WriteTimeout: each write's bound
}

func (j *jsonLines) start() {
	if j.started {
		return
	}
	j.started = true
	j.w.Header().Set("Content-Type", MediaJSONL+"; charset=utf-8")
	j.w.Header().Set("X-Content-Type-Options", "nosniff")
	j.w.WriteHeader(http.StatusOK)
	j.out = report.NewJSONLWriter(flushing{j.w})
	for _, r := range j.held {
		_ = j.out.Write(r)
	}
	j.held = nil
}

// write sends one result, within stall: a client that asks and stops reading
// holds the scan no longer (its connection is then closed, which ends the
// request's context and the scan).
func (j *jsonLines) write(r results.Result) {
	j.start()
	_ = http.NewResponseController(j.w).SetWriteDeadline(time.Now().Add(j.stall))
	_ = j.out.Write(r)
}

// finish ends the answer: the held results of a probe that scanned nothing.
func (j *jsonLines) finish() { j.start() }

// flushing flushes each line to the client as it is written, so a remote
// policy run sees every verdict as it comes (JSONLWriter flushes writers
// that have a Flush() error method).
type flushing struct{ w http.ResponseWriter }

func (f flushing) Write(b []byte) (int, error) { return f.w.Write(b) }

func (f flushing) Flush() error { return http.NewResponseController(f.w).Flush() }
