//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A file that passes its limit is refused, naming the file and the limit,
// having read no more than one byte past it; one at the limit is read.
func TestInputLimit(t *testing.T) {
	l := inputLimit{1000, "a test file"}
	dir := t.TempDir()
	at := filepath.Join(dir, "at")
	over := filepath.Join(dir, "over")
	os.WriteFile(at, bytes.Repeat([]byte("x"), 1000), 0o644)
	os.WriteFile(over, bytes.Repeat([]byte("x"), 1001), 0o644)
	if b, err := readInput(context.Background(), "--x", at, l); err != nil || len(b) != 1000 {
		t.Errorf("at the limit: %d bytes, %v", len(b), err)
	}
	// A regular file is refused on its size, an endless one on what it gave.
	for _, name := range []string{over, "/dev/zero"} {
		b, err := readInput(context.Background(), "--x", name, l)
		want := "--x " + name + ": larger than 0 MiB, the limit for a test file"
		if err == nil || err.Error() != want || len(b) > 1000 {
			t.Errorf("%s: %d bytes, %v; want at most 1000 and %s", name, len(b), err, want)
		}
	}
	r, err := openInput(context.Background(), "-iL", "-", strings.NewReader(strings.Repeat("198.18.0.1\n", 200)), l)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	if want := "-iL standard input: larger than 0 MiB, the limit for a test file"; err == nil || err.Error() != want || n != 1000 {
		t.Errorf("stdin: %d bytes, %v; want 1000 and %s", n, err, want)
	}
}

// A read ends when the run is interrupted: while it waits for a FIFO's
// writer to open it, in a read from a FIFO whose writer never finishes, and
// in a read from standard input that never returns.
func TestInputInterrupted(t *testing.T) {
	dir := t.TempDir()
	unopened := filepath.Join(dir, "unopened")
	endless := filepath.Join(dir, "endless")
	for _, f := range []string{unopened, endless} {
		if err := syscall.Mkfifo(f, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		w, err := os.OpenFile(endless, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		w.Write([]byte(`{"items": [`))
		t.Cleanup(func() { w.Close() })
	}()
	stdin, stdinW := io.Pipe()
	defer stdinW.Close()
	for _, c := range []struct{ name, want string }{
		{unopened, "--x " + unopened + ": interrupted while reading it"},
		{endless, "--x " + endless + ": interrupted while reading it"},
		{"-", "--x standard input: interrupted while reading it"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			r, err := openInput(ctx, "--x", c.name, stdin, limitInput)
			if err == nil {
				_, err = io.ReadAll(r)
				r.Close()
			}
			done <- err
		}()
		time.Sleep(50 * time.Millisecond) // let it block
		cancel()
		err := <-done
		if err == nil || err.Error() != c.want || !errors.Is(err, errInterrupted) {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
}

// Every file a command reads is capped: /dev/zero as each of them ends at
// once with exit 2, an error naming the file and the limit, and memory
// bounded by that limit (the process runs with its data segment limited to
// 1 GiB; before the cap, --plan /dev/zero grew until the kernel killed it).
func TestInputFilesCapped(t *testing.T) {
	bin := portreachBin(t)
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit not installed")
	}
	const small = "larger than 16 MiB, the limit for a plan, profile or CA file"
	for _, c := range []struct {
		args  []string
		stdin io.Reader
		want  string
	}{
		{[]string{"scan", "--plan", "/dev/zero"}, nil, "portreach scan: --plan /dev/zero: " + small},
		{[]string{"scan", "--profile-file", "/dev/zero", "--profile", "x", "127.0.0.1"}, nil, "portreach scan: --profile-file /dev/zero: " + small},
		{[]string{"scan", "--ca-file", "/dev/zero", "-p", "9", "127.0.0.1"}, nil, "portreach scan: --ca-file /dev/zero: " + small},
		{[]string{"scan", "-p", "9", "--baseline", "/dev/zero", "127.0.0.1"}, nil,
			"portreach scan: --baseline /dev/zero: larger than 64 MiB, the limit for a baseline"},
		// A list's lines are capped too, /dev/zero having none; endless
		// short lines meet the file's limit.
		{[]string{"scan", "-p", "9", "-iL", "/dev/zero"}, nil, "portreach scan: /dev/zero:1: line longer than 1 MiB"},
		{[]string{"scan", "-p", "9", "--exclude-file", "-", "198.18.0.1"}, endlessLines{},
			"portreach scan: --exclude-file standard input: larger than 4 MiB, the limit for a target or exclusion list"},
		{[]string{"local", "--profile-file", "/dev/zero", "--profile", "x"}, nil, "portreach local: --profile-file /dev/zero: " + small},
		{[]string{"serve", "--profile-file", "/dev/zero"}, nil, "portreach serve: --profile-file /dev/zero: " + small},
		{[]string{"serve", "--ca-file", "/dev/zero"}, nil, "portreach serve: --ca-file /dev/zero: " + small},
		{[]string{"serve", "--config.file", "/dev/zero"}, nil, "portreach serve: --config.file /dev/zero: " + small},
		{[]string{"profiles", "--profile-file", "/dev/zero"}, nil, "portreach profiles: --profile-file /dev/zero: " + small},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("prlimit", append([]string{"--data=1073741824", "--", bin}, c.args...)...)
			cmd.Stdin = c.stdin
			var errb bytes.Buffer
			cmd.Stderr = &errb
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || errb.String() != c.want+"\n" {
				t.Errorf("%q: %v, stderr %q\nwant exit %d and %q", c.args, err, errb.String(), exitUsage, c.want)
			}
		})
	}
	for _, c := range [][]string{{"--ca-file", "testdata/nosuch.pem"}, {"--ca-file", "flags_test.go"}} {
		var errb strings.Builder
		code := run(append([]string{"scan", "-p", "9", "127.0.0.1"}, c...), nil, io.Discard, &errb)
		want := map[string]string{
			"testdata/nosuch.pem": "portreach scan: --ca-file: open testdata/nosuch.pem: no such file or directory\n",
			"flags_test.go":       "portreach scan: --ca-file flags_test.go: no PEM certificates in it\n",
		}[c[1]]
		if code != exitUsage || errb.String() != want {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c, code, errb.String(), exitUsage, want)
		}
	}
}

