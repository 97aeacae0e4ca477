package report

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/portreach/portreach/results"
)

// TableOptions controls the human-readable table. The zero value is plain text
// with ranges compressed.
type TableOptions struct {
	// Color adds ANSI colours to states, check outcomes and verdicts. The CLI sets
	// it only when the output is a terminal; files and pipes get plain text.
	Color bool
	// Verbose shows one row per port instead of compressing runs of alike ports
	// into ranges, and the purpose and source of every checked entry, not only of
	// the failing ones.
	Verbose bool
	// OnlyFailing shows only the hosts that have failing entries, and of them
	// only the failing entries (for --quiet); the hosts' titles, the changes
	// since a baseline and the final verdict still describe the whole run.
	OnlyFailing bool
}

// WriteTable writes rep for people: one block per host (in results.Sort order) titled with
// the address and the target as given and, when the host has checks, its PASS or
// FAIL verdict. Inside a block, entries that fail their expectation come first,
// each followed by its purpose and source; then the rest in port order. Runs of
// consecutive ports alike in protocol, state, reason, check and trace, with no
// probe detail, are compressed into one range row ("50101-50200/tcp  filtered
// no-response (100)"). A traced entry is followed by where its packets stop
// and its hops (--trace). Follow-ups appear under the port whose reply revealed
// them. Each block ends with a count of ports per state. When the run was
// compared with a baseline, a block of changes follows, one per line, with
// regressions marked. The table ends with the run's verdict and whether it
// finished.
func WriteTable(w io.Writer, rep *results.Report, opt TableOptions) error {
	rs := results.Sorted(rep.Results)
	next := 0
	rows := func(h *results.Host) (int, func(int) *results.Result) {
		hrs := hostResults(rs[next:], h)
		next += len(hrs)
		return len(hrs), func(i int) *results.Result { return &hrs[i] }
	}
	var m results.Matrix
	for i := range rs {
		m.Add(&rs[i])
	}
	return writeTable(w, rep, results.Summarize(rs), rows, &m, opt)
}

// TableWriter builds the table WriteTable writes from results written one at
// a time. It keeps one summary per host and of each result a 24-byte row: the
// port, its RTT and its class, the fields alike ports share (protocol, state,
// reason, probe, check), kept once; only results that say more (a detail, a
// follow-up, a producer's outcome) are kept whole. With OnlyFailing (--quiet)
// it keeps only the failing results. Close renders. A TableWriter is safe for
// concurrent use.
type TableWriter struct {
	mu      sync.Mutex
	w       io.Writer
	opt     TableOptions
	hosts   map[hostKey]*results.Host
	index   map[hostKey]int32 // a host's index in rows
	rows    []tableRow
	classes []results.Result // the shared fields of alike results
	byClass map[tableClass][]int32
	whole   []results.Result // results kept whole
	matrix  results.Matrix   // a policy run's grid
}

// tableRow is one result: its port and RTT, and its class (an index in
// classes) or, below zero, -1 - its index in whole.
type tableRow struct {
	host  int32
	port  uint16
	class int32
	rtt   time.Duration
	seq   uint32 // arrival: Sort is stable
}

type tableClass struct {
	proto  results.Proto
	state  results.State
	reason results.Reason
	probe  string
	trace  *results.Trace // the ports of a traced range share one
}

// NewTableWriter returns a writer that renders to w with opt on Close.
func NewTableWriter(w io.Writer, opt TableOptions) *TableWriter {
	return &TableWriter{w: w, opt: opt, hosts: map[hostKey]*results.Host{}, index: map[hostKey]int32{}, byClass: map[tableClass][]int32{}}
}

