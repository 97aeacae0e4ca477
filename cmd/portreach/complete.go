package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/portreach/portreach/profiles"
	"github.com/portreach/portreach/report"
)

// Shell completion. Each shell's script (completion_scripts.go) asks the binary
// itself: "portreach __complete --cur=WORD -- WORDS..." prints the candidates
// for WORD, the word under the cursor, after WORDS, the words before it (less
// "portreach"), one a line as "VALUE" or "VALUE<tab>DESCRIPTION". Nothing
// printed means: complete file names. So commands, flags, formats and profile
// names come from the same definitions the commands parse with, and profiles
// from the catalogue built into the binary.
//
// The current word travels as --cur=WORD, never as a bare argument, because
// PowerShell before 7.3 drops empty arguments to native commands.

// commands are portreach's commands, for completion and "help COMMAND".
// A new command gets a line here.
var commands = []candidate{
	{"scan", "test ports or role profiles on hosts"},
	{"profiles", "list the role profiles, or show one"},
	{"rpc", "list RPC endpoints (135/tcp) and test their ports"},
	{"serve", "Prometheus exporter"},
	{"service", "serve as a Windows service: install, uninstall, start, stop"},
	{"local", "this machine's listening ports, or checked against a profile"},
	{"completion", "print a shell completion script"},
	{"version", "print the version"},
	{"help", "explain a command"},
}

// commandFlagSet returns the flag set of a command that has one, else nil.
func commandFlagSet(cmd string) *cmdFlags {
	switch cmd {
	case "scan":
		return scanFlags(&scanCmd{})
	case "rpc":
		return rpcFlags(&rpcCmd{})
	case "serve":
		return serveFlags(&serveCmd{})
	case "local":
		return localFlags(&localCmd{})
	case "profiles", "profile":
		var files listFlag
		return profilesFlags(&files)
	}
	return nil
}

// candidate is one completion: a value and what it means.
type candidate struct{ value, desc string }

// choices is a fixed list of values, for cmdFlags.Complete.
func choices(vals ...string) func() []candidate {
	return func() []candidate {
		cs := make([]candidate, len(vals))
		for i, v := range vals {
			cs[i] = candidate{value: v}
		}
		return cs
	}
}

// profileNames lists the built-in profiles' slugs with their names.
func profileNames() []candidate {
	cat, err := profiles.Load()
	if err != nil {
		return nil
	}
	var cs []candidate
	for _, p := range cat.Profiles() {
		cs = append(cs, candidate{p.Slug, p.Name})
	}
	return cs
}

// runComplete implements the hidden "portreach __complete --cur=WORD -- WORDS...".
func runComplete(args []string, stdout io.Writer) int {
	var cur string
	if len(args) > 0 && strings.HasPrefix(args[0], "--cur=") {
		cur, args = strings.TrimPrefix(args[0], "--cur="), args[1:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	var b strings.Builder
	for _, c := range complete(args, cur) {
		b.WriteString(c.value)
		if c.desc != "" {
			b.WriteString("\t" + oneLine(c.desc))
		}
		b.WriteByte('\n')
	}
	io.WriteString(stdout, b.String())
	return exitOK
}

// oneLine shortens a flag's usage to its first clause, for a completion menu.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "`", "")
	if i := strings.IndexAny(s, ";("); i > 20 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// complete returns the candidates for cur, the word under the cursor, after
// the words before it.
func complete(before []string, cur string) []candidate {
	if len(before) == 0 {
		return matching(commands, "", cur)
	}
	cmd, args := before[0], before[1:]
	switch cmd {
	case "help":
		if len(args) == 0 {
			return matching(commands, "", cur)
		}
		return nil
	case "completion":
		if len(args) == 0 {
			return matching(choices(shells...)(), "", cur)
		}
		return nil
	case "service":
		if len(args) == 0 {
			return matching(choices("install", "uninstall", "start", "stop")(), "", cur)
		}
		if args[0] == "install" {
			return complete(append([]string{"serve"}, args[1:]...), cur) // serve's flags
		}
		return nil
	case "profiles", "profile":
		f := commandFlagSet(cmd)
		if !strings.HasPrefix(cur, "-") && !slices.Contains(args, "show") && !expectsValue(f, args) {
			// The first word is "show" or a search word; after "show", a profile.
			if len(positional(f, args)) == 0 {
				return matching([]candidate{{"show", "every port of a profile"}}, "", cur)
			}
			return nil
		}
		if slices.Contains(args, "show") && !strings.HasPrefix(cur, "-") && !expectsValue(f, args) {
			return matching(profileNames(), "", cur)
		}
	}
	f := commandFlagSet(cmd)
	if f == nil {
		return nil
	}
	// --flag=VALUE
	if strings.HasPrefix(cur, "-") {
		if name, val, ok := strings.Cut(strings.TrimLeft(cur, "-"), "="); ok {
			return f.completeValue(name, cur[:len(cur)-len(val)], val)
		}
		return f.completeFlags(cur)
	}
	if len(args) > 0 && expectsValue(f, args) {
		return f.completeValue(strings.TrimLeft(args[len(args)-1], "-"), "", cur)
	}
	return nil
}

// expectsValue reports whether the last of args is a flag waiting for its value.
func expectsValue(f *cmdFlags, args []string) bool {
	if len(args) == 0 || f == nil {
		return false
	}
	last := args[len(args)-1]
	if !strings.HasPrefix(last, "-") || last == "-" || last == "--" || strings.Contains(last, "=") {
		return false
	}
	fl := f.Lookup(strings.TrimLeft(last, "-"))
	if fl == nil {
		return false
	}
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// positional returns the words of args that are neither flags nor their values.
func positional(f *cmdFlags, args []string) []string {
	var pos []string
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, "-"):
		case i > 0 && expectsValue(f, args[:i]):
		default:
			pos = append(pos, a)
		}
	}
	return pos
}

