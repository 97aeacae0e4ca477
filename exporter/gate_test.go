package exporter

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// clientFrom is an HTTP client whose connections come from src, a loopback
// address: another client, to the exporter.
func clientFrom(t *testing.T, src string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// slowProbe sends a probe of a silent UDP port with a 20 s timeout from c:
// it holds its slot until ctx ends. The answer's status, or 0 for an error,
// goes to done.
func slowProbe(ctx context.Context, c *http.Client, srv *httptest.Server, silent uint16, done chan<- int) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/probe?target=127.0.0.1&ports=U:%d&timeout=20s", srv.URL, silent), nil)
	resp, err := c.Do(req)
	if err != nil {
		done <- 0
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	done <- resp.StatusCode
}

// waitGauges waits until the probes scanning and waiting are as wanted.
func waitGauges(t *testing.T, srv *httptest.Server, running, waiting float64) {
	t.Helper()
	waitProbes(t, srv, fmt.Sprintf("%v scanning and %v waiting", running, waiting),
		func(r, w float64) bool { return r == running && w == waiting })
}

// waitProbes waits until ok holds of the probes scanning and waiting.
func waitProbes(t *testing.T, srv *httptest.Server, want string, ok func(running, waiting float64) bool) {
	t.Helper()
	for i := 0; ; i++ {
		m := get(t, context.Background(), srv, "/metrics", "")
		r, w := m.value(t, metricInFlight, nil), m.value(t, metricWaiting, nil)
		if ok(r, w) {
			return
		}
		if i == 1000 {
			t.Fatalf("%v probes scanning and %v waiting, want %s", r, w, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// scrapeFrom sends a probe from c with a scrape timeout header, and returns
// the status and body.
func scrapeFrom(t *testing.T, c *http.Client, srv *httptest.Server, path, timeout string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set(ScrapeTimeoutHeader, timeout)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestOneClientCannotStarve: four slow probes from one address held every
// slot of the default four, and another client's scrape got 503 (#18.9). One
// client now holds at most --max-probes-per-client (default: one less than
// --max-probes); its fourth probe waits, and the other client's scrape runs.
func TestOneClientCannotStarve(t *testing.T) {
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8")})
	silent, closed := silentUDP(t), closedTCP(t)
	attacker, scraper := clientFrom(t, "127.0.0.2"), clientFrom(t, "127.0.0.3")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 4)
	for range 4 {
		go slowProbe(ctx, attacker, srv, silent, done)
	}
	defer func() {
		cancel()
		for range 4 {
			<-done
		}
	}()
	// Four probes arrived: before #18.9, four scanning; now three and one
	// waiting.
	waitProbes(t, srv, "4 probes arrived", func(r, w float64) bool { return r+w == 4 })

	probe := fmt.Sprintf("/probe?target=127.0.0.1&ports=%d", closed)
	if status, body := scrapeFrom(t, scraper, srv, probe, "0.4"); status != http.StatusOK {
		t.Fatalf("another client's scrape: %d %q", status, body)
	}
	// The attacker's own next probe waits behind its three, and gets 503
	// saying so.
	status, body := scrapeFrom(t, attacker, srv, probe, "0.4")
	if want := "portreach: busy: 3 probes of this client (127.0.0.2) already running (--max-probes-per-client); none finished within 180ms\n"; status != http.StatusServiceUnavailable || body != want {
		t.Errorf("the attacker's fifth probe: %d %q, want 503 %q", status, body, want)
	}
}

// TestFairQueue: a slot that frees goes to the waiting client with the fewest
// probes scanning, not to the probe that has waited longest: a client whose
// probes queued first cannot keep another client waiting behind them.
func TestFairQueue(t *testing.T) {
	_, srv := newServer(t, Config{Allow: allow(t, "127.0.0.0/8"), MaxProbes: 2, MaxProbesPerClient: 2})
	silent, closed := silentUDP(t), closedTCP(t)
	attacker, scraper := clientFrom(t, "127.0.0.2"), clientFrom(t, "127.0.0.3")
	ctx, cancel := context.WithCancel(context.Background())
	first, cancelFirst := context.WithCancel(ctx)
	done := make(chan int, 4)
	go slowProbe(first, attacker, srv, silent, done)
	waitGauges(t, srv, 1, 0)
	go slowProbe(ctx, attacker, srv, silent, done)
	waitGauges(t, srv, 2, 0)
	go slowProbe(ctx, attacker, srv, silent, done)
	go slowProbe(ctx, attacker, srv, silent, done)
	defer func() {
		cancel()
		for range 3 {
			<-done
		}
	}()
	waitGauges(t, srv, 2, 2)

	scraped := make(chan string, 1)
	go func() {
		status, body := scrapeFrom(t, scraper, srv, fmt.Sprintf("/probe?target=127.0.0.1&ports=%d", closed), "20")
		scraped <- fmt.Sprintf("%d %s", status, body[:min(len(body), 120)])
	}()
	waitGauges(t, srv, 2, 3)
	cancelFirst()
	if got := <-done; got != 0 {
		t.Fatalf("the canceled probe answered %d", got)
	}
	if got := <-scraped; got[:4] != "200 " {
		t.Fatalf("the other client's scrape, queued last: %s", got)
	}
	// Then the attacker's: one starts, one still waits.
	waitGauges(t, srv, 2, 1)
}

func TestClientKey(t *testing.T) {
	for remote, want := range map[string]string{
		"198.18.0.7:5000":               "198.18.0.7",
		"[::ffff:198.18.0.7]:5000":      "198.18.0.7",
		"[2001:db8:1:2:aaaa::1]:5000":   "2001:db8:1:2::/64",
		"[2001:db8:1:2:bbbb::9]:443":    "2001:db8:1:2::/64",
		"[fe80::1%eth0]:5000":           "fe80::/64",
		"@":                             "@",
		"not an address and port ok ok": "not an address and port ok ok",
	} {
		if got := clientKey(remote); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", remote, got, want)
		}
	}
}
