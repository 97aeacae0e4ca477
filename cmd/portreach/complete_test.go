package main

import (
	"github.com/portreach/portreach/report"
	"io"
	"slices"
	"strings"
	"testing"
)

func values(cs []candidate) []string {
	var v []string
	for _, c := range cs {
		v = append(v, c.value)
	}
	return v
}

func TestComplete(t *testing.T) {
	for _, c := range []struct {
		before []string
		cur    string
		want   []string // exactly these, in this order
	}{
		{nil, "s", []string{"scan", "serve", "service"}},
		{[]string{"service"}, "", []string{"install", "uninstall", "start", "stop"}},
		{[]string{"service", "install"}, "--max-p", []string{"--max-probes", "--max-probes-per-client", "--max-ports"}},
		{[]string{"help"}, "pro", []string{"profiles"}},
		{[]string{"completion"}, "", shells},
		{[]string{"completion", "bash"}, "", nil},
		{[]string{"scan"}, "--ti", []string{"--timeout"}},
		{[]string{"scan"}, "-p", []string{"-p"}},
		{[]string{"scan"}, "--p", []string{"--ports", "--profile", "--profile-file", "--plan", "--per-host"}},
		{[]string{"scan", "-f"}, "j", []string{"json", "jsonl", "junit"}},
		{[]string{"scan", "198.18.0.1", "--format"}, "c", []string{"csv"}},
		{[]string{"scan"}, "--format=js", []string{"--format=json", "--format=jsonl"}},
		{[]string{"rpc", "-f"}, "", report.Names()},
		{[]string{"scan", "-o"}, "jsonl", []string{"jsonl:"}},
		{[]string{"scan", "-o"}, "json:", nil}, // then a file name
		{[]string{"scan", "--fail-on"}, "regression,st", []string{"regression,state-change"}},
		{[]string{"scan", "--expect"}, "", []string{"open", "closed", "reachable", "blocked"}},
		{[]string{"scan", "--timeout"}, "", nil},
		{[]string{"scan", "-v"}, "", nil}, // a bool flag takes no value: a target
		{[]string{"scan", "--profile"}, "exchange-2016-ma", []string{"exchange-2016-mailbox"}},
		{[]string{"scan", "--profile"}, "dns-server,exchange-2016-ma", []string{"dns-server,exchange-2016-mailbox"}},
		{[]string{"scan", "--profile=dns-server"}, "--profile=exchange-2016-ma", []string{"--profile=exchange-2016-mailbox"}},
		{[]string{"profiles"}, "", []string{"show"}},
		{[]string{"profiles", "show"}, "exchange-2016-ma", []string{"exchange-2016-mailbox"}},
		{[]string{"profiles", "--profile-file", "x.json", "show"}, "exchange-2016-ma", []string{"exchange-2016-mailbox"}},
		{[]string{"profiles", "show", "--profile-file"}, "", nil},
		{[]string{"profiles", "exchange"}, "", nil},
		{[]string{"version"}, "", nil},
		{[]string{"rpc", "dc01", "--require"}, "msd", []string{"msdtc"}},
		{[]string{"local", "--profile"}, "exchange-2016-ma", []string{"exchange-2016-mailbox"}},
		{[]string{"local", "-o"}, "htm", []string{"html:"}},
	} {
		got := values(complete(c.before, c.cur))
		if !slices.Equal(got, c.want) {
			t.Errorf("%q + %q: got %q, want %q", c.before, c.cur, got, c.want)
		}
	}
}

// Every flag of every command is offered, in both spellings.
func TestCompleteEveryFlag(t *testing.T) {
	for _, cmd := range []string{"scan", "rpc", "serve", "profiles", "local"} {
		f := commandFlagSet(cmd)
		offered := values(complete([]string{cmd}, "-"))
		for long, s := range f.short {
			if !slices.Contains(offered, dash(long)) || !slices.Contains(offered, dash(s)) {
				t.Errorf("%s: %s / %s not offered: %q", cmd, dash(long), dash(s), offered)
			}
		}
		if n := len(f.order) + len(f.short); len(offered) != n {
			t.Errorf("%s: %d flags offered, want %d", cmd, len(offered), n)
		}
	}
}

