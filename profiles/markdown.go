package profiles

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/portreach/portreach/results"
)

// WriteMarkdown writes the reference of every profile and entry, with expectation,
// destination role, probe, source and notes: the content of PROFILES.md.
func (c *Catalog) WriteMarkdown(w io.Writer) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("# Profiles\n\n")
	p("<!-- Generated from profiles/data by `go generate ./profiles`. Do not edit. -->\n\n")
	p("Every profile `portreach scan --profile` accepts, with each port, what is expected of it, and the\n")
	p("document and table row or section that requires it. Expectations: **open** = required (the run\n")
	p("fails unless the port is open); **optional** = reported, never fails; **closed** = must not be\n")
	p("reachable. Entries with a role are checked on the host mapped with `--role ROLE=HOST`; unmapped\n")
	p("roles are reported as skipped. `dynamic-rpc` entries are checked through the RPC endpoint mapper;\n")
	p("`negotiated` ports and IP protocols (gre, esp, ah) are reported not-tested.\n\n")
	p("| Profile | Name | Product | Entries | Includes |\n|---|---|---|---|---|\n")
	for _, q := range c.profiles {
		entries, _ := c.Resolve(q)
		p("| [%s](#%s) | %s | %s | %d | %s |\n", q.Slug, q.Slug, cell(q.Name), cell(strings.TrimSpace(q.Product+" "+q.Version)), len(entries), cell(strings.Join(q.Include, ", ")))
	}
	for _, q := range c.profiles {
		p("\n## %s\n\n", q.Slug)
		p("**%s** — %s\n\n", md(q.Name), md(q.Description))
		p("- Product: %s\n", md(strings.TrimSpace(q.Product+" "+q.Version)))
		if len(q.Aliases) > 0 {
			p("- Aliases: %s\n", md(strings.Join(q.Aliases, ", ")))
		}
		if len(q.Include) > 0 {
			var links []string
			for _, s := range q.Include {
				links = append(links, fmt.Sprintf("[%s](#%s)", s, s))
			}
			p("- Includes: %s\n", strings.Join(links, ", "))
		}
		if len(q.Roles) > 0 {
			p("- Destination roles:\n")
			for _, r := range q.Roles {
				p("  - `%s`: %s (%s)\n", r.Key, md(r.Description), md(srcText(r.Source)))
			}
		}
		if len(q.Entries) == 0 {
			continue
		}
		p("\n| Port | Service | Purpose | Expect | Role | Probe | Source | Note |\n|---|---|---|---|---|---|---|---|\n")
		for i := range q.Entries {
			e := &q.Entries[i]
			p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(e.Label()), cell(e.Service), cell(e.Purpose), e.Expect,
				cell(e.Role), cell(e.Probe), cell(srcText(e.Source)), cell(e.Note))
		}
	}
	return b.Flush()
}

// srcText renders a source as "document, section".
func srcText(s results.Source) string {
	if s.Section == "" {
		return s.Document
	}
	return s.Document + ", " + s.Section
}

// md escapes characters markdown would take as markup in running text.
func md(s string) string {
	r := strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "`", "\\`")
	return r.Replace(s)
}

// cell escapes a table cell.
func cell(s string) string { return md(strings.ReplaceAll(s, "\n", " ")) }