// Write counts r in its host's summary and keeps its row if the table may show it.
func (t *TableWriter) Write(r results.Result) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	summarize(t.hosts, &r)
	t.matrix.Add(&r)
	if t.opt.OnlyFailing && !results.Fails(&r) {
		return nil
	}
	k := r.Key()
	h, ok := t.index[k]
	if !ok {
		h = int32(len(t.index))
		t.index[k] = h
	}
	row := tableRow{host: h, port: r.Port, rtt: r.RTT, seq: uint32(len(t.rows))}
	if r.Detail == "" && r.Under == "" && r.Via == "" && r.Outcome == nil {
		row.class = t.class(&r)
	} else {
		row.class = -1 - int32(len(t.whole))
		t.whole = append(t.whole, r)
	}
	t.rows = append(t.rows, row)
	return nil
}

// class returns the index of r's class, adding it if it is new. Only what the
// table prints of a result without detail or follow-up is kept.
func (t *TableWriter) class(r *results.Result) int32 {
	k := tableClass{r.Proto, r.State, r.Reason, r.Probe, r.Trace}
	for _, i := range t.byClass[k] {
		if c := t.classes[i].Check; c == r.Check || reflect.DeepEqual(c, r.Check) {
			return i
		}
	}
	i := int32(len(t.classes))
	t.classes = append(t.classes, results.Result{Proto: r.Proto, State: r.State, Reason: r.Reason, Probe: r.Probe, Check: r.Check, Trace: r.Trace})
	t.byClass[k] = append(t.byClass[k], i)
	return i
}

// result returns row's result: the one kept whole, or its class's filled in
// scratch.
func (t *TableWriter) result(row *tableRow, scratch *results.Result) *results.Result {
	if row.class < 0 {
		return &t.whole[-1-row.class]
	}
	*scratch = t.classes[row.class]
	scratch.Port, scratch.RTT = row.port, row.rtt
	return scratch
}