func TestRunComplete(t *testing.T) {
	var b strings.Builder
	runComplete([]string{"--cur=exchange-2016-mai", "--", "scan", "--profile"}, &b)
	if b.String() != "exchange-2016-mailbox\tExchange 2016 Mailbox\n" {
		t.Errorf("got %q", b.String())
	}
	b.Reset()
	runComplete([]string{"--cur=--retr", "rpc"}, &b) // PowerShell sends no "--"
	if !strings.HasPrefix(b.String(), "--retries\t") {
		t.Errorf("got %q", b.String())
	}
}

func TestCompletionCommand(t *testing.T) {
	for _, sh := range shells {
		var out, errb strings.Builder
		if code := run([]string{"completion", sh}, nil, &out, &errb); code != exitOK || !strings.Contains(out.String(), " __complete ") {
			t.Errorf("%s: exit %d, stderr %q\n%s", sh, code, errb.String(), out.String())
		}
	}
	for _, c := range []struct{ args, err string }{
		{"", "portreach completion: name one shell: bash, zsh, fish, powershell (see portreach completion --help)\n"},
		{"tcsh", "portreach completion: unknown shell \"tcsh\" (want bash, zsh, fish, powershell)\n"},
	} {
		var out, errb strings.Builder
		args := append([]string{"completion"}, strings.Fields(c.args)...)
		if code := run(args, nil, &out, &errb); code != exitUsage || errb.String() != c.err {
			t.Errorf("%q: exit %d, stderr %q; want %q", args, code, errb.String(), c.err)
		}
	}
}

// No PowerShell in Debian: the script's structure is checked instead, brackets
// balanced outside strings, and the pieces it needs present.
func TestPowerShellScript(t *testing.T) {
	s := powershellCompletion
	for _, want := range []string{
		"Register-ArgumentCompleter -Native -CommandName 'portreach', 'portreach.exe' -ScriptBlock {",
		"param($wordToComplete, $commandAst, $cursorPosition)",
		`& $exe __complete "--cur=$wordToComplete" @before`,
		"[System.Management.Automation.CompletionResult]::new($text, $value, 'ParameterValue', $tip)",
		"$line -split \"`t\", 2",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	var stack []rune
	pairs := map[rune]rune{')': '(', '}': '{', ']': '['}
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote && !(quote == '"' && i > 0 && s[i-1] == '`') {
				quote = 0
			}
		case r == '#' && (i == 0 || s[i-1] == '\n' || s[i-1] == ' '):
			quote = '\n' // a comment, to the end of the line
		case r == '\'' || r == '"':
			quote = r
		case r == '(' || r == '{' || r == '[':
			stack = append(stack, r)
		case pairs[r] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				t.Fatalf("unbalanced %q at byte %d", r, i)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 || (quote != 0 && quote != '\n') {
		t.Errorf("unclosed %q, quote %q", stack, quote)
	}
}

// Every command completion offers exists and has help.
func TestCompletedCommandsExist(t *testing.T) {
	for _, c := range commands {
		var out, errb strings.Builder
		if code := run([]string{c.value, "--help"}, nil, &out, &errb); code != exitOK || out.Len() == 0 {
			t.Errorf("%s --help: exit %d, stderr %q", c.value, code, errb.String())
		}
	}
}

// "help --help" and "--help -h" print the usage (they recursed until the stack
// overflowed).
func TestHelpOfHelp(t *testing.T) {
	for _, args := range [][]string{{"help", "--help"}, {"--help", "-h"}, {"-h", "help"}} {
		var out strings.Builder
		if code := run(args, nil, &out, io.Discard); code != exitOK || !strings.HasPrefix(out.String(), "portreach: ") {
			t.Errorf("%q: exit %d\n%s", args, code, out.String())
		}
	}
}
