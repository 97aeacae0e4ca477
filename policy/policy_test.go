package policy

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/results"
)

func load(t *testing.T, text string) (*Policy, error) {
	t.Helper()
	p, err := profiles.ParsePlan(strings.NewReader(text), "policy.json")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	return Load(context.Background(), p, cat, func(field, name string) ([]byte, error) {
		return nil, fmt.Errorf("%s %s: no such file", field, name)
	})
}

// Load names what is wrong, with the rule's line, before anything is sent.
func TestLoadErrors(t *testing.T) {
	for _, c := range []struct{ rule, want string }{
		{`{"from": ["a"], "to": ["h"], "profiles": ["domain controler"]}`, `policy.json:3: rule 1: unknown profile "domain controler"`},
		{`{"from": ["a"], "to": ["h"], "profiles": ["biztalk-send-server"], "roles": {"sqll": "x"}}`, `policy.json:3: rule 1: `},
		{`{"from": ["a"], "to": ["h"], "ports": "T:99999"}`, `policy.json:3: rule 1: ports: `},
		{`{"name": "x", "from": ["a"], "to": ["h"], "ports": "T:1", "expect": "shut"}`, `policy.json:3: x: expect "shut"`},
	} {
		_, err := load(t, `{"sources": {"a": ["local"]},
  "rules": [
  `+c.rule+`]}`)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.rule, err, c.want)
		}
	}
	_, err := load(t, `{"sources": {"a": ["local"], "b": [{"url": "https://b:9469", "ca_file": "ca.pem"}]},
  "rules": [{"from": ["a", "b"], "to": ["h"], "ports": "T:1"}]}`)
	if err == nil || err.Error() != "policy.json:1: source b: ca_file ca.pem: no such file" {
		t.Errorf("unreadable ca_file: %v", err)
	}
}

// What a remote source answers decides each of its checks: results held to
// the policy's checks, or one outcome of its own for every check it did not
// run.
func TestRemoteAnswers(t *testing.T) {
	line := func(target string, port int, state string) string {
		return fmt.Sprintf(`{"target":%q,"address":"127.0.0.1","source_address":"127.0.0.9","proto":"tcp","port":%d,"state":%q,"reason":"syn-ack","attempts":1,"time":"2026-12-05T00:00:00Z","rtt_ms":0.1}`+"\n", target, port, state)
	}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    map[int]string // port → state/why
	}{
		{"answers", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-ndjson")
			// Without its check: the policy's is given back.
			fmt.Fprint(w, line("127.0.0.1", 1, "open"))
		}, map[int]string{1: "open/syn-ack", 2: "unknown/source-error"}},
		{"wrong credentials", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "Unauthorized", 401) }, map[int]string{1: "unknown/source-refused", 2: "unknown/source-refused"}},
		{"too old", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `portreach: unknown parameter "format" (known: target, profile)`, 400)
		}, map[int]string{1: "unknown/source-incompatible", 2: "unknown/source-incompatible"}},
		{"metrics", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "# HELP x\n") }, map[int]string{1: "unknown/source-incompatible", 2: "unknown/source-incompatible"}},
		{"another target", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-ndjson")
			fmt.Fprint(w, line("10.0.0.1", 1, "open"))
		}, map[int]string{1: "unknown/source-error", 2: "unknown/source-error"}},
		{"cut off", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-ndjson")
			fmt.Fprint(w, line("127.0.0.1", 2, "closed"))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}, map[int]string{1: "unknown/source-error", 2: "closed/syn-ack"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			pol, err := load(t, `{"sources": {"r": ["`+srv.URL+`"]},
  "rules": [{"from": ["r"], "to": ["127.0.0.1"], "ports": "T:1,2", "expect": "open"}]}`)
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			got := map[int]string{}
			err = (&Runner{}).Run(context.Background(), pol, func(r results.Result) {
				mu.Lock()
				defer mu.Unlock()
				if r.Vantage == nil || r.Vantage.Name != "r" || r.Rule != "rule 1" || r.Check == nil || r.Check.Expect != results.ExpectOpen {
					t.Errorf("%d/tcp: source %+v, rule %q, check %+v", r.Port, r.Vantage, r.Rule, r.Check)
				}
				got[int(r.Port)] = r.State.String() + "/" + string(results.Why(&r))
				if r.State == results.Open && results.Judge(&r).Status != results.StatusMet {
					t.Errorf("open, must be open: %+v", results.Judge(&r))
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}
