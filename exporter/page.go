package exporter

import (
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

//go:embed page.html
var pageHTML string

// parsePage parses the page once per exporter; html/template escapes every
// value, so targets, query strings and reply summaries (which come from the
// network) cannot inject markup, and the page passes each text that a peer,
// a request or a profile file supplies through report.Printable (the one
// sanitiser of every output format), so that none carries control
// characters (an escape sequence in a SQL instance's name) to whoever copies
// it to a terminal.
func parsePage() (*template.Template, error) {
	return template.New("page").Funcs(template.FuncMap{
		"printable": report.Printable,
		"ms": func(d time.Duration) string {
			return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
		},
	}).Parse(pageHTML)
}

// maxRows caps the ports one history entry keeps for the page.
const maxRows = 512

// probeRecord is one /probe request as the page lists it.
type probeRecord struct {
	Time       time.Time
	Query      string // raw query, for the "again" link
	Target     string
	Profile    string
	Status     int
	Outcome    string
	Message    string
	Duration   time.Duration
	Success    bool
	Incomplete bool
	Summary    string // "12 open, 3 filtered; 1 failed"
	Source     string // the local address the target was scanned from: what its firewall sees
	Rows       []pageRow
	MoreRows   int // rows beyond maxRows, not kept
}

// Again is the link that runs the probe again. The raw query is used as it
// came (already percent-encoded) behind a fixed relative path, so it cannot turn
// the link into another scheme; html/template still escapes it for the attribute.
func (p *probeRecord) Again() template.URL { return template.URL("/probe?" + p.Query) }

// maxQuery caps the query a history entry keeps; a longer one gets no link.
const maxQuery = 2048

// pageRow is one port of a probe, as the page shows it.
type pageRow struct {
	Host, Address, Port, State, Reason, RTT, Expect, Service, Detail string
	Failed                                                           bool
}

func (p *probeRecord) setResults(rs []results.Result, success, incomplete bool) {
	p.Success, p.Incomplete = success, incomplete
	counts := map[results.State]int{}
	nfailed := 0
	for i := range rs {
		r := &rs[i]
		counts[r.State]++
		if p.Source == "" && r.Source.IsValid() {
			p.Source = r.Source.String()
		}
		f := results.Fails(r)
		if f {
			nfailed++
		}
		if len(p.Rows) >= maxRows {
			p.MoreRows++
			continue
		}
		row := pageRow{Host: r.Target, State: r.State.String(), Reason: string(results.Why(r)), Detail: r.Detail, Failed: f,
			Port: results.PortName(r.Proto, r.Port)}
		if r.Addr.IsValid() {
			row.Address = r.Addr.String()
		}
		if r.RTT > 0 {
			row.RTT = strconv.FormatFloat(float64(r.RTT.Microseconds())/1000, 'f', 2, 64) + " ms"
		}
		if r.Check != nil {
			row.Expect, row.Service = string(r.Check.Expect), r.Check.Service
		}
		if r.Under != "" {
			row.Service = strings.TrimSpace(row.Service + " " + r.Under)
		}
		p.Rows = append(p.Rows, row)
	}
	var parts []string
	for _, s := range results.States {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	p.Summary = strings.Join(parts, ", ")
	if nfailed > 0 {
		p.Summary += fmt.Sprintf("; %d failed", nfailed)
	}
	if incomplete {
		p.Summary += "; cut short by the time bound"
	}
}

// history keeps the most recent probes for the page.
type history struct {
	mu   sync.Mutex
	max  int
	recs []*probeRecord // oldest first
}

func newHistory(n int) *history { return &history{max: n} }

func (h *history) add(r *probeRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r)
	if len(h.recs) > h.max {
		h.recs = h.recs[len(h.recs)-h.max:]
	}
}

// newest returns the records, newest first. Records are not modified after add.
func (h *history) newest() []*probeRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*probeRecord, len(h.recs))
	for i, r := range h.recs {
		out[len(h.recs)-1-i] = r
	}
	return out
}

type pageProfile struct {
	Slug, Name, Product, Description string
	Roles                            []string
}

// ServePage serves the HTML page: the profiles a probe can name, a form that
// runs a probe, and the latest probes with their ports.
func (e *Exporter) ServePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "portreach: use GET", http.StatusMethodNotAllowed)
		return
	}
	data := struct {
		CSS          template.CSS // shared with the HTML report (report.StyleSheet)
		Version      string
		Name         string
		Allow        string
		MaxProbes    int
		MaxPerClient int
		Profiles     []pageProfile
		History      []*probeRecord
		Bad, Refused int64 // requests refused before any scan, not listed
		Modules      []string
		AdHoc        bool // the form offers the parameters a module sets
	}{CSS: report.StyleSheet(), Version: e.cfg.Version, Name: e.cfg.Name, Allow: e.cfg.Allow.String(),
		MaxProbes: e.cfg.MaxProbes, MaxPerClient: e.cfg.MaxProbesPerClient, History: e.history.newest(),
		Bad: e.rejected.bad.Load(), Refused: e.rejected.refused.Load(),
		Modules: e.cfg.Modules.Names(), AdHoc: e.cfg.Modules.AdHocParams()}
	if e.cfg.Catalog != nil {
		for _, p := range e.cfg.Catalog.Profiles() {
			pp := pageProfile{Slug: p.Slug, Name: p.Name, Product: p.Product, Description: p.Description}
			_, roles := e.cfg.Catalog.Resolve(p)
			for _, ro := range roles {
				pp.Roles = append(pp.Roles, ro.Key)
			}
			data.Profiles = append(data.Profiles, pp)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := e.page.Execute(w, data); err != nil {
		e.log.Warn("page", "err", err)
	}
}
