package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/portreach/portreach/checklist"
	"github.com/portreach/portreach/exporter"
	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
	"github.com/portreach/portreach/scan"
)

// scrapeResult is one /probe or /metrics answer, parsed with Prometheus's
// text parser when it is a 200.
type scrapeResult struct {
	status int
	body   string
	fams   map[string]*dto.MetricFamily
}

func scrapeURL(t *testing.T, url, timeout string) scrapeResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if timeout != "" {
		req.Header.Set(exporter.ScrapeTimeoutHeader, timeout)
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
	s := scrapeResult{status: resp.StatusCode, body: string(b)}
	if s.status == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		p := expfmt.NewTextParser(model.LegacyValidation)
		if s.fams, err = p.TextToMetricFamilies(strings.NewReader(s.body)); err != nil {
			t.Fatalf("%s: %v\n%s", url, err, s.body)
		}
	}
	return s
}

// values returns name's series whose labels include want, by their full label set.
func (s scrapeResult) values(name string, want map[string]string) map[string]float64 {
	out := map[string]float64{}
next:
	for _, m := range s.fams[name].GetMetric() {
		have := map[string]string{}
		var key []string
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
			key = append(key, l.GetName()+"="+l.GetValue())
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		out[strings.Join(key, ",")] = m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
	}
	return out
}

func (s scrapeResult) value(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	vs := s.values(name, want)
	if len(vs) != 1 {
		t.Fatalf("%s%v: %d series, want 1\n%s", name, want, len(vs), s.body)
	}
	for _, v := range vs {
		return v
	}
	return 0
}

func port(host string, proto results.Proto, p uint16) map[string]string {
	return map[string]string{report.LabelHost: host, report.LabelProto: string(proto), report.LabelPort: strconv.Itoa(int(p))}
}

