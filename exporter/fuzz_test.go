package exporter

import (
	"bufio"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/profiles"
)

// prometheusRequests reads the scrape requests a real Prometheus sent (see the
// file's header): each one's raw query and scrape timeout header.
func prometheusRequests(t testing.TB) (queries, timeouts []string) {
	t.Helper()
	f, err := os.Open("testdata/prometheus-2.42-requests.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "GET /probe?"); ok {
			q, _, _ := strings.Cut(rest, " ")
			queries = append(queries, q)
		}
		if v, ok := strings.CutPrefix(line, ScrapeTimeoutHeader+": "); ok {
			timeouts = append(timeouts, v)
		}
	}
	if len(queries) == 0 || len(queries) != len(timeouts) {
		t.Fatalf("testdata: %d queries, %d timeouts", len(queries), len(timeouts))
	}
	return queries, timeouts
}

// TestPrometheusRequests: the requests a real Prometheus sends with the
// relabelling of docs/exporter.md are accepted as meant.
func TestPrometheusRequests(t *testing.T) {
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := &Exporter{cfg: Config{MaxTime: 30 * time.Second, TimeoutOffset: 500 * time.Millisecond}}
	queries, timeouts := prometheusRequests(t)
	for i, q := range queries {
		vals, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		req, err := parseProbe(vals, cat)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if !strings.HasSuffix(req.target.Name, ".example.com") || len(req.profiles) != 1 || req.profiles[0].Slug != "domain-controller" {
			t.Errorf("%s: target %q profiles %v", q, req.target.Name, req.profiles)
		}
		if strings.Contains(q, "role=") && (req.roles["sql"].Value() != "sql01.example.com" || req.roles["smtp"].Value() != "mail01.example.com") {
			t.Errorf("%s: roles %v", q, req.roles)
		}
		h := http.Header{}
		h.Set(ScrapeTimeoutHeader, timeouts[i])
		if b, err := e.bound(h); err != nil || b != 900*time.Millisecond {
			t.Errorf("timeout %s: bound %v %v, want 900ms", timeouts[i], b, err)
		}
	}
}

// FuzzProbeRequest: whatever query and header a client sends, parsing ends in
// a request that names one host or a valid domain, and something to test, or
// in a 400.
func FuzzProbeRequest(f *testing.F) {
	queries, timeouts := prometheusRequests(f)
	for i := range queries {
		f.Add(queries[i], timeouts[i])
	}
	f.Add("target=198.18.0.1&ports=T:135,445,U:53&expect=open&timeout=1.5", "10")
	f.Add("target=[2001:db8::1]&profile=DC,sql-server&role=sql=sql01&timeout=500ms", "0.25")
	f.Add("target=198.18.1.1-20&ports=-", "1e9")
	f.Add("target=198.18.0.1&profile=biztalk-send-server&role=sql=sql01%5CBTS&expect=reachable", "5")
	f.Add("target=a:1&profile=&ports=&role=x=&target=", "NaN")
	f.Add("domain=lab.example&site=Site-A&dns_server=198.18.1.2&ports=T:445", "5")
	f.Add("domain=lab.example&dns_server=[2001:db8::53]:5353&profile=ad-dc-2016-2025", "5")
	f.Add("target=198.18.0.1&module=web&format=jsonl", "10")
	f.Add("target=198.18.0.1&module=web&module=&ports=T:1", "10")
	cat, err := profiles.Load()
	if err != nil {
		f.Fatal(err)
	}
	// And through modules that take no ad-hoc parameters: what passes is
	// the module's query, with the client's target and format only.
	mods, err := ParseModules("m.yml", []byte("ad_hoc_params: false\nmodules:\n  web: {ports: 'T:80', timeout: 2s}\n"), cat, 0)
	if err != nil {
		f.Fatal(err)
	}
	e := &Exporter{cfg: Config{MaxTime: 30 * time.Second, TimeoutOffset: 500 * time.Millisecond}}
	f.Fuzz(func(t *testing.T, query, timeout string) {
		vals, _ := url.ParseQuery(query) // as http.Request.URL.Query: what parses
		req, err := parseProbe(vals, cat)
		var b *badRequest
		switch {
		case err != nil && !errors.As(err, &b):
			t.Fatalf("%q: error %v is not a bad request", query, err)
		case err == nil:
			// One host, or a domain whose DCs the locator finds (or both).
			if req.target.Name == "" && req.domain == nil || strings.ContainsAny(req.target.Name, "/, ") {
				t.Fatalf("%q: target %q", query, req.target.Name)
			}
			if d := req.domain; d != nil && d.Validate() != nil {
				t.Fatalf("%q: domain %+v: %v", query, *d, d.Validate())
			}
			if len(req.profiles) == 0 && len(req.ports) == 0 {
				t.Fatalf("%q: nothing to test accepted", query)
			}
			if len(req.roles) > 0 && len(req.profiles) == 0 {
				t.Fatalf("%q: roles without a profile", query)
			}
			if req.timeout < 0 || req.timeout > maxAnswerTimeout {
				t.Fatalf("%q: timeout %v", query, req.timeout)
			}
			for _, p := range req.ports {
				if p.Lo == 0 || (p.Hi != 0 && p.Hi < p.Lo) {
					t.Fatalf("%q: port %+v", query, p)
				}
			}
		}
		mq, err := mods.apply(vals)
		switch {
		case err != nil && !errors.As(err, &b):
			t.Fatalf("%q: module error %v is not a bad request", query, err)
		case err == nil:
			for k, vs := range mq {
				if strings.TrimSpace(strings.Join(vs, "")) == "" {
					continue // an empty value counts as absent
				}
				if k != paramTarget && k != paramFormat && k != paramPorts && k != paramTimeout ||
					(k == paramPorts || k == paramTimeout) && len(vs) != 1 {
					t.Fatalf("%q: module query %v", query, mq)
				}
			}
		}
		h := http.Header{}
		h.Set(ScrapeTimeoutHeader, timeout)
		bound, err := e.bound(h)
		switch {
		case err != nil && !errors.As(err, &b):
			t.Fatalf("header %q: error %v is not a bad request", timeout, err)
		case err == nil && (bound <= 0 || bound > e.cfg.MaxTime):
			t.Fatalf("header %q: bound %v", timeout, bound)
		}
	})
}
