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
	p("reachable; **blocked** = a firewall must stop it (filtered passes; open, or closed by a RST or ICMP\n")
	p("port unreachable, fails). Entries with a role are checked on the host mapped with `--role ROLE=HOST`; unmapped\n")
	p("roles are reported as skipped. `dynamic-rpc` entries are checked through the RPC endpoint mapper;\n")
	p("`negotiated` ports and IP protocols (gre, esp, ah) are reported not-tested. An entry may also\n")
	p("`require` what the service confirmed on the port must show: `smb-signing` (the SMB server requires\n")
	p("signing, as domain controllers do by default), or its check fails with `smb-signing-not-required`.\n\n")
	p("Two generations of profiles: those derived from the seed documents describe the Windows Server\n")
	p("2003-era roles and Exchange 2000-2019 as those documents do, and cite them by file name; the\n")
	p("current profiles (Windows Server 2016-2025, SQL Server 2016-2025, Exchange 2019 and Subscription\n")
	p("Edition) come from Microsoft's current documentation, cite each port by the page's URL and its\n")
	p("section or table row, and check dynamic RPC in today's default range, 49152-65535. The *For*\n")
	p("column says which product versions, and which Windows versions, each profile is for.\n\n")
	p("Your own profiles (`--profile-file FILE`, or the `profiles` list of a plan file) use the same\n")
	p("schema, checked as strictly: an unknown field, a bad port or a dangling include is an error\n")
	p("naming file and line.\n\n")
	p("```json\n%s```\n\n", schemaExample)
	p("| Profile | Name | For | Entries | Includes |\n|---|---|---|---|---|\n")
	for _, q := range c.profiles {
		entries, _ := c.Resolve(q)
		p("| [%s](#%s) | %s | %s | %d | %s |\n", q.Slug, q.Slug, cell(q.Name), cell(q.AppliesTo()), len(entries), cell(strings.Join(q.Include, ", ")))
	}
	for _, q := range c.profiles {
		p("\n## %s\n\n", q.Slug)
		p("**%s** — %s\n\n", md(q.Name), md(q.Description))
		p("- Product: %s\n", md(strings.TrimSpace(q.Product+" "+q.Version)))
		if len(q.Platforms) > 0 {
			p("- Runs on: %s\n", md(strings.Join(q.Platforms, ", ")))
		}
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
			expect := string(e.Expect)
			if len(e.Require) > 0 {
				expect += ", requires " + strings.Join(e.Require, ", ")
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(e.Label()), cell(e.Service), cell(purpose(e)), cell(expect),
				cell(e.Role), cell(e.Probe), cell(srcText(e.Source)), cell(e.Note))
		}
	}
	return b.Flush()
}

// schemaExample shows every field of a profile file.
const schemaExample = `{
  "profiles": [
    {
      "slug": "contoso-app",
      "name": "Contoso app server",
      "aliases": ["contoso"],
      "description": "Line-of-business app: HTTPS for clients, SQL Server behind it.",
      "product": "Contoso",
      "version": "4",
      "platforms": ["Windows Server 2022", "Windows Server 2025"],
      "include": ["web-server-iis"],
      "roles": [{"key": "sql", "description": "The app's database server"}],
      "entries": [
        {"proto": "tcp", "port": 8443, "service": "HTTPS", "purpose": "API clients", "expect": "open"},
        {"proto": "tcp", "port": 1433, "service": "SQL Server", "purpose": "App database",
         "expect": "open", "role": "sql", "source": {"document": "design.docx", "section": "3.2"}},
        {"proto": "udp", "port": 161, "service": "SNMP", "purpose": "Monitoring", "probe": "snmp",
         "expect": "optional", "note": "Only where monitoring is enabled"},
        {"proto": "tcp", "kind": "dynamic-rpc", "service": "DTC", "purpose": "Transactions", "expect": "open"},
        {"proto": "tcp", "port": 445, "service": "SMB", "purpose": "Reports share", "expect": "open",
         "require": ["smb-signing"]},
        {"proto": "tcp", "port": 23, "service": "Telnet", "purpose": "Hardening", "expect": "closed"}
      ]
    }
  ]
}
`

// purpose renders an entry's purpose, with the RPC interfaces a dynamic-rpc
// entry stands for.
func purpose(e *Entry) string {
	if len(e.Interfaces) == 0 {
		return e.Purpose
	}
	return e.Purpose + " (RPC interfaces: " + strings.Join(e.Interfaces, ", ") + ")"
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