func plus(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func profileExporter(t *testing.T, allow ...string) *httptest.Server {
	t.Helper()
	cat, err := profiles.Load()
	if err != nil {
		t.Fatal(err)
	}
	a, err := exporter.ParseAllowList(allow...)
	if err != nil {
		t.Fatal(err)
	}
	e, err := exporter.New(exporter.Config{Catalog: cat, Allow: a,
		Scanner: scan.Scanner{Timeout: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func loopbackListener(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// TestServeProfile: one scrape is one whole role: every port the profile lists
// (as "portreach scan --profile" merges them) has its series, labelled with the
// profile, and ports= adds to them.
func TestServeProfile(t *testing.T) {
	srv := profileExporter(t, "127.0.0.0/8")
	extra := loopbackListener(t)
	s := scrapeURL(t, fmt.Sprintf("%s/probe?target=127.0.0.1&profile=DC&ports=T:%d", srv.URL, extra), "10")
	if s.status != 200 {
		t.Fatalf("status %d: %s", s.status, s.body)
	}
	cat, _ := profiles.Load()
	dc, _ := cat.Lookup("domain-controller")
	cl, err := checklist.Build(context.Background(), checklist.Request{Catalog: cat, Items: []checklist.Item{{Profiles: []*profiles.Profile{dc}, Targets: []string{"127.0.0.1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	fixed := 0
	for _, p := range cl.Scan.Ports {
		if p.Kind != "" || p.Why != "" {
			continue
		}
		for n := p.Lo; n <= max(p.Lo, p.Hi); n++ {
			fixed++
			states := s.values(report.MetricPortState, plus(port("127.0.0.1", p.Proto, n), report.LabelProfile, "domain-controller"))
			sum := 0.0
			for _, v := range states {
				sum += v
			}
			if len(states) != len(results.States) || sum != 1 {
				t.Errorf("%s/%d: %d state series summing to %v, want %d summing to 1", p.Proto, n, len(states), sum, len(results.States))
			}
			if p.Check.Expect == results.ExpectOpen {
				// Nothing of a domain controller listens on this machine's loopback.
				if got := s.value(t, report.MetricExpectationFailed, plus(port("127.0.0.1", p.Proto, n), report.LabelExpect, "open")); got != 1 {
					t.Errorf("%s/%d: required and not open, expectation failed = %v", p.Proto, n, got)
				}
			}
		}
	}
	if fixed < 15 {
		t.Fatalf("only %d fixed ports in the domain-controller profile", fixed)
	}
	if got := s.value(t, report.MetricPortUp, plus(port("127.0.0.1", results.TCP, extra), report.LabelProfile, "")); got != 1 {
		t.Errorf("ports= port up = %v", got)
	}
	if got := s.value(t, exporter.MetricProbeSuccess, nil); got != 0 {
		t.Errorf("probe success %v with required ports closed", got)
	}
}

// TestServeRoles: a profile whose ports are on other hosts checks each mapped
// role host, which the allow-list must permit too; unmapped roles are skipped.
func TestServeRoles(t *testing.T) {
	srv := profileExporter(t, "127.0.0.1/32")
	base := srv.URL + "/probe?target=127.0.0.1&profile=exchange-2000-directory-access"

	s := scrapeURL(t, base+"&role=dc=127.0.0.1", "")
	if s.status != 200 {
		t.Fatalf("status %d: %s", s.status, s.body)
	}
	for _, p := range []uint16{389, 636, 390, 3268, 3269} {
		if got := s.value(t, report.MetricPortState, plus(port("127.0.0.1", results.TCP, p), report.LabelState, "closed")); got != 1 {
			t.Errorf("dc %d/tcp closed = %v", p, got)
		}
	}

	s = scrapeURL(t, base, "")
	if s.status != 400 || s.body != "portreach: nothing to test: the profile's ports are on destination roles (dc); map them with role=ROLE=HOST\n" {
		t.Errorf("no role mapped: %d %q", s.status, s.body)
	}
	s = scrapeURL(t, srv.URL+"/probe?target=127.0.0.1&profile=biztalk-send-server&role=sql=127.0.0.1", "")
	if got := s.value(t, report.MetricPortState, plus(port("127.0.0.1", results.TCP, 1433), report.LabelState, "closed")); got != 1 {
		t.Errorf("mapped role sql: 1433/tcp closed = %v\n%s", got, s.body)
	}
	if got := s.value(t, report.MetricPortState, plus(port("role smtp", results.TCP, 25), report.LabelState, "skipped")); got != 1 {
		t.Errorf("unmapped role smtp: 25/tcp skipped = %v\n%s", got, s.body)
	}

	s = scrapeURL(t, base+"&role=dc=127.0.0.9", "")
	if s.status != 403 || !strings.Contains(s.body, "target 127.0.0.9 is not in the allow-list") {
		t.Errorf("role host outside the allow-list: %d %q", s.status, s.body)
	}
	s = scrapeURL(t, base+"&role=sql=127.0.0.1", "")
	if s.status != 400 {
		t.Errorf("role the profile does not use: %d %q", s.status, s.body)
	}
}

// TestServePage: the page lists the profiles a probe can name.
func TestServePage(t *testing.T) {
	srv := profileExporter(t)
	p := scrapeURL(t, srv.URL+"/", "")
	for _, want := range []string{
		`<option value="domain-controller">Domain controller (domain-controller)</option>`,
		`<td><code>exchange-2000-directory-access</code></td>`,
		`targets allowed in: nothing`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestServeCommand runs "portreach serve" in-process on a loopback port, probes
// through it and stops it the way a signal does.
func TestServeCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, w := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- runServe(ctx, []string{"--listen", "127.0.0.1:0", "--allow", "127.0.0.1", "--timeout", "300ms"}, io.Discard, w)
		w.Close()
	}()
	addr := readListenAddr(t, r)
	go io.Copy(io.Discard, r)
	open := loopbackListener(t)
	s := scrapeURL(t, fmt.Sprintf("http://%s/probe?target=127.0.0.1&ports=%d&expect=open", addr, open), "5")
	if got := s.value(t, exporter.MetricProbeSuccess, nil); got != 1 {
		t.Errorf("probe success %v\n%s", got, s.body)
	}
	cancel()
	if c := <-code; c != exitOK {
		t.Errorf("exit %d after the signal", c)
	}
}

// An allow-list that covers every address warns at start (#18.9): such an
// exporter scans the Internet for whoever asks.
func TestServeAllowEverything(t *testing.T) {
	for _, c := range []struct {
		allow []string
		want  string
	}{
		{[]string{"0.0.0.0/0"}, "portreach serve: warning: --allow 0.0.0.0/0 covers every IPv4 address: whoever can make a request to this exporter can make it scan any host, the Internet included; name the networks it watches\n"},
		{[]string{"0.0.0.0/1,128.0.0.0/1", "::/0"}, "portreach serve: warning: --allow 0.0.0.0/1, 128.0.0.0/1, ::/0 covers every IPv4 and every IPv6 address: whoever can make a request to this exporter can make it scan any host, the Internet included; name the networks it watches\n"},
		{[]string{"10.0.0.0/8"}, ""},
	} {
		args := []string{"--listen", "127.0.0.1:0"}
		for _, a := range c.allow {
			args = append(args, "--allow", a)
		}
		var stderr strings.Builder
		s, code := startServe(context.Background(), args, io.Discard, &stderr)
		if s == nil {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		s.l.Close()
		got := stderr.String()
		if c.want != "" && !strings.Contains(got, c.want) || c.want == "" && strings.Contains(got, "warning") {
			t.Errorf("%v:\n%s\nwant %q", args, got, c.want)
		}
	}
}

var listenRE = regexp.MustCompile(`listening on https?://([^/]+)/`)

// readListenAddr reads the serve command's standard error up to the line
// saying where it listens.
func readListenAddr(t *testing.T, r io.Reader) string {
	t.Helper()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			return m[1]
		}
		t.Log(sc.Text())
	}
	t.Fatal("serve never said where it listens")
	return ""
}

func TestServeUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--allow", "198.18.1.7/24"}, exitUsage, "portreach serve: --allow \"198.18.1.7/24\": host bits set; write 198.18.1.0/24 for the network or 198.18.1.7/32 for the host\n"},
		{[]string{"198.18.1.7"}, exitUsage, "portreach serve: unexpected argument \"198.18.1.7\": targets come with each scrape (/probe?target=HOST)\n"},
		{[]string{"--listen", "127.0.0.1:99999"}, exitUsage, "portreach serve: listen tcp: address 99999: invalid port\n"},
		{[]string{"--nope"}, exitUsage, "portreach serve: unknown flag --nope (see portreach serve --help)\n"},
	}
	for _, c := range cases {
		var stdout, stderr strings.Builder
		code := runServe(context.Background(), c.args, &stdout, &stderr)
		if code != c.code || stderr.String() != c.out {
			t.Errorf("%v: exit %d %q, want %d %q", c.args, code, stderr.String(), c.code, c.out)
		}
	}
	var stdout strings.Builder
	if code := runServe(context.Background(), []string{"--help"}, &stdout, io.Discard); code != exitOK ||
		!strings.Contains(stdout.String(), "/probe?target=HOST&profile=SLUG") || !strings.Contains(stdout.String(), "-allow CIDR") {
		t.Errorf("--help: exit %d\n%s", code, stdout.String())
	}
}

// --config.file is read size-capped and checked at start, its errors naming
// the file and the line; a good one serves module= probes (#18.9).
func TestServeConfigFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("modules:\n  dc:\n    profiles: [ad-dc-2016-2025]\n    timout: 2s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file, want string
	}{
		{bad, "portreach serve: --config.file " + bad + ": line 4: unknown key timout\n"},
		{"/dev/zero", "portreach serve: --config.file /dev/zero: larger than 16 MiB, the limit for a plan, profile or CA file\n"},
		{filepath.Join(dir, "none.yml"), "portreach serve: --config.file: open " + filepath.Join(dir, "none.yml") + ": no such file or directory\n"},
	} {
		var stderr strings.Builder
		if code := runServe(context.Background(), []string{"--listen", "127.0.0.1:0", "--allow", "127.0.0.1", "--config.file", c.file}, io.Discard, &stderr); code != exitUsage || stderr.String() != c.want {
			t.Errorf("%s: exit %d %q, want %d %q", c.file, code, stderr.String(), exitUsage, c.want)
		}
	}

	open := loopbackListener(t)
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte(fmt.Sprintf("ad_hoc_params: false\nmodules:\n  web:\n    ports: T:%d\n    expect: open\n", open)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, w := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- runServe(ctx, []string{"--listen", "127.0.0.1:0", "--allow", "127.0.0.1", "--timeout", "300ms", "--config.file", good}, io.Discard, w)
		w.Close()
	}()
	addr := readListenAddr(t, r)
	go io.Copy(io.Discard, r)
	s := scrapeURL(t, fmt.Sprintf("http://%s/probe?target=127.0.0.1&module=web", addr), "5")
	if got := s.value(t, exporter.MetricProbeSuccess, nil); got != 1 {
		t.Errorf("module=web: probe success %v\n%s", got, s.body)
	}
	cancel()
	if c := <-code; c != exitOK {
		t.Errorf("exit %d after the signal", c)
	}
}