// endlessLines is a target list that never ends.
type endlessLines struct{}

func (endlessLines) Read(p []byte) (int, error) {
	const line = "198.18.0.1\n"
	n := 0
	for n+len(line) <= len(p) {
		n += copy(p[n:], line)
	}
	return n, nil
}

// Ctrl-C or SIGTERM while a command reads a FIFO whose writer never finishes
// ends the process at once, with the interrupt status and a line naming the
// file (before, reading went on and both signals were ignored).
func TestInputSignal(t *testing.T) {
	bin := portreachBin(t)
	dir := t.TempDir()
	for i, c := range []struct {
		args []string // FIFO stands for the FIFO's path
		sig  syscall.Signal
		want string
	}{
		{[]string{"scan", "--plan", "FIFO"}, syscall.SIGINT, "portreach scan: --plan FIFO: interrupted while reading it"},
		{[]string{"scan", "--plan", "FIFO"}, syscall.SIGTERM, "portreach scan: --plan FIFO: interrupted while reading it"},
		{[]string{"scan", "--profile-file", "FIFO", "--profile", "x", "127.0.0.1"}, syscall.SIGINT, "portreach scan: --profile-file FIFO: interrupted while reading it"},
		{[]string{"scan", "--ca-file", "FIFO", "-p", "9", "127.0.0.1"}, syscall.SIGINT, "portreach scan: --ca-file FIFO: interrupted while reading it"},
		{[]string{"scan", "-p", "9", "--baseline", "FIFO", "127.0.0.1"}, syscall.SIGTERM, "portreach scan: --baseline FIFO: interrupted while reading it"},
		{[]string{"scan", "-p", "9", "-iL", "FIFO"}, syscall.SIGINT, "portreach scan: -iL FIFO: interrupted while reading it"},
		{[]string{"scan", "-p", "9", "--exclude-file", "FIFO", "198.18.0.1"}, syscall.SIGINT, "portreach scan: --exclude-file FIFO: interrupted while reading it"},
		{[]string{"local", "--profile-file", "FIFO", "--profile", "x"}, syscall.SIGINT, "portreach local: --profile-file FIFO: interrupted while reading it"},
		{[]string{"serve", "--profile-file", "FIFO"}, syscall.SIGTERM, "portreach serve: --profile-file FIFO: interrupted while reading it"},
		{[]string{"serve", "--ca-file", "FIFO"}, syscall.SIGINT, "portreach serve: --ca-file FIFO: interrupted while reading it"},
		{[]string{"serve", "--config.file", "FIFO"}, syscall.SIGTERM, "portreach serve: --config.file FIFO: interrupted while reading it"},
		{[]string{"profiles", "--profile-file", "FIFO"}, syscall.SIGINT, "portreach profiles: --profile-file FIFO: interrupted while reading it"},
	} {
		t.Run(fmt.Sprintf("%d %v", i, c.sig), func(t *testing.T) {
			t.Parallel()
			fifo := filepath.Join(dir, "fifo"+string(rune('a'+i)))
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			args := make([]string, len(c.args))
			for j, a := range c.args {
				args[j] = strings.ReplaceAll(a, "FIFO", fifo)
			}
			cmd := exec.Command(bin, args...)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			// Opening the FIFO for writing waits for the command to open it for
			// reading: by then its signal handler is installed.
			opened := make(chan *os.File, 1)
			go func() {
				w, _ := os.OpenFile(fifo, os.O_WRONLY, 0)
				opened <- w
			}()
			var w *os.File
			select {
			case w = <-opened:
			case err := <-exited:
				if r, _ := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); r != nil {
					r.Close() // lets the opener go
				}
				t.Fatalf("%q exited before reading the FIFO: %v, stderr %q", args, err, errb.String())
			}
			if w == nil {
				t.Fatal("opening the FIFO failed")
			}
			start := "{\n" // a start, never an end
			if strings.HasPrefix(c.want, "portreach scan: -iL") || strings.HasPrefix(c.want, "portreach scan: --exclude") {
				start = "198.18.0.2\n198.18.0."
			}
			w.Write([]byte(start))
			time.Sleep(100 * time.Millisecond)
			cmd.Process.Signal(c.sig)
			var err error
			select {
			case err = <-exited:
			case <-time.After(30 * time.Second): // a hang, not a measure of speed
				cmd.Process.Kill()
				err = <-exited
				t.Errorf("%q: still reading 30s after %v", args, c.sig)
			}
			w.Close()
			want := strings.ReplaceAll(c.want, "FIFO", fifo) + "\n"
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted || errb.String() != want {
				t.Errorf("%q after %v: %v, stderr %q\nwant exit %d and %q", args, c.sig, err, errb.String(), exitInterrupted, want)
			}
		})
	}
}
