package exporter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// answer asks for path with accept as the Accept header and returns the
// status, content type and body.
func answer(t *testing.T, url, accept string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// format=jsonl (or Accept: application/x-ndjson) answers JSON Lines: one
// result per line in -f jsonl's schema, each saying which vantage point
// (--name) measured it from which address; the metrics answer carries the
// name as its vantage label. The answer is kept as the policy client's fuzz
// seed (policy/testdata).
func TestJSONLAnswer(t *testing.T) {
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	open, closed := listenTCP(t), closedTCP(t)
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8"), Catalog: cat, Name: "lan"})
	q := fmt.Sprintf("/probe?target=127.0.0.1&ports=T:%d,%d&expect=blocked", open, closed)
	for _, c := range []struct{ query, accept string }{{q + "&format=jsonl", ""}, {q, "application/x-ndjson"}, {q, "text/plain;q=0.5, application/x-ndjson"}} {
		status, ctype, body := answer(t, srv.URL+c.query, c.accept)
		if status != 200 || ctype != "application/x-ndjson; charset=utf-8" {
			t.Fatalf("%s (Accept %q): %d %s\n%s", c.query, c.accept, status, ctype, body)
		}
		var got []results.Result
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			var r results.Result
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			got = append(got, r)
		}
		if len(got) != 2 {
			t.Fatalf("%d results:\n%s", len(got), body)
		}
		lo := netip.MustParseAddr("127.0.0.1")
		for _, r := range got {
			if r.Vantage == nil || r.Vantage.Name != "lan" || r.Vantage.Address != lo || r.Source != lo {
				t.Errorf("%d/tcp: source %+v, source_address %s", r.Port, r.Vantage, r.Source)
			}
			if o := results.Judge(&r); o.Status != results.StatusFailed || o.Why != results.ReasonPassedFirewall {
				t.Errorf("%d/tcp %s: outcome %+v, want failed passed-firewall", r.Port, r.State, o)
			}
		}
		if c.accept == "" && os.Getenv("PORTREACH_UPDATE_SEEDS") != "" {
			// go test ./exporter -run TestJSONLAnswer with PORTREACH_UPDATE_SEEDS=1
			if err := os.WriteFile(filepath.Join("..", "policy", "testdata", "serve-answer.jsonl"), body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := get(t, context.Background(), srv, q, "5")
	if got := s.value(t, report.MetricPortUp, with(portLabels("127.0.0.1", "127.0.0.1", open, "tcp"), report.LabelVantage, "lan")); got != 1 {
		t.Errorf("port up with vantage=lan: %v\n%s", got, s.body)
	}
	if status, _, body := answer(t, srv.URL+q+"&format=xml", ""); status != 400 || string(body) != "portreach: format \"xml\": want prometheus or jsonl\n" {
		t.Errorf("format=xml: %d %q", status, body)
	}
}
