// Command scrapeload is make bench's Prometheus for the exporter row: it
// scrapes a portreach serve the way one Prometheus job of many targets does,
// and says what it cost the exporter.
//
// Every target is scraped once an interval, the targets spread evenly over it
// (Prometheus spreads a job's targets over the interval by a hash of their
// labels), each scrape a GET of URL?target=T&QUERY with the header
// X-Prometheus-Scrape-Timeout-Seconds and given up after that timeout, as
// Prometheus gives it up. After the last scrape it prints one line of
// figures:
//
//	scrapes=1000 answered=1000 within=1000 p50=0.004 p99=1.120 max=1.310 success=900 incomplete=0 status503=0 cpu_s=2.10 cpu_pct=3.5 peak_rss_mb=31.2
//
// answered: 200 with a whole exposition (the last line portreach writes);
// within: answered within the scrape timeout; p50/p99/max: seconds from the
// scrape's start to the end of its answer, over every scrape (one given up:
// to when it was); success and incomplete: the probes that said
// portreach_probe_success 1 and portreach_run_incomplete 1; cpu_s: the user
// and system seconds the exporter (-pid) used over the rounds, cpu_pct that
// per second of wall time (100: one core); peak_rss_mb: its VmHWM at the end.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:9469/probe", "the exporter's /probe")
	query := flag.String("query", "", "the other parameters of every scrape (url-encoded)")
	targets := flag.String("targets", "", "a file of targets, one a line")
	interval := flag.Duration("interval", time.Minute, "the scrape interval: every target once in it")
	timeout := flag.Duration("timeout", 15*time.Second, "the scrape timeout")
	rounds := flag.Int("rounds", 1, "intervals to run")
	pid := flag.Int("pid", 0, "the exporter's process, whose CPU and memory are reported")
	flag.Parse()
	ts, err := readTargets(*targets)
	if err == nil && len(ts) == 0 {
		err = fmt.Errorf("no targets in %q", *targets)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scrapeload:", err)
		os.Exit(2)
	}
	if err := ready(*base); err != nil {
		fmt.Fprintln(os.Stderr, "scrapeload:", err)
		os.Exit(1)
	}
	cpu0, _ := cpuSeconds(*pid)
	start := time.Now()
	var (
		mu   sync.Mutex
		outs []outcome
		wg   sync.WaitGroup
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	n := len(ts) * *rounds
	for i := range n {
		at := start.Add(time.Duration(i) * *interval / time.Duration(len(ts)))
		time.Sleep(time.Until(at))
		wg.Go(func() {
			o := scrape(client, *base, ts[i%len(ts)], *query, *timeout)
			mu.Lock()
			outs = append(outs, o)
			mu.Unlock()
		})
	}
	wg.Wait()
	wall := time.Since(start)
	cpu1, _ := cpuSeconds(*pid)
	fmt.Println(summary(outs, *timeout, cpu1-cpu0, wall, peakRSS(*pid)))
}

type outcome struct {
	d                   time.Duration
	status              int // 0: no answer (given up, or the connection failed)
	whole               bool
	success, incomplete bool
}

func scrape(c *http.Client, base, target, query string, timeout time.Duration) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	u := base + "?target=" + url.QueryEscape(target)
	if query != "" {
		u += "&" + query
	}
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	resp, err := c.Do(req)
	if err != nil {
		return outcome{d: time.Since(start)}
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	o := outcome{d: time.Since(start), status: resp.StatusCode}
	if err != nil {
		o.status = 0
		return o
	}
	o.whole = bytes.Contains(body, []byte("\nportreach_run_incomplete "))
	o.success = bytes.Contains(body, []byte("\nportreach_probe_success 1\n"))
	o.incomplete = bytes.Contains(body, []byte("\nportreach_run_incomplete 1\n"))
	return o
}

func summary(outs []outcome, timeout, cpu, wall time.Duration, rss float64) string {
	var ds []time.Duration
	var answered, within, success, incomplete, s503 int
	for _, o := range outs {
		ds = append(ds, o.d)
		if o.status == http.StatusServiceUnavailable {
			s503++
		}
		if o.status != http.StatusOK || !o.whole {
			continue
		}
		answered++
		if o.d <= timeout {
			within++
		}
		if o.success {
			success++
		}
		if o.incomplete {
			incomplete++
		}
	}
	slices.Sort(ds)
	q := func(p float64) float64 { return ds[min(len(ds)-1, int(p*float64(len(ds))))].Seconds() }
	return fmt.Sprintf("scrapes=%d answered=%d within=%d p50=%.3f p99=%.3f max=%.3f success=%d incomplete=%d status503=%d cpu_s=%.2f cpu_pct=%.1f peak_rss_mb=%.1f",
		len(outs), answered, within, q(0.5), q(0.99), ds[len(ds)-1].Seconds(), success, incomplete, s503,
		cpu.Seconds(), 100*cpu.Seconds()/wall.Seconds(), rss)
}

func readTargets(name string) ([]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}

// ready waits (at most 10 s) until the exporter answers.
func ready(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	u.Path = "/metrics"
	for range 100 {
		if resp, err := http.Get(u.String()); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s does not answer", u)
}

// cpuSeconds is the user and system time of a process (proc(5): fields 14
// and 15 of /proc/PID/stat, in clock ticks, USER_HZ, 100 a second on Linux).
func cpuSeconds(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * time.Second / 100, nil
}

// peakRSS is a process's VmHWM in MB (proc(5)).
func peakRSS(pid int) float64 {
	if pid == 0 {
		return 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
