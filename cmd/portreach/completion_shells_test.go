//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
)

// shellEnv returns an environment whose PATH finds the portreach binary first,
// and the path of its script for shell.
func shellEnv(t *testing.T, shell string) ([]string, string) {
	t.Helper()
	bin := portreachBin(t)
	script := filepath.Join(t.TempDir(), "portreach."+shell)
	out, err := exec.Command(bin, "completion", shell).Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH")), script
}

func runShell(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// bash, for real: the script sourced, COMP_WORDS and COMP_CWORD set as bash sets
// them (split at = and :), the completion function called.
func TestBashCompletion(t *testing.T) {
	testnet.Need(t, "bash")
	env, script := shellEnv(t, "bash")
	for _, c := range []struct {
		line  string // COMP_LINE; empty: bash gives only COMP_WORDS
		words string // COMP_WORDS, a bash array literal
		want  string // COMPREPLY, one a line
	}{
		{"portreach scan --profile exchange-2016-mai", "(portreach scan --profile exchange-2016-mai)", "exchange-2016-mailbox\n"},
		{"", "(portreach scan dc01 --profile domain-cont)", "domain-controller\n"},
		{"portreach scan --profile=exchange-2016-mai", "(portreach scan --profile = exchange-2016-mai)", "exchange-2016-mailbox\n"},
		{"portreach profiles show exchange-2016-mai", "(portreach profiles show exchange-2016-mai)", "exchange-2016-mailbox\n"},
		{"portreach sc", "(portreach sc)", "scan\n"},
		{"portreach rpc -f j", "(portreach rpc -f j)", "json\njsonl\njunit\n"},
		{"portreach scan -o json:", "(portreach scan -o json :)", ""},
		{"portreach scan --fail-on expect,reg", "(portreach scan --fail-on expect,reg)", "expect,regression\n"},
	} {
		prog := `source "$1"
COMP_WORDS=` + c.words + `
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_portreach
printf '%s\n' "${COMPREPLY[@]}"`
		got := runShell(t, env, "bash", "-c", prog, "test", script, c.line)
		if got == "\n" {
			got = ""
		}
		if got != c.want {
			t.Errorf("%s / %s: got %q, want %q", c.line, c.words, got, c.want)
		}
	}
	// Installed as bash-completion does it: complete -p names the function.
	if got := runShell(t, env, "bash", "-c", `source "$1"; complete -p portreach`, "test", script); got != "complete -o default -F _portreach portreach\n" {
		t.Errorf("complete -p: %q", got)
	}
}

// zsh: the script parses (zsh -n), and its function, with zsh's completion
// builtins replaced by stand-ins that print what they were given, hands over
// the right values.
func TestZshCompletion(t *testing.T) {
	testnet.Need(t, "zsh")
	env, script := shellEnv(t, "zsh")
	runShell(t, env, "zsh", "-n", script)
	prog := `source "$1"
_describe() { print -r -- "describe ${@[5,-1]}"; print -rl -- ${(P)4} }
_files() { print -r -- files }
compset() { print -r -- "compset $*" }
words=(portreach scan --profile exchange-2016-mai); CURRENT=4; _portreach
words=(portreach scan -o jsonl); CURRENT=4; _portreach
words=(portreach scan -o json:out); CURRENT=4; _portreach`
	got := runShell(t, env, "zsh", "-f", "-c", "compdef() { : }; "+prog, "test", script)
	want := `describe 
exchange-2016-mailbox:Exchange 2016 Mailbox
describe -S 
jsonl\::write jsonl to the file after the colon
compset -P *:
files
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// fish: the script parses (fish -n) and "complete -C" offers a profile.
func TestFishCompletion(t *testing.T) {
	testnet.Need(t, "fish")
	env, script := shellEnv(t, "fish")
	runShell(t, env, "fish", "--no-execute", script)
	got := runShell(t, env, "fish", "--no-config", "-c", `source $argv[1]; complete -C "portreach scan --profile exchange-2016-mai"; complete -C "portreach rpc -f js"`, script)
	if want := "exchange-2016-mailbox\tExchange 2016 Mailbox\njson\njsonl\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
