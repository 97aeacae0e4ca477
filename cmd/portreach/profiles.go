package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/portreach/portreach/profiles"
)

const profilesUsage = `Usage:
  portreach profiles [--profile-file FILE]... [WORD]
  portreach profiles show [--profile-file FILE]... SLUG|NAME

List the built-in profiles (server roles, services and components) with the number
of ports each checks and the product versions and Windows versions each is for, or
show one profile's ports in full.

  portreach profiles                      every profile
  portreach profiles exchange             profiles whose name, description, versions or
                                          a service they use mentions "exchange"
  portreach profiles 2022                 profiles for Windows Server 2022 (or SQL 2022)
  portreach profiles show exchange-2016-mailbox
  portreach profiles show "Domain controller"
                                          a slug, display name or alias, in any case

For each port, "show" prints:
  - protocol and port, or "dynamic-rpc" for ports the RPC runtime allocates (checked
    through the endpoint mapper on 135/tcp), "negotiated" for ports agreed per
    session, or an IP protocol (gre, esp, ah), which cannot be tested and is
    reported not-tested;
  - "-> ROLE" when the port is on another server: map it with
    "portreach scan --role ROLE=HOST"; unmapped roles are reported as skipped;
  - the expectation: open (required: the scan fails unless it is open), optional
    (shown, never fails) or closed (must not be reachable);
  - the UDP probe, the service and purpose, the source document and table row or
    section, the RPC interfaces a dynamic-rpc entry stands for (each must be
    registered with the endpoint mapper and accept a bind), and a note where the
    documents disagree or are ambiguous.

PROFILES.md in the repository lists every profile the same way.
`

// profilesFlags defines the flags of "portreach profiles".
func profilesFlags(files *listFlag) *cmdFlags {
	f := newCmdFlags("portreach profiles", profilesUsage)
	f.Group(groupPorts)
	f.Var(files, "profile-file", "add the profiles in `FILE` (JSON, same schema as profiles/data); repeatable")
	return f
}

// runProfiles implements "portreach profiles". It returns the exit status: 0 on
// success, 1 when WORD matches no profile, 2 for bad input.
func runProfiles(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var files listFlag
	rest, code, done := profilesFlags(&files).parseArgs(args, stdout, stderr)
	if done {
		return code
	}
	show := len(rest) > 0 && rest[0] == "show"
	if show {
		rest = rest[1:]
	}
	c, err := profiles.Load()
	if err != nil {
		fmt.Fprintln(stderr, "portreach profiles: built-in catalogue:", err)
		return exitUsage
	}
	if err := addProfileFiles(ctx, c, files.vals); err != nil {
		fmt.Fprintln(stderr, "portreach profiles:", err)
		return exitFor(exitUsage, err)
	}
	switch {
	case show && len(rest) != 1:
		fmt.Fprintln(stderr, `portreach profiles show: want one profile (slug, name or alias; quote names with spaces), e.g. portreach profiles show "Exchange 2016 Mailbox"`)
		return exitUsage
	case show:
		p, err := c.Lookup(rest[0])
		if err != nil {
			fmt.Fprintln(stderr, "portreach profiles show:", err)
			return exitUsage
		}
		showProfile(stdout, c, p)
		return exitOK
	case len(rest) > 1:
		fmt.Fprintf(stderr, "portreach profiles: want at most one search word, got %d (quote a phrase: portreach profiles \"edge transport\")\n", len(rest))
		return exitUsage
	}
	word := ""
	if len(rest) == 1 {
		word = rest[0]
	}
	ps := c.Search(word)
	if len(ps) == 0 {
		fmt.Fprintf(stderr, "portreach profiles: no profile matches %q\n", word)
		return exitFailed
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tPORTS\tFOR")
	for _, p := range ps {
		entries, _ := c.Resolve(p)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", p.Slug, p.Name, countChecks(entries), p.AppliesTo())
	}
	tw.Flush()
	return exitOK
}

// countChecks counts distinct (role, protocol, port, kind) entries: what a scan of
// the profile checks once duplicates from several sources are merged.
func countChecks(es []profiles.Entry) int {
	seen := map[string]bool{}
	for _, e := range es {
		seen[e.Role+" "+e.Label()] = true
	}
	return len(seen)
}

func showProfile(w io.Writer, c *profiles.Catalog, p *profiles.Profile) {
	fmt.Fprintf(w, "%s — %s\n", p.Slug, p.Name)
	fmt.Fprintf(w, "%s\n", p.Description)
	fmt.Fprintf(w, "Product:  %s\n", strings.TrimSpace(p.Product+" "+p.Version))
	if len(p.Platforms) > 0 {
		fmt.Fprintf(w, "Runs on:  %s\n", strings.Join(p.Platforms, ", "))
	}
	if len(p.Aliases) > 0 {
		fmt.Fprintf(w, "Aliases:  %s\n", strings.Join(p.Aliases, ", "))
	}
	if len(p.Include) > 0 {
		fmt.Fprintf(w, "Includes: %s\n", strings.Join(p.Include, ", "))
	}
	if p.Pos.File != "" && !strings.HasPrefix(p.Pos.File, "profiles/data/") {
		fmt.Fprintf(w, "Defined:  %s\n", p.Pos)
	}
	entries, roles := c.Resolve(p)
	if len(roles) > 0 {
		fmt.Fprintln(w, "\nDestination roles (map with --role ROLE=HOST; unmapped roles are skipped):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, r := range roles {
			fmt.Fprintf(tw, "  %s\t%s\n", r.Key, r.Description)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\n%d ports (%d entries with their sources):\n", countChecks(entries), len(entries))
	width := 0
	for _, e := range entries {
		width = max(width, len(portLabel(e)))
	}
	indent := strings.Repeat(" ", 2+width+2+8+2)
	from := ""
	for _, e := range entries {
		if e.Profile != from {
			from = e.Profile
			if from != p.Slug || len(p.Include) > 0 {
				fmt.Fprintf(w, "\n from %s:\n", from)
			}
		}
		line := e.Service + ": " + e.Purpose
		if e.Probe != "" {
			line += " [probe " + e.Probe + "]"
		}
		fmt.Fprintf(w, "  %-*s  %-8s  %s\n", width, portLabel(e), e.Expect, line)
		src := e.Source.Document
		if e.Source.Section != "" {
			src += ", " + e.Source.Section
		}
		if src != "" {
			fmt.Fprintf(w, "%ssource: %s\n", indent, src)
		}
		if len(e.Interfaces) > 0 {
			fmt.Fprintf(w, "%sRPC:    %s\n", indent, strings.Join(e.Interfaces, ", "))
		}
		if e.Note != "" {
			fmt.Fprintf(w, "%snote:   %s\n", indent, e.Note)
		}
	}
}

// portLabel renders an entry's port and destination: "tcp/25 -> edge".
func portLabel(e profiles.Entry) string {
	s := e.Label()
	if e.Role != "" {
		s += " -> " + e.Role
	}
	return s
}
