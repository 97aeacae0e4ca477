package results

import (
	"slices"
	"strconv"
)

// Matrix is a policy run's verdicts as a grid: rows are sources, columns are
// destinations (or rule × destination when a destination is checked from one
// source by several rules), each cell the verdict of the checks of that
// source on that destination. Build it with Add, one result at a time; a
// destination's addresses (--addresses all) are one cell.
type Matrix struct {
	Rows    []string // source names, sorted by Grid
	cells   map[cellKey]*Cell
	byRule  bool
	seen    map[cellKey]bool
	ruleFor map[[2]string]string // (source, target) → the first rule seen
}

// Cell is one source's verdict on one destination.
type Cell struct {
	Checks, Failed, Untested, Undetermined int
	// Source is set when the source measured nothing of the cell: every check
	// failed with one of the source reasons (ReasonSourceUnreachable …).
	Source Reason
	other  bool // a failure that is not the source's
}

type cellKey struct{ source, rule, target string }

// Text is the cell as the table shows it: PASS, FAIL n, the source's reason,
// or "—" for a cell nothing checked (nil).
func (c *Cell) Text() string {
	switch {
	case c == nil:
		return "—"
	case c.Source != "" && !c.other:
		return string(c.Source)
	case c.Failed > 0:
		return "FAIL " + strconv.Itoa(c.Failed)
	case c.Checks-c.Untested-c.Undetermined > 0:
		return "PASS"
	}
	return "none"
}

// Verdict is the cell's.
func (c *Cell) Verdict() Verdict {
	switch {
	case c == nil:
		return VerdictNone
	case c.Failed > 0:
		return VerdictFail
	case c.Checks-c.Untested-c.Undetermined > 0:
		return VerdictPass
	}
	return VerdictNone
}

// SourceReason reports whether r is a reason a source gives every check it
// could not run.
func SourceReason(r Reason) bool {
	switch r {
	case ReasonSourceUnreachable, ReasonSourceRefused, ReasonSourceIncompatible, ReasonSourceError, ReasonSourceTimeout:
		return true
	}
	return false
}

// Add counts r in its cell; results without a source are not a policy's.
func (m *Matrix) Add(r *Result) {
	if r.Vantage == nil {
		return
	}
	if m.cells == nil {
		m.cells, m.seen, m.ruleFor = map[cellKey]*Cell{}, map[cellKey]bool{}, map[[2]string]string{}
	}
	src := r.Vantage.Name
	if !slices.Contains(m.Rows, src) {
		m.Rows = append(m.Rows, src)
	}
	pair := [2]string{src, r.Target}
	if first, ok := m.ruleFor[pair]; !ok {
		m.ruleFor[pair] = r.Rule
	} else if first != r.Rule {
		m.byRule = true
	}
	k := cellKey{src, r.Rule, r.Target}
	c := m.cells[k]
	if c == nil {
		c = &Cell{}
		m.cells[k] = c
	}
	switch o := Judge(r); o.Status {
	case StatusMet:
		c.Checks++
	case StatusFailed:
		c.Checks++
		c.Failed++
		if SourceReason(o.Why) {
			c.Source = o.Why
		} else {
			c.other = true
		}
	case StatusUntested:
		c.Checks++
		c.Untested++
	case StatusUndetermined:
		c.Checks++
		c.Undetermined++
	}
}

// Empty reports whether no result had a source.
func (m *Matrix) Empty() bool { return len(m.Rows) == 0 }

// Column is a column of the grid: a destination, or a rule × destination
// when a destination is checked from one source by several rules.
type Column struct {
	Name   string // "dc01", or "rule 2: dc01"
	Rule   string // "" unless the grid has a column per rule
	Target string
}

// Grid returns the columns and, for each row, each column's cell (nil: not
// checked from that source).
func (m *Matrix) Grid() (columns []Column, cells [][]*Cell) {
	slices.Sort(m.Rows)
	type col struct{ rule, target string }
	var cols []col
	for k := range m.cells {
		c := col{target: k.target}
		if m.byRule {
			c.rule = k.rule
		}
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	slices.SortFunc(cols, func(a, b col) int {
		if a.rule != b.rule {
			return compareRules(a.rule, b.rule)
		}
		return compareStrings(a.target, b.target)
	})
	for _, c := range cols {
		name := c.target
		if m.byRule {
			name = c.rule + ": " + c.target
		}
		columns = append(columns, Column{Name: name, Rule: c.rule, Target: c.target})
	}
	for _, row := range m.Rows {
		line := make([]*Cell, len(cols))
		for i, c := range cols {
			for k, cell := range m.cells {
				if k.source == row && k.target == c.target && (!m.byRule || k.rule == c.rule) {
					if line[i] == nil {
						line[i] = &Cell{}
					}
					merge(line[i], cell)
				}
			}
		}
		cells = append(cells, line)
	}
	return columns, cells
}

func merge(into, c *Cell) {
	into.Checks += c.Checks
	into.Failed += c.Failed
	into.Untested += c.Untested
	into.Undetermined += c.Undetermined
	into.other = into.other || c.other
	if into.Source == "" {
		into.Source = c.Source
	}
}

// compareRules orders "rule 2" before "rule 10".
func compareRules(a, b string) int {
	na, ea := ruleNumber(a)
	nb, eb := ruleNumber(b)
	if ea == nil && eb == nil && na != nb {
		return na - nb
	}
	return compareStrings(a, b)
}

func ruleNumber(s string) (int, error) {
	if len(s) > 5 && s[:5] == "rule " {
		return strconv.Atoi(s[5:])
	}
	return 0, strconv.ErrSyntax
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
