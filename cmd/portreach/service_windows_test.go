//go:build windows

package main

import (
	"slices"
	"syscall"
	"testing"

	"golang.org/x/sys/windows"
)

// quoteArg quotes as syscall.EscapeArg, which mgr.CreateService uses to write
// the command line that installDecision compares with commandLine's.
func TestQuoteArgIsEscapeArg(t *testing.T) {
	for _, s := range []string{"", "serve", "--allow=10.20.0.0/16", `C:\Program Files\portreach\portreach.exe`,
		"a\tb", `a"b`, `a\"b`, `a b"c`, `dir\`, `my dir\`, `my dir\\`, `\\server\share\a b`, `"`, `é ü`, `\\"`} {
		if got, want := quoteArg(s), syscall.EscapeArg(s); got != want {
			t.Errorf("quoteArg(%q) = %s, syscall.EscapeArg %s", s, got, want)
		}
	}
}

// The tests' parser is CommandLineToArgvW's reading.
func TestSplitCommandLineIsCommandLineToArgvW(t *testing.T) {
	for _, line := range []string{
		`prog "a b c" d e`, `prog "ab\"c" "\\" d`, `prog a\\\b d"e f"g h`, `prog a\\\"b c d`, `prog a\\\\"b c" d e`,
		`"C:\Program Files\p\p.exe" serve --allow 10.20.0.0/16`, ` serve`,
		commandLine(`C:\Program Files\portreach\portreach.exe`, []string{"serve", "", `a"b`, `tail\`, `tail space\ `, `\\"`, "tab\there"}),
	} {
		want, err := windows.DecomposeCommandLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if got := splitCommandLine(line); !slices.Equal(got, want) {
			t.Errorf("%s: %q, CommandLineToArgvW %q", line, got, want)
		}
	}
}