// completeFlags offers every flag, spelled as the help spells it.
func (f *cmdFlags) completeFlags(cur string) []candidate {
	f.assign()
	var cs []candidate
	for _, name := range f.order {
		usage := f.Lookup(name).Usage
		cs = append(cs, candidate{dash(name), usage})
		if s, ok := f.short[name]; ok {
			cs = append(cs, candidate{dash(s), usage})
		}
	}
	return matching(cs, "", cur)
}

// completeValue offers the values of the flag name that start with cur; each
// candidate is prefixed with prefix ("--format=" for --format=VALUE). Values of
// a list flag are completed after the last comma.
func (f *cmdFlags) completeValue(name, prefix, cur string) []candidate {
	if long, ok := f.longName(name); ok {
		name = long
	}
	v, ok := f.values[name]
	if !ok {
		return nil // a file or a host: the shell's own completion
	}
	if v.list {
		if i := strings.LastIndexByte(cur, ','); i >= 0 {
			prefix, cur = prefix+cur[:i+1], cur[i+1:]
		}
	}
	cs := matching(v.values(), prefix, cur)
	if len(cs) == 1 && cs[0].value == prefix+cur && strings.HasSuffix(cur, ":") {
		return nil // "-o json:": what follows is a file name
	}
	return cs
}

// matching returns the candidates starting with cur, each value prefixed.
func matching(cs []candidate, prefix, cur string) []candidate {
	var out []candidate
	for _, c := range cs {
		if strings.HasPrefix(c.value, cur) {
			out = append(out, candidate{prefix + c.value, c.desc})
		}
	}
	return out
}

// shells are those "portreach completion" writes a script for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

// runCompletion implements "portreach completion SHELL".
func runCompletion(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, completionUsage)
		return exitOK
	}
	if len(args) != 1 {
		fmt.Fprintf(stderr, "portreach completion: name one shell: %s (see portreach completion --help)\n", strings.Join(shells, ", "))
		return exitUsage
	}
	script, ok := completionScripts[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "portreach completion: unknown shell %q (want %s)\n", args[0], strings.Join(shells, ", "))
		return exitUsage
	}
	io.WriteString(stdout, script)
	return exitOK
}

const completionUsage = `Usage:
  portreach completion bash|zsh|fish|powershell

Print a script that completes portreach's commands, flags, formats and profile
names in that shell. Load it once per session, or install it:

  bash:        source <(portreach completion bash)
               portreach completion bash > /etc/bash_completion.d/portreach
  zsh:         source <(portreach completion zsh)
               portreach completion zsh > "${fpath[1]}/_portreach"
  fish:        portreach completion fish > ~/.config/fish/completions/portreach.fish
  PowerShell:  portreach completion powershell | Out-String | Invoke-Expression
               (add that line to $PROFILE to keep it)

The script asks portreach itself for the candidates, so it stays right when
portreach is upgraded.
`

// outputPrefixes offers -o's FORMAT: prefixes; the file name after it is the
// shell's to complete.
func outputPrefixes() []candidate {
	var cs []candidate
	for _, f := range report.Formats() {
		cs = append(cs, candidate{value: f.Name + ":", desc: "write " + f.Name + " to the file after the colon"})
	}
	return cs
}

// formatChoices offers -f's formats with what each is for.
func formatChoices() []candidate {
	var cs []candidate
	for _, f := range report.Formats() {
		cs = append(cs, candidate{value: f.Name, desc: f.Description})
	}
	return cs
}
