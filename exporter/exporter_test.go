package exporter

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

func newServer(t *testing.T, cfg Config) (*Exporter, *httptest.Server) {
	t.Helper()
	if cfg.Scanner.Timeout == 0 {
		cfg.Scanner.Timeout = 300 * time.Millisecond
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return e, srv
}

func allow(t testing.TB, specs ...string) AllowList {
	t.Helper()
	a, err := ParseAllowList(specs...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func portLabels(host, addr string, port uint16, proto string) map[string]string {
	return map[string]string{report.LabelHost: host, report.LabelAddress: addr,
		report.LabelPort: strconv.Itoa(int(port)), report.LabelProto: proto}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		out[a] = b
	}
	return out
}

// TestProbePorts: one scrape of two loopback ports, one listening, one not,
// both required open, parsed with Prometheus's text parser.
func TestProbePorts(t *testing.T) {
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8")})
	open, closed := listenTCP(t), closedTCP(t)
	q := fmt.Sprintf("/probe?target=127.0.0.1&ports=T:%d,%d&expect=open", open, closed)
	s := get(t, context.Background(), srv, q, "5")
	if s.status != http.StatusOK {
		t.Fatalf("status %d: %s", s.status, s.body)
	}
	o := portLabels("127.0.0.1", "127.0.0.1", open, "tcp")
	c := portLabels("127.0.0.1", "127.0.0.1", closed, "tcp")
	for _, st := range results.States {
		want := 0.0
		if st == results.Open {
			want = 1
		}
		if got := s.value(t, report.MetricPortState, with(o, report.LabelState, st.String())); got != want {
			t.Errorf("open port: state %s = %v, want %v", st, got, want)
		}
	}
	if got := s.value(t, report.MetricPortState, with(c, report.LabelState, "closed")); got != 1 {
		t.Errorf("closed port: state closed = %v", got)
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{report.MetricPortUp, o, 1},
		{report.MetricPortUp, c, 0},
		{report.MetricExpectationFailed, with(o, report.LabelExpect, "open"), 0},
		{report.MetricExpectationFailed, with(c, report.LabelExpect, "open"), 1},
		{report.MetricHostFailed, map[string]string{report.LabelHost: "127.0.0.1"}, 1},
		{MetricProbeSuccess, nil, 0},
		{report.MetricRunIncomplete, nil, 0},
		{MetricProbeTimeout, nil, 4.5}, // 5s less the 0.5s offset
	}
	for _, c := range checks {
		if got := s.value(t, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if rtt := s.value(t, report.MetricPortRTT, o); rtt <= 0 {
		t.Errorf("open port rtt %v", rtt)
	}
	if d := s.value(t, MetricProbeDuration, nil); d <= 0 || d > 4.5 {
		t.Errorf("probe duration %v, want within (0, 4.5]", d)
	}

	s = get(t, context.Background(), srv, fmt.Sprintf("/probe?target=127.0.0.1&ports=%d&expect=open", open), "")
	if got := s.value(t, MetricProbeSuccess, nil); got != 1 {
		t.Errorf("open port alone: probe success %v\n%s", got, s.body)
	}
	if got := s.value(t, MetricProbeTimeout, nil); got != 30 {
		t.Errorf("without the header the bound is MaxTime's default: %v", got)
	}
}

// TestAllowList: nothing is scanned outside the allow-list, including role hosts
// and names whose address is outside it.
func TestAllowList(t *testing.T) {
	open := listenTCP(t)
	dns, res := startDNS(t, map[string][][]netip.Addr{
		"outside.test.": {{netip.MustParseAddr("127.0.0.2")}},
		"mixed.test.":   {{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.1")}},
	})
	cases := []struct {
		name   string
		allow  []string
		target string
		status int
		msg    string
	}{
		{"default refuses everything", nil, "127.0.0.1", 403,
			"portreach: target 127.0.0.1 is not in the allow-list (nothing); start portreach serve with --allow to permit its network\n"},
		{"other network", []string{"198.18.0.0/15"}, "127.0.0.1", 403,
			"portreach: target 127.0.0.1 is not in the allow-list (198.18.0.0/15); start portreach serve with --allow to permit its network\n"},
		{"neighbour address", []string{"127.0.0.1"}, "127.0.0.2", 403,
			"portreach: target 127.0.0.2 is not in the allow-list (127.0.0.1/32); start portreach serve with --allow to permit its network\n"},
		{"IPv6 loopback, IPv4 allowed", []string{"127.0.0.0/8"}, "::1", 403,
			"portreach: target ::1 is not in the allow-list (127.0.0.0/8); start portreach serve with --allow to permit its network\n"},
		{"IPv4-mapped counts as IPv4", []string{"127.0.0.1"}, "::ffff:127.0.0.1", 200, ""},
		{"name resolving outside", []string{"127.0.0.1"}, "outside.test", 403,
			"portreach: target outside.test: no address it resolves to is in the allow-list (127.0.0.1/32); start portreach serve with --allow to permit its network\n"},
		{"name with one allowed address", []string{"127.0.0.1"}, "mixed.test", 200, ""},
		{"allowed", []string{"127.0.0.0/8"}, "127.0.0.1", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, srv := newServer(t, Config{Allow: allow(t, c.allow...), Scanner: scan.Scanner{Resolver: res}})
			s := get(t, context.Background(), srv, fmt.Sprintf("/probe?target=%s&ports=%d", url.QueryEscape(c.target), open), "")
			if s.status != c.status || (c.msg != "" && s.body != c.msg) {
				t.Fatalf("status %d %q, want %d %q", s.status, s.body, c.status, c.msg)
			}
			if c.status == 200 {
				if got := s.value(t, report.MetricPortUp, map[string]string{report.LabelAddress: "127.0.0.1"}); got != 1 {
					t.Errorf("port up %v", got)
				}
			}
		})
	}
	if n := dns.Lookups("mixed.test."); n != 1 {
		t.Errorf("mixed.test looked up %d times, want once", n)
	}
}

// addresses=all: a name with an IPv4 and an IPv6 address is scanned on both,
// each with its own series; an address outside the allow-list refuses the
// probe instead of leaving the address out.
func TestAllAddresses(t *testing.T) {
	open := listenTCP(t)
	_, res := startDNS(t, map[string][][]netip.Addr{"both.test.": {{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}}})
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8", "::1"), Scanner: scan.Scanner{Resolver: res}})
	s := get(t, context.Background(), srv, fmt.Sprintf("/probe?target=both.test&ports=%d&addresses=all", open), "")
	if s.status != 200 {
		t.Fatalf("status %d: %s", s.status, s.body)
	}
	if got := s.value(t, report.MetricPortUp, portLabels("both.test", "127.0.0.1", open, "tcp")); got != 1 {
		t.Errorf("127.0.0.1: port up %v", got)
	}
	if got := len(s.series(report.MetricPortUp, map[string]string{report.LabelAddress: "::1"})); got != 1 {
		t.Errorf("::1: %d series\n%s", got, s.body)
	}
	s = get(t, context.Background(), srv, fmt.Sprintf("/probe?target=both.test&ports=%d", open), "")
	if got := len(s.series(report.MetricPortUp, nil)); s.status != 200 || got != 1 {
		t.Errorf("first address: %d, %d series", s.status, got)
	}
	_, srv = newServer(t, Config{Allow: allow(t, "127.0.0.0/8"), Scanner: scan.Scanner{Resolver: res}})
	s = get(t, context.Background(), srv, fmt.Sprintf("/probe?target=both.test&ports=%d&addresses=all", open), "")
	if want := "portreach: target both.test: not every address it resolves to is in the allow-list (127.0.0.0/8); addresses=all scans every address: start portreach serve with --allow to permit its networks\n"; s.status != 403 || s.body != want {
		t.Errorf("::1 outside: %d %q", s.status, s.body)
	}
}

// TestResolveOnce: a name is resolved once and the address the allow-list
// checked is the address scanned, even when the name's next answer (DNS
// rebinding) points elsewhere.
func TestResolveOnce(t *testing.T) {
	open := listenTCP(t)
	dns, res := startDNS(t, map[string][][]netip.Addr{
		"rebind.test.": {{netip.MustParseAddr("127.0.0.1")}, {netip.MustParseAddr("127.0.0.3")}},
	})
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.1/32"), Scanner: scan.Scanner{Resolver: res}})
	s := get(t, context.Background(), srv, fmt.Sprintf("/probe?target=rebind.test&ports=%d", open), "")
	if s.status != 200 {
		t.Fatalf("status %d: %s", s.status, s.body)
	}
	if got := s.value(t, report.MetricPortUp, portLabels("rebind.test", "127.0.0.1", open, "tcp")); got != 1 {
		t.Errorf("port up %v", got)
	}
	if n := dns.Lookups("rebind.test."); n != 1 {
		t.Errorf("rebind.test looked up %d times, want once", n)
	}
	// The next answer is outside the allow-list: refused, not scanned.
	s = get(t, context.Background(), srv, fmt.Sprintf("/probe?target=rebind.test&ports=%d", open), "")
	if want := "portreach: target rebind.test: no address it resolves to is in the allow-list (127.0.0.1/32); start portreach serve with --allow to permit its network\n"; s.status != 403 || s.body != want {
		t.Errorf("second probe: %d %q", s.status, s.body)
	}
}

// TestUnresolvable: a name that does not resolve is a failed probe (success 0,
// an error series for the host), not a failed scrape.
func TestUnresolvable(t *testing.T) {
	_, res := startDNS(t, map[string][][]netip.Addr{})
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8"), Scanner: scan.Scanner{Resolver: res}})
	s := get(t, context.Background(), srv, "/probe?target=nosuch.test&ports=80", "")
	if s.status != 200 {
		t.Fatalf("status %d: %s", s.status, s.body)
	}
	if got := s.value(t, MetricProbeSuccess, nil); got != 0 {
		t.Errorf("probe success %v", got)
	}
	if got := s.value(t, report.MetricPortState, map[string]string{report.LabelHost: "nosuch.test", report.LabelState: "error"}); got != 1 {
		t.Errorf("error state %v", got)
	}
	// A lookup that the DNS server never answers ends with the probe's bound.
	s = get(t, context.Background(), srv, "/probe?target=silent.test&ports=80", "0.5")
	if s.status != 200 {
		t.Fatalf("silent DNS: status %d: %s", s.status, s.body)
	}
	if got := s.value(t, report.MetricPortState, map[string]string{report.LabelHost: "silent.test", report.LabelState: "error"}); got != 1 {
		t.Errorf("silent DNS: error state %v", got)
	}
	// Not a speed target: unbounded, the resolver would wait for its own
	// timeouts (5 s and more); well under that, the 0.5 s bound was applied.
	if d := s.value(t, MetricProbeDuration, nil); d > 2.5 {
		t.Errorf("silent DNS: probe took %vs: the 0.5s scrape timeout was not applied", d)
	}
	if got := s.value(t, report.MetricRunIncomplete, nil); got != 1 {
		t.Errorf("silent DNS: incomplete %v", got)
	}
	s = get(t, context.Background(), srv, "/probe?target=nosuch.test&ports=80", "")
	// As in the textfile output, host_failed counts failed expectations only;
	// the error state and probe_success carry the failed lookup.
	if got := s.value(t, report.MetricHostFailed, map[string]string{report.LabelHost: "nosuch.test"}); got != 0 {
		t.Errorf("host failed %v", got)
	}
}

// TestBadRequests: every malformed request gets 400 and a message that says
// what to fix.
func TestBadRequests(t *testing.T) {
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8"), MaxPorts: 100})
	cases := []struct{ query, header, msg string }{
		{"", "", "missing target: /probe?target=HOST&profile=SLUG (or domain=DOMAIN)"},
		{"target=127.0.0.1", "", "nothing to probe: give profile=SLUG or ports=LIST (T:135,445,U:53)"},
		{"target=127.0.0.1&profle=dc", "", `unknown parameter "profle" (known: target, module, profile, ports, role, timeout, expect, trace, addresses, format, domain, site, dns_server)`},
		{"site=Site-A&ports=1", "", "site and dns_server need domain=DOMAIN"},
		{"domain=lab..example&ports=1", "", `domain "lab..example" has an empty label`},
		{"domain=lab.example&site=Site%20A&ports=1", "", `site "Site A": not a DNS label (letters, digits, '-' and '_', at most 63)`},
		{"domain=lab.example&dns_server=dc01&ports=1", "", `dns_server "dc01": want an IP address, optionally with a port (198.18.1.2, 198.18.1.2:5353, [2001:db8::53]:53)`},
		{"domain=lab.example", "", "nothing to probe: give profile=SLUG or ports=LIST (T:135,445,U:53)"},
		{"target=127.0.0.1&target=127.0.0.2&ports=1", "", "target given 2 times; give it once"},
		{"target=127.0.0.0/24&ports=1", "", `target "127.0.0.0/24": one host per probe, not a network or range (scrape each host as its own target)`},
		{"target=127.0.0.1-5&ports=1", "", `target "127.0.0.1-5": one host per probe, not a network or range (scrape each host as its own target)`},
		{"target=dc01:389&ports=1", "", `target "dc01:389": give the host alone; ports come from the profile or ports=`},
		{"target=bad_host!&ports=1", "", `target: target "bad_host!": `},
		{"target=127.0.0.1&ports=T:99999", "", `ports: port list "T:99999": `},
		{"target=127.0.0.1&ports=X:1", "", `ports: port list "X:1": unknown protocol prefix "X:" (use T: for TCP or U: for UDP)`},
		{"target=127.0.0.1&ports=1-200", "", "200 ports to test; this exporter allows at most 100 a probe (--max-ports)"},
		{"target=127.0.0.1&ports=1&expect=up", "", `expect "up": want open, closed, reachable or blocked`},
		{"target=127.0.0.1&profile=domain-controller", "", `profile "domain-controller": this exporter has no profiles`},
		{"target=127.0.0.1&ports=1&role=sql=127.0.0.1", "", "role needs a profile with destination roles"},
		{"target=127.0.0.1&ports=1&role=sql", "", `role "sql": want ROLE=HOST or ROLE=HOST\INSTANCE, e.g. role=sql=sql01 or role=sql=sql01\BTS`},
		{"target=127.0.0.1&ports=1&role=sql=sql01%5Cno%20such", "", `role "sql=sql01\\no such": instance name "no such": ' ' cannot be part of an instance name`},
		{"target=127.0.0.1&ports=1&timeout=fast", "", `timeout "fast": want a duration such as 2s, 500ms or 1.5`},
		{"target=127.0.0.1&ports=1&timeout=-1", "", `timeout "-1": want a positive duration`},
		{"target=127.0.0.1&ports=1&timeout=2m", "", `timeout "2m": at most 1m0s`},
		{"target=127.0.0.1&ports=1&trace=yes", "", `trace "yes": want 1 (trace where filtered ports' packets stop) or 0`},
		{"target=127.0.0.1&ports=1&trace=1&trace=0", "", "trace given 2 times; give it once"},
		{"target=127.0.0.1&profile=" + strings.Repeat("x", 1025), "", "profile: longer than 1024 bytes"},
		{"target=0.0.0.0&ports=1", "", "target 0.0.0.0: not a host address"},
		{"target=::&ports=1", "", "target ::: not a host address"},
		{"target=224.0.0.1&ports=1", "", "target 224.0.0.1: not a host address"},
		{"target=127.0.0.1&ports=1", "0.005", `X-Prometheus-Scrape-Timeout-Seconds "0.005": shorter than 10ms, too short for any scan`},
		{"target=127.0.0.1&ports=1", "ten", `X-Prometheus-Scrape-Timeout-Seconds "ten": want a positive number of seconds`},
		{"target=127.0.0.1&ports=1", "0", `X-Prometheus-Scrape-Timeout-Seconds "0": want a positive number of seconds`},
	}
	for _, c := range cases {
		s := get(t, context.Background(), srv, "/probe?"+c.query, c.header)
		if s.status != http.StatusBadRequest || !strings.HasPrefix(s.body, "portreach: "+c.msg) {
			t.Errorf("%s: %d %q, want 400 %q", c.query, s.status, s.body, c.msg)
		}
	}
	resp, err := srv.Client().Post(srv.URL+"/probe?target=127.0.0.1&ports=1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	m := get(t, context.Background(), srv, "/metrics", "")
	if got := m.value(t, metricProbesTotal, map[string]string{"outcome": outcomeBad}); got != float64(len(cases)+1) {
		t.Errorf("bad requests counted %v, want %d", got, len(cases)+1)
	}
}

// TestScrapeTimeoutHeader: a probe whose ports would keep the scan waiting
// for 10s (a silent UDP port, 5s timeout, one retry) ends within the bound the
// scrape timeout header gives, and says it was cut short.
func TestScrapeTimeoutHeader(t *testing.T) {
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8")})
	silent := silentUDP(t)
	s := get(t, context.Background(), srv, fmt.Sprintf("/probe?target=127.0.0.1&ports=U:%d&timeout=5s", silent), "1.5")
	if s.status != 200 {
		t.Fatalf("status %d: %s", s.status, s.body)
	}
	if got := s.value(t, MetricProbeTimeout, nil); got != 1.35 { // 1.5s less a tenth (under the 0.5s offset)
		t.Errorf("bound %v, want 1.35", got)
	}
	// Not a speed target: unbounded, the port would take 10 s; well under that,
	// the 1.35 s bound (checked exactly above) was applied.
	if d := s.value(t, MetricProbeDuration, nil); d > 5 {
		t.Errorf("probe took %vs: the 1.5s scrape timeout was not applied", d)
	}
	if got := s.value(t, report.MetricRunIncomplete, nil); got != 1 {
		t.Errorf("incomplete %v", got)
	}
	if got := s.value(t, report.MetricPortState, with(portLabels("127.0.0.1", "127.0.0.1", silent, "udp"), report.LabelState, "unknown")); got != 1 {
		t.Errorf("silent port not unknown\n%s", s.body)
	}
	if got := s.value(t, MetricProbeSuccess, nil); got != 0 {
		t.Errorf("probe success %v for a scan cut short", got)
	}
}

// TestBusy: with every slot taken, a probe waits half its bound and gets 503; a
// client that goes away cancels its scan.
func TestBusy(t *testing.T) {
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8"), MaxProbes: 1})
	silent := silentUDP(t)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/probe?target=127.0.0.1&ports=U:%d&timeout=20s", srv.URL, silent), nil)
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		first <- err
	}()
	for i := 0; ; i++ {
		m := get(t, context.Background(), srv, "/metrics", "")
		if m.value(t, metricInFlight, nil) == 1 {
			break
		}
		if i == 1000 {
			t.Fatal("first probe never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	s := get(t, context.Background(), srv, "/probe?target=127.0.0.1&ports=1", "0.4")
	if s.status != http.StatusServiceUnavailable || s.body != "portreach: busy: 1 probes already running (--max-probes); none finished within 180ms\n" {
		t.Errorf("second probe: %d %q", s.status, s.body)
	}
	cancel()
	if err := <-first; err == nil {
		t.Error("first probe answered after its client went away")
	}
	for i := 0; ; i++ {
		m := get(t, context.Background(), srv, "/metrics", "")
		if m.value(t, metricProbesTotal, map[string]string{"outcome": outcomeCanceled}) == 1 {
			break
		}
		if i == 1000 {
			t.Fatal("canceled probe never counted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A scrape of /metrics is no snapshot: the registry collects the gauge
	// and the counter one after the other (concurrently), so the scrape that
	// saw the canceled probe counted may have read the gauge before the scan
	// ended. The probe leaves flight before it is counted: every later scrape
	// sees the gauge at 0.
	m := get(t, context.Background(), srv, "/metrics", "")
	if got := m.value(t, metricInFlight, nil); got != 0 {
		t.Errorf("in flight %v after the scan was canceled", got)
	}
	if got := m.value(t, metricProbesTotal, map[string]string{"outcome": outcomeBusy}); got != 1 {
		t.Errorf("busy counted %v", got)
	}
}

// TestMetrics: the exporter's own metrics include the Go runtime and count
// probes by outcome.
func TestMetrics(t *testing.T) {
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8", "2001:db8::/32")})
	open := listenTCP(t)
	get(t, context.Background(), srv, fmt.Sprintf("/probe?target=127.0.0.1&ports=%d&expect=open", open), "")
	get(t, context.Background(), srv, fmt.Sprintf("/probe?target=127.0.0.1&ports=%d&expect=closed", open), "")
	get(t, context.Background(), srv, "/probe?target=198.18.0.1&ports=1", "")
	m := get(t, context.Background(), srv, "/metrics", "")
	for outcome, want := range map[string]float64{outcomeSuccess: 1, outcomeFailure: 1, outcomeRefused: 1, outcomeBusy: 0, outcomeError: 0} {
		if got := m.value(t, metricProbesTotal, map[string]string{"outcome": outcome}); got != want {
			t.Errorf("probes %s = %v, want %v", outcome, got, want)
		}
	}
	if got := m.value(t, metricAllowPrefixes, nil); got != 2 {
		t.Errorf("allowed networks %v", got)
	}
	if got := m.value(t, "go_goroutines", nil); got < 1 {
		t.Errorf("go_goroutines %v", got)
	}
	if f := m.fams[metricProbeSeconds]; f == nil || f.GetMetric()[0].GetHistogram().GetSampleCount() != 2 {
		t.Errorf("duration histogram: %v", f)
	}
}

// TestPage: the page lists the latest probes, escaping what came from the
// request, with a link that runs the probe again. Requests refused before a
// scan (400, 403) are counted, not listed: 20 of them filled the page's
// history of 20 (#18.9).
func TestPage(t *testing.T) {
	// A SQL Browser whose instance name carries markup and a terminal escape
	// sequence: text from the network, shown in the probe's rows.
	browser := testnet.StartLoopbackSQLBrowser(t, []testnet.SQLInstance{
		{Server: "EVIL", Name: "<b>\"x\"</b>\x1b[31mRED", Version: "15.0.2000.5", TCPPort: closedTCP(t)}})
	// And a profile file whose text carries them too: text from users.
	cat := browserCatalog(t, browser)
	open := listenTCP(t)
	file := fmt.Sprintf(`{"profiles": [{"slug": "test-escape", "name": "Escape\u001b[2J", "description": "Rings\u0007 a bell.", "product": "Test",
  "entries": [{"proto": "tcp", "port": %d, "service": "Web\u001b]0;title\u0007", "purpose": "a port", "expect": "open"}]}]}`, open)
	if err := cat.AddFile("test-escape.json", []byte(file)); err != nil {
		t.Fatal(err)
	}
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8"), Catalog: cat})
	get(t, context.Background(), srv, fmt.Sprintf("/probe?target=127.0.0.1&ports=%d&expect=open", open), "")
	get(t, context.Background(), srv, "/probe?target="+url.QueryEscape(`<b>"x"</b>`)+"&ports=1", "")
	get(t, context.Background(), srv, "/probe?target=127.0.0.1&ports="+url.QueryEscape(`<i>1</i>`), "")
	for range 20 {
		get(t, context.Background(), srv, "/probe?target=198.18.0.1&ports=1", "")
	}
	get(t, context.Background(), srv, "/probe?target=127.0.0.1&profile=test-browser", "")
	get(t, context.Background(), srv, "/probe?target=127.0.0.1&profile=test-escape", "")
	p := get(t, context.Background(), srv, "/", "")
	if p.status != 200 {
		t.Fatalf("page: %d", p.status)
	}
	for _, want := range []string{
		`<a href="/probe?target=127.0.0.1&amp;ports=` + strconv.Itoa(int(open)) + `&amp;expect=open">again</a>`,
		`<span class="ok">success</span>`,
		`1 open`,
		`<td class="n">` + strconv.Itoa(int(open)) + `/tcp</td><td>open</td><td>syn-ack</td>`,
		`<td>&lt;b&gt;&#34;x&#34;&lt;/b&gt;\x1b[31mRED 15.0.2000.5`,
		`<td>Web\x1b]0;title\x07</td>`,
		`<td>Escape\x1b[2J</td>`,
		`Rings\x07 a bell.`,
		`Not listed: requests refused before any scan, 2 with bad parameters (400), 20 for a target outside the allow-list (403)`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, not := range []string{`<b>`, `<i>`, "\x1b", "\x07", `bad_request (400)`, `refused (403)`, `198.18.0.1`} {
		if strings.Contains(p.body, not) {
			t.Errorf("page has %q", not)
		}
	}
	if nf := get(t, context.Background(), srv, "/nothing", ""); nf.status != 404 {
		t.Errorf("/nothing: %d", nf.status)
	}
}

// expect=reachable: a closed port passes, and with a profile every must-be-open
// entry becomes must-be-reachable; the reason series says why each port came
// out as it did.
func TestExpectReachable(t *testing.T) {
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8"), Catalog: cat})
	closed := closedTCP(t)
	s := get(t, context.Background(), srv, fmt.Sprintf("/probe?target=127.0.0.1&ports=T:%d&expect=reachable", closed), "5")
	c := portLabels("127.0.0.1", "127.0.0.1", closed, "tcp")
	if got := s.value(t, report.MetricExpectationFailed, with(c, report.LabelExpect, "reachable")); got != 0 {
		t.Errorf("closed port, reachable: expectation failed %v\n%s", got, s.body)
	}
	if got := s.value(t, report.MetricPortReason, with(with(c, report.LabelStatus, "met"), report.LabelReason, "conn-refused")); got != 1 {
		t.Errorf("reason series %v\n%s", got, s.body)
	}
	if got := s.value(t, MetricProbeSuccess, nil); got != 1 {
		t.Errorf("probe success %v", got)
	}

	// The kerberos-kdc profile on loopback, where nothing listens on 88: not
	// open, yet reachable (RST, port unreachable).
	s = get(t, context.Background(), srv, "/probe?target=127.0.0.1&profile=kerberos-kdc&expect=reachable", "5")
	if s.status != http.StatusOK || len(s.series(report.MetricExpectationFailed, map[string]string{report.LabelExpect: "reachable"})) == 0 {
		t.Fatalf("profile with expect=reachable: %d\n%s", s.status, s.body)
	}
	if got := s.value(t, MetricProbeSuccess, nil); got != 1 {
		t.Errorf("nothing listens, every entry reachable: probe success %v\n%s", got, s.body)
	}
	if s := get(t, context.Background(), srv, "/probe?target=127.0.0.1&profile=kerberos-kdc&expect=open", ""); s.status != http.StatusBadRequest {
		t.Errorf("expect=open with a profile: %d", s.status)
	}
}

// expect=blocked: a closed port fails (the RST got back: passed-firewall), and
// the probe with it; with a profile every must-be-open entry becomes
// must-be-blocked.
func TestExpectBlocked(t *testing.T) {
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8"), Catalog: cat})
	closed := closedTCP(t)
	s := get(t, context.Background(), srv, fmt.Sprintf("/probe?target=127.0.0.1&ports=T:%d&expect=blocked", closed), "5")
	c := portLabels("127.0.0.1", "127.0.0.1", closed, "tcp")
	if got := s.value(t, report.MetricExpectationFailed, with(c, report.LabelExpect, "blocked")); got != 1 {
		t.Errorf("closed port, blocked: expectation failed %v\n%s", got, s.body)
	}
	if got := s.value(t, report.MetricPortReason, with(with(c, report.LabelStatus, "failed"), report.LabelReason, "passed-firewall")); got != 1 {
		t.Errorf("reason series %v\n%s", got, s.body)
	}
	if got := s.value(t, MetricProbeSuccess, nil); got != 0 {
		t.Errorf("probe success %v", got)
	}
	s = get(t, context.Background(), srv, "/probe?target=127.0.0.1&profile=kerberos-kdc&expect=blocked", "5")
	if s.status != http.StatusOK || len(s.series(report.MetricExpectationFailed, map[string]string{report.LabelExpect: "blocked"})) == 0 {
		t.Fatalf("profile with expect=blocked: %d\n%s", s.status, s.body)
	}
	if got := s.value(t, MetricProbeSuccess, nil); got != 0 {
		t.Errorf("nothing listens on loopback, nothing blocks it: probe success %v\n%s", got, s.body)
	}
}

// role= takes a SQL Server named instance as --role does: HOST\INSTANCE.
func TestRoleNamedInstance(t *testing.T) {
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	q, _ := url.ParseQuery(`target=127.0.0.1&profile=biztalk-send-server&role=sql=127.0.0.2%5CBTS`)
	req, err := parseProbe(q, cat)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.roles["sql"].Value(); got != `127.0.0.2\BTS` {
		t.Errorf("role sql = %q", got)
	}
}

// trace=1 asks for traces (Scanner.Trace), trace=0 for none, whatever serve's
// --trace says; without it, --trace decides.
func TestTraceParam(t *testing.T) {
	for query, want := range map[string]string{"": "default", "&trace=1": "true", "&trace=0": "false", "&trace=": "default"} {
		q, _ := url.ParseQuery("target=127.0.0.1&ports=80" + query)
		req, err := parseProbe(q, nil)
		if err != nil {
			t.Fatalf("%q: %v", query, err)
		}
		got := "default"
		if req.trace != nil {
			got = strconv.FormatBool(*req.trace)
		}
		if got != want {
			t.Errorf("%q: trace %s, want %s", query, got, want)
		}
	}
}

// A SQL Browser listing 700 instances gave a five-port probe 701 ports and
// 5608 series (issue 18 item 8): the instance ports count against --max-ports
// like the planned ones, the rest is one port-limit series, and the probe
// says it did not test everything (success 0, incomplete 1) without blaming
// the Browser, which answered.
func TestMaxPortsFollowUps(t *testing.T) {
	instances := make([]testnet.SQLInstance, 700)
	for i := range instances {
		instances[i] = testnet.SQLInstance{Server: "EVIL", Name: fmt.Sprintf("I%d", i), Version: "15.0.2000.5", TCPPort: uint16(20000 + i)}
	}
	browser := testnet.StartLoopbackSQLBrowser(t, instances)
	cat := browserCatalog(t, browser)
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8"), Catalog: cat, MaxPorts: 5})
	s := get(t, context.Background(), srv, "/probe?target=127.0.0.1&profile=test-browser", "10")
	if s.status != http.StatusOK {
		t.Fatalf("status %d: %s", s.status, s.body)
	}
	ports := map[string]bool{}
	for _, m := range s.fams[report.MetricPortUp].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == report.LabelPort {
				ports[l.GetValue()] = true
			}
		}
	}
	// The Browser, four instance ports, and the port-less row for the rest
	// (port="", as a row without a port has in every format).
	if len(ports) != 6 || !ports[""] || !ports[strconv.Itoa(int(browser))] {
		t.Errorf("ports %v, want 6", ports)
	}
	if n := len(s.fams[report.MetricPortState].GetMetric()); n != 6*len(results.States) {
		t.Errorf("%d state series, want %d", n, 6*len(results.States))
	}
	limit := map[string]string{report.LabelPort: "", report.LabelProto: "tcp", report.LabelStatus: "failed", report.LabelReason: "port-limit"}
	if got := s.value(t, report.MetricPortReason, limit); got != 1 {
		t.Errorf("port-limit reason %v", got)
	}
	browserRow := map[string]string{report.LabelPort: strconv.Itoa(int(browser)), report.LabelProto: "udp", report.LabelExpect: "open"}
	if got := s.value(t, report.MetricExpectationFailed, browserRow); got != 0 {
		t.Errorf("the Browser is blamed: expectation failed %v", got)
	}
	if got := s.value(t, MetricProbeSuccess, nil); got != 0 {
		t.Errorf("probe success %v with ports left untested", got)
	}
	if got := s.value(t, report.MetricRunIncomplete, nil); got != 1 {
		t.Errorf("incomplete %v", got)
	}
}

// browserCatalog is the built-in catalogue and a profile "test-browser" that
// requires a SQL Browser on 127.0.0.1's UDP port.
func browserCatalog(t *testing.T, port uint16) *profiles.Catalog {
	t.Helper()
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	file := fmt.Sprintf(`{"profiles": [{"slug": "test-browser", "name": "Test Browser", "description": "A SQL Browser on a test port.", "product": "Test",
  "entries": [{"proto": "udp", "port": %d, "service": "SQL Browser", "purpose": "instances", "probe": "sqlbrowser", "expect": "open"}]}]}`, port)
	if err := cat.AddFile("test-browser.json", []byte(file)); err != nil {
		t.Fatal(err)
	}
	return cat
}

// A 403 told any client what a name resolves to (#18.9): "target x resolves
// to 10.9.8.7, not in the allow-list". Now every refused name gets the same
// answer whatever its addresses, including a name that resolves to 0.0.0.0 or
// a multicast group under an allow-list that covers them (a 400 naming the
// address before).
func TestRefusalRevealsNothing(t *testing.T) {
	_, res := startDNS(t, map[string][][]netip.Addr{
		"a.test.": {{netip.MustParseAddr("127.0.0.2")}},
		"b.test.": {{netip.MustParseAddr("10.9.8.7"), netip.MustParseAddr("2001:db8::7")}},
		"c.test.": {{netip.MustParseAddr("0.0.0.0")}},
		"d.test.": {{netip.MustParseAddr("224.0.0.1")}},
	})
	for _, allowed := range []string{"127.0.0.1/32", "0.0.0.0/0"} {
		_, srv := newServer(t, Config{Allow: allow(t, allowed), Scanner: scan.Scanner{Resolver: res}})
		for _, name := range []string{"a.test", "b.test", "c.test", "d.test"} {
			if allowed == "0.0.0.0/0" && (name == "a.test" || name == "b.test") {
				continue // allowed: scanned
			}
			s := get(t, context.Background(), srv, "/probe?target="+name+"&ports=1", "")
			want := "portreach: target " + name + ": no address it resolves to is in the allow-list (" + allowed + "); start portreach serve with --allow to permit its network\n"
			if s.status != http.StatusForbidden || s.body != want {
				t.Errorf("--allow %s, %s: %d %q, want 403 %q", allowed, name, s.status, s.body, want)
			}
			s = get(t, context.Background(), srv, "/probe?addresses=all&target="+name+"&ports=1", "")
			want = "portreach: target " + name + ": not every address it resolves to is in the allow-list (" + allowed + "); addresses=all scans every address: start portreach serve with --allow to permit its networks\n"
			if s.status != http.StatusForbidden || s.body != want {
				t.Errorf("--allow %s, %s, addresses=all: %d %q, want 403 %q", allowed, name, s.status, s.body, want)
			}
		}
	}
}

// domain=: the DCs the locator finds are the probe's targets, held to the
// allow-list as a target is; a DNS server outside it is refused.
func TestProbeDomain(t *testing.T) {
	open := listenTCP(t)
	dns, _ := startDNS(t, map[string][][]netip.Addr{
		"dc1.lab.test.": {{netip.MustParseAddr("127.0.0.1")}},
		"dc2.lab.test.": {{netip.MustParseAddr("127.0.0.9")}},
	})
	dns.SetSRV("_ldap._tcp.dc._msdcs.lab.test.", 389, "dc1.lab.test.", "dc2.lab.test.")
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.1/32"), Scanner: scan.Scanner{Timeout: 200 * time.Millisecond, Retries: new(0)}})
	s := get(t, context.Background(), srv, fmt.Sprintf("/probe?domain=lab.test&dns_server=%s&ports=%d", dns.Addr(), open), "")
	if s.status != 200 {
		t.Fatalf("status %d: %s", s.status, s.body)
	}
	if got := s.value(t, report.MetricPortUp, portLabels("dc1.lab.test", "127.0.0.1", open, "tcp")); got != 1 {
		t.Errorf("dc1's port up %v", got)
	}
	if got := s.value(t, report.MetricPortState, map[string]string{report.LabelHost: "dc2.lab.test", report.LabelAddress: "", report.LabelState: "error"}); got != 1 {
		t.Errorf("dc2 (outside the allow-list) not reported as an error: %v", got)
	}
	// What dc2 resolves to is not the client's to learn (#18.9).
	if strings.Contains(s.body, "127.0.0.9") {
		t.Errorf("the answer names dc2's address outside the allow-list:\n%s", s.body)
	}
	if got := s.value(t, MetricProbeSuccess, nil); got != 0 {
		t.Errorf("probe success %v with a DC outside the allow-list", got)
	}
	s = get(t, context.Background(), srv, fmt.Sprintf("/probe?domain=lab.test&dns_server=127.0.0.5&ports=%d", open), "")
	if s.status != 403 || !strings.Contains(s.body, "dns_server 127.0.0.5 is not in the allow-list") {
		t.Errorf("DNS server outside the allow-list: %d %q", s.status, s.body)
	}
}

// domain=: a DC's clock is a series of its own (portreach_dc_clock_offset_seconds)
// and fails its check beyond --max-skew (clock-skew); each record that named
// the DC is a portreach_dc_record_info series.
func TestProbeDomainClock(t *testing.T) {
	ntp := testnet.ServeLocalUDP(t, func(b []byte) []byte { return testnet.NTPReply(b, 400*time.Second) })
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	// A DC profile whose NTP server listens where the stand-in does.
	err = cat.AddFile(filepath.Join(t.TempDir(), "dc-time.json"), fmt.Appendf(nil, `{"profiles": [
  {"slug": "dc-time", "name": "DC time", "description": "d", "product": "p",
   "entries": [{"proto": "udp", "port": %d, "service": "NTP", "purpose": "Windows Time", "probe": "ntp", "expect": "open"}]}
]}`, ntp))
	if err != nil {
		t.Fatal(err)
	}
	dns, _ := startDNS(t, map[string][][]netip.Addr{"dc1.lab.test.": {{netip.MustParseAddr("127.0.0.1")}}})
	dns.SetSRV("_ldap._tcp.dc._msdcs.lab.test.", 389, "dc1.lab.test.")
	_, srv := newServer(t, Config{Catalog: cat, Allow: allow(t, "127.0.0.1/32"), Scanner: scan.Scanner{Timeout: 500 * time.Millisecond, Retries: new(1)}})
	s := get(t, context.Background(), srv, fmt.Sprintf("/probe?domain=lab.test&dns_server=%s&profile=dc-time", dns.Addr()), "")
	if s.status != 200 {
		t.Fatalf("status %d: %s", s.status, s.body)
	}
	c := portLabels("dc1.lab.test", "127.0.0.1", ntp, "udp")
	if got := s.value(t, report.MetricDCClockOffset, c); got < 398 || got > 402 {
		t.Errorf("clock offset %v, want about 400\n%s", got, s.body)
	}
	if got := s.value(t, report.MetricPortReason, with(with(c, report.LabelStatus, "failed"), report.LabelReason, "clock-skew")); got != 1 {
		t.Errorf("clock-skew reason %v", got)
	}
	rec := map[string]string{report.LabelHost: "dc1.lab.test", report.LabelAddress: "127.0.0.1", report.LabelRecord: "_ldap._tcp.dc._msdcs.lab.test"}
	if got := s.value(t, report.MetricDCRecord, rec); got != 1 {
		t.Errorf("record info %v", got)
	}
	if got := s.value(t, MetricProbeSuccess, nil); got != 0 {
		t.Errorf("probe success %v with a DC's clock 400s ahead", got)
	}
}