// Close writes the table of the results written, with rep's Interrupted,
// Incomplete and Drift (its Results are not read).
func (t *TableWriter) Close(rep *results.Report) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	hosts := sortedHosts(t.hosts)
	rank := make([]int, len(t.index))
	for i := range hosts {
		if h, ok := t.index[hosts[i].Key()]; ok {
			rank[h] = i
		}
	}
	var sa, sb results.Result
	// Sort order (see results.Sort), then arrival.
	slices.SortFunc(t.rows, func(a, b tableRow) int {
		if c := cmp.Compare(rank[a.host], rank[b.host]); c != 0 {
			return c
		}
		if c := results.CompareInHost(t.result(&a, &sa), t.result(&b, &sb)); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	next := 0
	var scratch results.Result
	rows := func(h *results.Host) (int, func(int) *results.Result) {
		n := 0
		if k, ok := t.index[h.Key()]; ok {
			for next+n < len(t.rows) && t.rows[next+n].host == k {
				n++
			}
		}
		hrows := t.rows[next : next+n]
		next += n
		return n, func(i int) *results.Result { return t.result(&hrows[i], &scratch) }
	}
	return writeTable(t.w, rep, hosts, rows, &t.matrix, t.opt)
}

// writeTable writes the table of hosts (in results.Sort order); rows gives each host's
// results in results.Sort order (all of them, or with OnlyFailing at least the failing
// ones) as host does, and is called for the hosts in order.
func writeTable(w io.Writer, rep *results.Report, hosts []results.Host, rows func(*results.Host) (int, func(int) *results.Result), m *results.Matrix, opt TableOptions) error {
	var buf bytes.Buffer
	p := &tablePrinter{opt: opt, out: &buf}
	if !m.Empty() {
		p.matrix(m)
	}
	for hi := range hosts {
		h := &hosts[hi]
		n, at := rows(h)
		if opt.OnlyFailing {
			if h.Failed == 0 {
				continue
			}
			var failing []int
			for i := range n {
				if results.Fails(at(i)) {
					failing = append(failing, i)
				}
			}
			all := at
			n, at = len(failing), func(i int) *results.Result { return all(failing[i]) }
		}
		if buf.Len() > 0 {
			buf.WriteByte('\n')
		}
		p.host(h, n, at)
	}
	if rep.Drift != nil {
		if buf.Len() > 0 {
			buf.WriteByte('\n')
		}
		p.drift(rep.Drift)
	}
	p.footer(rep, hosts)
	return writeTrimmed(w, buf.Bytes())
}

// matrix writes a policy run's grid: a row per source, a column per
// destination (or rule × destination), each cell PASS, FAIL n, the source's
// reason when it measured nothing, or — where nothing was checked; then a
// legend. Each failing cell's checks follow in its block below (source →
// destination).
func (p *tablePrinter) matrix(m *results.Matrix) {
	cols, cells := m.Grid()
	var grid bytes.Buffer
	tw := tabwriter.NewWriter(&grid, 0, 0, 3, ' ', 0)
	fmt.Fprint(tw, "SOURCE \u2192 DESTINATION")
	for _, c := range cols {
		fmt.Fprintf(tw, "\t%s", printable(c.Name))
	}
	fmt.Fprintln(tw, "\t")
	for i, row := range m.Rows {
		fmt.Fprint(tw, printable(row))
		for _, c := range cells[i] {
			fmt.Fprintf(tw, "\t%s", c.Text())
		}
		fmt.Fprintln(tw, "\t")
	}
	tw.Flush()
	// Colours after the alignment: escapes would count as width.
	for line := range strings.Lines(grid.String()) {
		for _, w := range []struct{ word, color string }{{"PASS", ansiGreen}, {"FAIL", ansiRed}, {"source-", ansiRed}} {
			line = strings.ReplaceAll(line, "  "+w.word, "  "+p.paint(w.color, w.word))
		}
		p.out.WriteString(line)
	}
	fmt.Fprintln(p.out, "PASS: every check met; FAIL n: n checks failed; \u2014: not checked from that source; source-…: the source measured nothing (why in its block).")
}

// writeTrimmed drops the padding tabwriter leaves at the end of lines.
func writeTrimmed(w io.Writer, b []byte) error {
	bw := bufio.NewWriter(w)
	for line := range bytes.Lines(b) {
		bw.Write(bytes.TrimRight(line, " \n"))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

type tablePrinter struct {
	opt TableOptions
	out *bytes.Buffer
}

// ANSI SGR colours. Every code is five bytes and the reset four, so that wrapping
// each cell of a column in exactly one code and one reset widens all its cells
// alike and tabwriter's alignment (which counts bytes of escapes too) holds.
const (
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
	ansiDefault = "\x1b[39m"
	ansiReset   = "\x1b[0m"
)

func (p *tablePrinter) paint(color, s string) string {
	if !p.opt.Color {
		return s
	}
	return color + s + ansiReset
}

func stateColor(s results.State) string {
	switch s {
	case results.Open:
		return ansiGreen
	case results.Closed:
		return ansiRed
	case results.Filtered, results.OpenFiltered:
		return ansiYellow
	case results.Unknown, results.Error:
		return ansiMagenta
	}
	return ansiDefault
}

func verdictColor(v results.Verdict) string {
	switch v {
	case results.VerdictFail:
		return ansiRed
	case results.VerdictPass:
		return ansiGreen
	}
	return ansiDefault
}

// entry is one table row before rendering: a single result, or a range of alike
// results, with the follow-ups its reply revealed.
type entry struct {
	first    *results.Result
	lastPort uint16 // the range's last port
	n        int
	minRTT   time.Duration
	maxRTT   time.Duration
	children []*results.Result
}

// host writes h's block from its n results in results.Sort order, result i being
// at(i): a pointer that need not outlive the next call.
func (p *tablePrinter) host(h *results.Host, n int, at func(int) *results.Result) {
	title := printable(h.Name())
	if h.Source.IsValid() {
		title += "  from " + h.Source.String()
	}
	switch h.Verdict {
	case results.VerdictFail:
		title += "  " + p.paint(verdictColor(h.Verdict), "FAIL") + fmt.Sprintf("  %d of %d checks failed", h.Failed, h.Checks)
	case results.VerdictPass:
		met := h.Met()
		title += "  " + p.paint(verdictColor(h.Verdict), "PASS") + fmt.Sprintf("  %d %s met", met, plural(met, "check", "checks"))
	}
	if h.Untested > 0 {
		title += fmt.Sprintf(", %d not tested", h.Untested)
	}
	if h.Undetermined > 0 {
		title += fmt.Sprintf(", %d undetermined", h.Undetermined)
	}
	p.out.WriteString(title + "\n")
	if len(h.Records) > 0 {
		p.out.WriteString("  DC locator: named by " + printable(recordsText(h.Records)) + "\n")
	}

	// Follow-ups go under the result whose reply revealed them, when it is here
	// (the last result of that name that is no follow-up itself).
	vias := map[string]bool{}
	for i := range n {
		if v := at(i).Via; v != "" {
			vias[v] = true
		}
	}
	byName := map[string]int{}
	if len(vias) > 0 {
		for i := range n {
			r := at(i)
			if name := results.PortName(r.Proto, r.Port); r.Via == "" && vias[name] {
				byName[name] = i
			}
		}
	}
	children := map[int][]*results.Result{}
	var top []int
	for i := range n {
		r := at(i)
		if parent, ok := byName[r.Via]; r.Via != "" && ok {
			c := *r
			children[parent] = append(children[parent], &c)
			continue
		}
		top = append(top, i)
	}
	var failing, rest []int
	for _, i := range top {
		if results.Fails(at(i)) || failsBelow(children[i]) {
			failing = append(failing, i)
		} else {
			rest = append(rest, i)
		}
	}
	entries := append(p.group(failing, at, children), p.group(rest, at, children)...)

	checks := h.Checks > 0 || hasCheck(n, at)
	tw := tabwriter.NewWriter(p.out, 0, 0, 2, ' ', 0)
	// In colour mode every cell of the STATE and CHECK columns is painted, blank
	// ones too, so that all carry the same invisible width.
	row := func(port, stateColor, stateText, reason, rtt, check, checkColor, detail string) {
		cells := []string{"  " + port, p.paint(stateColor, stateText), printable(reason), rtt}
		if checks {
			cells = append(cells, p.paint(checkColor, printable(check)))
		}
		cells = append(cells, printable(detail))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	row("PORT", ansiDefault, "STATE", "REASON", "RTT", "CHECK", ansiDefault, "DETAIL")
	// A continuation row: text in the DETAIL column, the other columns blank, so
	// tabwriter keeps one alignment for the whole block.
	note := func(s string) { row("", ansiDefault, "", "", "", "", ansiDefault, s) }
	// A trace that ports of a range share is shown once per host; the other
	// entries that share it point at it.
	shown := map[*results.Trace]string{}
	traceNotes := func(t *results.Trace, port string) {
		if t == nil {
			return
		}
		if first, ok := shown[t]; ok {
			note("trace: as " + first)
			return
		}
		shown[t] = port
		note("trace: " + t.Summary())
		if len(t.Hops) > 0 {
			note("hops: " + t.Path())
		}
	}
	for _, e := range entries {
		r := e.first
		port := results.PortName(r.Proto, r.Port)
		reason := string(r.Reason)
		if e.n > 1 {
			port = strconv.Itoa(int(r.Port)) + "-" + results.PortName(r.Proto, e.lastPort)
			reason += " (" + strconv.Itoa(e.n) + ")"
		}
		if port == "" {
			port = "-"
		}
		check, cc := p.checkCell(r)
		row(port, stateColor(r.State), r.State.String(), reason, rttRange(e.minRTT, e.maxRTT), check, cc, detailCell(r, false))
		if r.Check != nil && (p.opt.Verbose || results.Fails(r)) {
			for _, s := range checkNotes(r.Check) {
				note(s)
			}
		}
		traceNotes(r.Trace, port)
		for _, c := range e.children {
			check, cc := p.checkCell(c)
			row("  `- "+results.PortName(c.Proto, c.Port), stateColor(c.State), c.State.String(), string(c.Reason), rttRange(c.RTT, c.RTT), check, cc, detailCell(c, true))
			if c.Check != nil && (p.opt.Verbose || results.Fails(c)) {
				for _, s := range checkNotes(c.Check) {
					note(s)
				}
			}
			traceNotes(c.Trace, results.PortName(c.Proto, c.Port))
		}
	}
	tw.Flush()
	p.out.WriteString("  " + stateCounts(h) + "\n")
}

func failsBelow(cs []*results.Result) bool {
	for _, c := range cs {
		if results.Fails(c) {
			return true
		}
	}
	return false
}

func hasCheck(n int, at func(int) *results.Result) bool {
	for i := range n {
		if at(i).Check != nil {
			return true
		}
	}
	return false
}

// group compresses runs of alike results into ranges unless Verbose is set.
// rs are indices of results (see host), children the follow-ups under each.
func (p *tablePrinter) group(rs []int, at func(int) *results.Result, children map[int][]*results.Result) []entry {
	var out []entry
	for _, i := range rs {
		r := at(i)
		if n := len(out); n > 0 && !p.opt.Verbose && len(children[i]) == 0 && mergeable(out[n-1], r) {
			e := &out[n-1]
			e.lastPort = r.Port
			e.n++
			e.minRTT = min(e.minRTT, r.RTT)
			e.maxRTT = max(e.maxRTT, r.RTT)
			continue
		}
		first := *r
		out = append(out, entry{first: &first, lastPort: r.Port, n: 1, minRTT: r.RTT, maxRTT: r.RTT, children: children[i]})
	}
	return out
}

// mergeable reports whether r continues the range e: the next port of the same
// transport, the same state and reason, the same check (a profile entry may
// itself be a range, "TCP 6001-6004"), and nothing that only one port could say
// (probe detail, follow-up label).
func mergeable(e entry, r *results.Result) bool {
	l := e.first // alike its range's last port but for the port
	if len(e.children) > 0 || (r.Proto != results.TCP && r.Proto != results.UDP) || r.Proto != l.Proto ||
		r.Port != e.lastPort+1 || e.lastPort == 0 || r.State != l.State || r.Reason != l.Reason ||
		r.Probe != l.Probe || r.Detail != "" || l.Detail != "" || r.Under != "" || l.Under != "" ||
		r.Via != "" || l.Via != "" || r.Trace != l.Trace {
		return false
	}
	return reflect.DeepEqual(r.Check, l.Check)
}

func (p *tablePrinter) checkCell(r *results.Result) (string, string) {
	c := r.Check
	if c == nil {
		return "", ansiDefault
	}
	switch {
	case !results.Checked(r):
		return "optional", ansiDefault
	}
	switch o := results.Judge(r); o.Status {
	case results.StatusFailed:
		if o.Why != "" && o.Why != r.Reason && results.JudgeState(r).Status != results.StatusFailed {
			// The state met the expectation; a producer failed the check (a
			// certificate, a service, an RPC interface): say why.
			return "FAIL: " + string(o.Why), ansiRed
		}
		return "FAIL: must be " + string(c.Expect), ansiRed
	case results.StatusUntested:
		return "untested: must be " + string(c.Expect), ansiYellow
	case results.StatusUndetermined:
		return "undetermined: must be " + string(c.Expect), ansiYellow
	}
	return "ok: must be " + string(c.Expect), ansiGreen
}

// detailCell is the DETAIL column: the service a profile names (with the
// profiles that ask for it), the probe and what its reply said, the follow-up
// label, and for a follow-up not shown under its parent, which port revealed it.
func detailCell(r *results.Result, nested bool) string {
	var parts []string
	if c := r.Check; c != nil && (c.Service != "" || len(c.Profiles) > 0) {
		s := c.Service
		if len(c.Profiles) > 0 {
			s = strings.TrimSpace(s + " [" + strings.Join(c.Profiles, ", ") + "]")
		}
		parts = append(parts, s)
	}
	if r.Probe != "" || r.Detail != "" {
		parts = append(parts, strings.TrimSpace(r.Probe+"  "+r.Detail))
	}
	if r.Under != "" {
		u := r.Under
		if r.Via != "" && !nested {
			u += " (via " + r.Via + ")"
		}
		parts = append(parts, u)
	}
	return strings.Join(parts, "  ")
}

// checkNotes are the lines under an entry that say why the port matters and who
// says so.
func checkNotes(c *results.Check) []string {
	var out []string
	if c.Purpose != "" {
		out = append(out, "purpose: "+c.Purpose)
	}
	if c.Role != "" {
		out = append(out, "role: "+c.Role)
	}
	if len(c.Sources) > 0 {
		out = append(out, "source: "+sourcesText(c.Sources))
	}
	return out
}

// formatRTT prints a round-trip time with two or three significant digits.
func formatRTT(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d <= 0:
		return "-"
	case ms < 1:
		return strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	case ms < 10:
		return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', 2, 64) + "s"
}

func rttRange(lo, hi time.Duration) string {
	l, h := formatRTT(lo), formatRTT(hi)
	if lo <= 0 || l == h {
		return h
	}
	if strings.HasSuffix(l, "ms") && strings.HasSuffix(h, "ms") {
		l = strings.TrimSuffix(l, "ms")
	}
	return l + "-" + h
}

// stateCounts is the one-line summary under a host: "113 ports: 12 open, 1 closed, …".
func stateCounts(h *results.Host) string {
	var parts []string
	for _, s := range results.States {
		if n := h.States[s]; n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+s.String())
		}
	}
	return fmt.Sprintf("%d %s: %s", h.Ports, plural(h.Ports, "port", "ports"), strings.Join(parts, ", "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (p *tablePrinter) footer(rep *results.Report, hosts []results.Host) {
	unknown := 0
	for _, h := range hosts {
		unknown += h.States[results.Unknown]
	}
	if p.out.Len() > 0 {
		p.out.WriteByte('\n')
	}
	if rep.Interrupted {
		fmt.Fprintf(p.out, "Interrupted: %d %s did not finish (state unknown).\n", unknown, plural(unknown, "port", "ports"))
	}
	if rep.Incomplete {
		fmt.Fprintf(p.out, "Stopped at --max-time: %d %s did not finish (state unknown).\n", unknown, plural(unknown, "port", "ports"))
	}
	for _, d := range results.FamilyDisagreements(hosts) {
		fmt.Fprintf(p.out, "%s %s.\n", p.paint(ansiYellow, "Families disagree:"), printable(d))
	}
	v, text := runVerdict(hosts)
	switch v {
	case results.VerdictFail:
		fmt.Fprintf(p.out, "%s: %s.\n", p.paint(ansiRed, "FAIL"), text)
	case results.VerdictPass:
		fmt.Fprintf(p.out, "%s: %s.\n", p.paint(ansiGreen, "PASS"), text)
	default:
		fmt.Fprintf(p.out, "%s.\n", text)
	}
}

// runVerdict is the verdict of a run whose hosts are summarised in hosts, and
// the sentence saying why, for a run's last line ("3 of 11 checks failed on 1
// of 3 hosts (2 not tested)"; without a verdict, the whole sentence). A role
// nobody mapped is not a host: it is counted apart.
func runVerdict(hosts []results.Host) (results.Verdict, string) {
	v := results.VerdictNone
	var checks, failed, untested, undetermined, met, failedHosts, scanned, unmapped, ports int
	for _, h := range hosts {
		if h.Unmapped() {
			unmapped++
		} else {
			scanned++
			ports += h.Ports
		}
		checks += h.Checks
		failed += h.Failed
		untested += h.Untested
		undetermined += h.Undetermined
		met += h.Met()
		switch {
		case h.Verdict == results.VerdictFail:
			failedHosts++
			v = results.VerdictFail
		case h.Verdict == results.VerdictPass && v == results.VerdictNone:
			v = results.VerdictPass
		}
	}
	hs := fmt.Sprintf("%d %s", scanned, plural(scanned, "host", "hosts"))
	var apart []string
	if untested > 0 {
		apart = append(apart, fmt.Sprintf("%d not tested", untested))
	}
	if unmapped > 0 {
		apart = append(apart, fmt.Sprintf("%d %s not mapped to a host", unmapped, plural(unmapped, "role", "roles")))
	}
	if undetermined > 0 {
		apart = append(apart, fmt.Sprintf("%d undetermined: a silent UDP port cannot tell a firewall from a service not installed yet", undetermined))
	}
	var nt string
	if len(apart) > 0 {
		nt = " (" + strings.Join(apart, "; ") + ")"
	}
	switch {
	case v == results.VerdictFail:
		return v, fmt.Sprintf("%d of %d checks failed on %d of %s%s", failed, checks, failedHosts, hs, nt)
	case v == results.VerdictPass:
		return v, fmt.Sprintf("%d %s met on %s%s", met, plural(met, "check", "checks"), hs, nt)
	case checks > 0:
		return v, fmt.Sprintf("No verdict: none of %d %s on %s could be decided%s", checks, plural(checks, "check", "checks"), hs, nt)
	}
	return v, fmt.Sprintf("%s, %d %s, nothing expected", hs, ports, plural(ports, "port", "ports"))
}

// drift writes the changes since the baseline: one line per change, its host,
// its port and what changed; "REGRESSION" marks expectations that held then and
// fail now.
func (p *tablePrinter) drift(d *results.Drift) {
	when := d.Baseline.Finished.UTC().Format(time.RFC3339)
	if len(d.Changes) == 0 {
		fmt.Fprintf(p.out, "No changes since the baseline of %s.\n", when)
		return
	}
	fmt.Fprintf(p.out, "%d %s since the baseline of %s:\n", len(d.Changes), plural(len(d.Changes), "change", "changes"), when)
	tw := tabwriter.NewWriter(p.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  HOST\tPORT\tCHANGE\t")
	for i := range d.Changes {
		c := &d.Changes[i]
		mark := ""
		if c.Regression {
			mark = p.paint(ansiRed, "REGRESSION")
			if c.Check != nil && c.Check.Expect != results.ExpectNone {
				mark += ": must be " + string(c.Check.Expect)
			}
		}
		where := c.Where()
		if where == "" {
			where = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", printable(c.HostName()), printable(where), printable(c.Text()), mark)
	}
	tw.Flush()
}

// recordsText lists the SRV records that named a DC without repeating the
// domain they share, the labels after their last underscored one:
// "_ldap._tcp.dc._msdcs, _gc._tcp (lab.example)".
func recordsText(records []string) string {
	var common []string
	for i, r := range records {
		labels := strings.Split(r, ".")
		n := len(labels)
		for n > 0 && !strings.HasPrefix(labels[n-1], "_") {
			n--
		}
		domain := labels[n:]
		if i == 0 {
			common = domain
			continue
		}
		k := 0
		for k < len(common) && k < len(domain) && strings.EqualFold(common[len(common)-1-k], domain[len(domain)-1-k]) {
			k++
		}
		common = common[len(common)-k:]
	}
	if len(common) == 0 {
		return strings.Join(records, ", ")
	}
	suffix := "." + strings.Join(common, ".")
	short := make([]string, len(records))
	for i, r := range records {
		short[i] = r[:len(r)-len(suffix)]
	}
	return strings.Join(short, ", ") + " (" + suffix[1:] + ")"
}
