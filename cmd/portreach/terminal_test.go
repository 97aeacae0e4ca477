//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openTerminal returns a pseudo-terminal: the side a command writes to (a real
// terminal to isatty) and what was written on it, read from the other side
// once the command is done.
func openTerminal(t *testing.T) (tty *os.File, screen func() string) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(&out, ptmx) // ends with EIO when the terminal side is closed
	}()
	closed := false
	t.Cleanup(func() {
		if !closed {
			tty.Close()
		}
	})
	return tty, func() string {
		closed = true
		tty.Close()
		<-done
		return strings.ReplaceAll(out.String(), "\r\n", "\n") // the terminal's ONLCR
	}
}

// At a terminal, -o FILE keeps the table on screen and writes the file (as
// nmap keeps its screen output beside -oX); -o table:- is the one table, and
// --quiet prints the failures only; a pipe gets nothing but what -o names.
func TestTerminalKeepsTable(t *testing.T) {
	port := closedPort(t)
	for _, tc := range []struct {
		name   string
		args   []string
		tables int // tables on screen
		quiet  bool
	}{
		{"file", []string{"-o", "json:m.json"}, 1, false},
		{"two files", []string{"-o", "json:m.json", "-o", "csv:m.csv"}, 1, false},
		{"table named", []string{"-o", "json:m.json", "-o", "table:-"}, 1, false},
		{"json named", []string{"-o", "json:m.json", "-o", "jsonl:-"}, 0, false},
		{"quiet", []string{"-q", "-o", "json:m.json"}, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for i, a := range tc.args {
				if strings.HasPrefix(a, "json:") || strings.HasPrefix(a, "csv:") {
					f, name, _ := strings.Cut(a, ":")
					tc.args[i] = f + ":" + filepath.Join(dir, name)
				}
			}
			tty, screen := openTerminal(t)
			var errb bytes.Buffer
			args := append([]string{"scan", "--no-progress", "--no-color", "-p", port, "--expect", "open"}, tc.args...)
			code := run(append(args, "127.0.0.1"), strings.NewReader(""), tty, &errb)
			out := screen()
			if code != exitFailed {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if got := strings.Count(out, "FAIL: 1 of 1 checks failed on 1 of 1 host."); got != tc.tables {
				t.Errorf("%d tables on the terminal, want %d:\n%s", got, tc.tables, out)
			}
			if tc.tables > 0 && !strings.Contains(out, port+"/tcp  closed  conn-refused") {
				t.Errorf("the table lacks the port:\n%s", out)
			}
			if tc.quiet && strings.Contains(out, "PASS") {
				t.Errorf("--quiet printed more than the failures:\n%s", out)
			}
			b, err := os.ReadFile(filepath.Join(dir, "m.json"))
			if err != nil || !bytes.Contains(b, []byte(`"verdict": "fail"`)) {
				t.Errorf("m.json: %v\n%s", err, b)
			}
		})
	}

	// Not a terminal: -o FILE writes the file and nothing else.
	dir := t.TempDir()
	code, out, errs := runScanArgs(t, "-p", port, "--expect", "open", "-o", "json:"+filepath.Join(dir, "m.json"), "127.0.0.1")
	if code != exitFailed || out != "" {
		t.Errorf("a pipe got %q (exit %d: %s)", out, code, errs)
	}
}

// A passing run under --quiet prints nothing, at a terminal too.
func TestTerminalQuietPass(t *testing.T) {
	tty, screen := openTerminal(t)
	var errb bytes.Buffer
	code := run([]string{"scan", "--no-progress", "-q", "-p", closedPort(t), "--expect", "closed",
		"-o", "json:" + filepath.Join(t.TempDir(), "m.json"), "127.0.0.1"}, strings.NewReader(""), tty, &errb)
	if out := screen(); code != exitOK || out != "" {
		t.Errorf("exit %d, terminal %q: %s", code, out, errb.String())
	}
}
