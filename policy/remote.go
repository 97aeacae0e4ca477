package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portreach/portreach/checklist"
	"github.com/portreach/portreach/results"
)

// jsonlMedia is the JSON answer's media type (exporter.MediaJSONL).
const jsonlMedia = "application/x-ndjson"

// scrapeTimeoutHeader tells an exporter how long the client waits: it ends its
// scan before (exporter.ScrapeTimeoutHeader, Prometheus's own).
const scrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// probe asks the exporter for the rule's checks on one destination, in JSON
// Lines, and emits what it answers; the checks it did not answer are emitted
// unknown with why.
func (j *job) probe(ctx context.Context, to string) {
	it := j.rule.Item
	it.Targets = []string{to}
	pl, err := checklist.Build(ctx, checklist.Request{Catalog: j.pol.Catalog, Items: []checklist.Item{it}})
	if err != nil {
		return // Load built the rule's plan: not reached
	}
	t := newTracker(pl)
	names := targetNames(pl, to)
	f := ended(ctx, j.ask(ctx, to, func(r results.Result) error {
		if !slices.Contains(names, r.Target) {
			return fmt.Errorf("a result for %q, which the source was not asked about", r.Target)
		}
		t.take(&r)
		j.own(&r)
		j.emit(r)
		return nil
	}))
	if f == nil {
		f = &failure{results.ReasonSourceError, "the source did not report this check"}
	}
	t.missing(f, func(r results.Result) {
		j.own(&r)
		j.emit(r)
	})
}

// targetNames are the targets a probe of to may report: to, its role hosts,
// and the unmapped roles' "role X".
func targetNames(pl *checklist.Plan, to string) []string {
	names := []string{to}
	for t := range pl.Scan.Targets {
		names = append(names, t.Name)
	}
	for _, r := range pl.Skipped {
		names = append(names, r.Target)
	}
	return names
}

// ask runs one probe, retrying while the exporter is busy (503) and the
// deadline allows, and reads its answer.
func (j *job) ask(ctx context.Context, to string, take func(results.Result) error) error {
	select {
	case j.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-j.slots }()
	for {
		resp, err := j.request(ctx, to)
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusServiceUnavailable {
			wait := retryAfter(resp.Header.Get("Retry-After"))
			resp.Body.Close()
			d, ok := ctx.Deadline()
			if !ok || time.Until(d) > 2*wait {
				select {
				case <-time.After(wait):
					continue
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		defer resp.Body.Close()
		if err := answerError(j.ep.Label, resp); err != nil {
			return err
		}
		err = readResults(resp.Body, take)
		if err != nil && ctx.Err() == nil {
			var f *failure
			if !errors.As(err, &f) {
				// A chunked answer that ends without its last chunk: the
				// exporter stopped, or the connection broke.
				return fail(results.ReasonSourceError, j.ep.Label+": the answer was cut off: "+err.Error())
			}
		}
		return err
	}
}

// request sends the probe of to: the rule's parameters, format=jsonl, and
// the time left as the scrape timeout, so that the exporter ends its scan in
// time to answer.
func (j *job) request(ctx context.Context, to string) (*http.Response, error) {
	q := url.Values{"target": {to}, "format": {"jsonl"}}
	r := j.rule.src
	for _, p := range r.Profiles {
		q.Add("profile", p)
	}
	if r.Ports != "" {
		q.Set("ports", r.Ports)
	}
	if r.Expect != "" {
		q.Set("expect", r.Expect)
	}
	if r.Addresses != "" {
		q.Set("addresses", r.Addresses)
	}
	for _, k := range sortedKeys(r.Roles) {
		q.Add("role", k+"="+r.Roles[k])
	}
	if j.rn.Scanner.Timeout > 0 {
		q.Set("timeout", j.rn.Scanner.Timeout.String())
	}
	u := *j.ep.URL
	u.Path, u.RawQuery = "/probe", q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fail(results.ReasonSourceError, err.Error())
	}
	req.Header.Set("Accept", jsonlMedia)
	if d, ok := ctx.Deadline(); ok {
		req.Header.Set(scrapeTimeoutHeader, strconv.FormatFloat(max(time.Until(d).Seconds(), 0.01), 'f', 3, 64))
	}
	if j.ep.username != "" {
		req.SetBasicAuth(j.ep.username, j.ep.password)
	}
	resp, err := j.ep.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fail(results.ReasonSourceUnreachable, fmt.Sprintf("%s: %v", j.ep.Label, unwrapURL(err)))
	}
	return resp, nil
}

// answerError is the failure an answer's status and type say, or nil for a
// JSON Lines answer.
func answerError(label string, resp *http.Response) error {
	body := func() string {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		return strings.ToValidUTF8(strings.TrimPrefix(s, "portreach: "), "?")
	}
	status := fmt.Sprintf("%s: %d %s", label, resp.StatusCode, http.StatusText(resp.StatusCode))
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return fail(results.ReasonSourceRefused, status+": the exporter refused the credentials (username, password_file)")
	case http.StatusForbidden:
		return fail(results.ReasonSourceRefused, status+": "+body())
	case http.StatusBadRequest:
		if b := body(); strings.Contains(b, `unknown parameter "format"`) || strings.Contains(b, `unknown parameter "addresses"`) {
			return fail(results.ReasonSourceIncompatible, status+": an exporter too old for policies ("+b+"): upgrade portreach there")
		} else {
			return fail(results.ReasonSourceError, status+": "+b)
		}
	default:
		return fail(results.ReasonSourceError, status+": "+body())
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != jsonlMedia {
		return fail(results.ReasonSourceIncompatible, fmt.Sprintf("%s answered %q, not JSON Lines: not a portreach exporter, or one too old for policies", label, resp.Header.Get("Content-Type")))
	}
	return nil
}

// retryAfter reads a 503's Retry-After seconds, at most 2 s (1 s without).
func retryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return min(time.Duration(n)*time.Second, 2*time.Second)
	}
	return time.Second
}

// unwrapURL drops net/http's "Get \"URL\": " (the label names the endpoint).
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
