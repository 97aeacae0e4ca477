package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/portreach/portreach/profiles"
)

// Every file a user names is read here: plans (--plan), profile files
// (--profile-file), baselines (--baseline), CA files (--ca-file), serve's
// configuration files (--config.file, --web.config.file), target and
// exclusion lists (-iL, --exclude-file). Each read
//
//   - stops at a size limit, with an error naming the file and the limit, so
//     that /dev/zero or a runaway generator cannot fill memory (--plan
//     /dev/zero grew to 24 GB before the kernel killed it);
//   - ends when the run is interrupted (Ctrl-C, SIGTERM), also while it waits
//     for a FIFO's writer to open it or in a read that never returns.
//
// The limits are generous for real use: what bounds them is the memory
// reading takes (a JSON report costs about 11 times its size once decoded, a
// listed address about 500 bytes).
var (
	// limitInput: 16 MiB is 80 times the whole built-in catalogue (208 KB)
	// and 75 times Debian's CA bundle (220 KB).
	limitInput = inputLimit{16 << 20, "a plan, profile or CA file"}
	// limitList: 4 MiB is a quarter of a million addresses one a line, four
	// times the 65536 hosts --max-hosts allows by default (about 170 MB
	// once parsed).
	limitList = inputLimit{4 << 20, "a target or exclusion list"}
	// limitBaseline: a full 65535-port scan of one host is a 20 MB report;
	// 64 MiB holds three such hosts, or a 100-port profile audit of 2000
	// (about 700 MB once decoded).
	limitBaseline = inputLimit{64 << 20, "a baseline"}
)

// inputLimit is the most read from one kind of file.
type inputLimit struct {
	bytes int64
	what  string // the kind of file, for the error
}

// errInterrupted is wrapped by the error of a read that Ctrl-C or SIGTERM
// ended: the command exits with exitInterrupted.
var errInterrupted = errors.New("interrupted")

// inputError is a read of a file the user named (flag NAME) that failed.
type inputError struct {
	flag, name string
	limit      *inputLimit // set when the file passed its limit
	err        error
}

func (e *inputError) Error() string {
	switch {
	case e.limit != nil:
		return fmt.Sprintf("%s %s: larger than %d MiB, the limit for %s", e.flag, e.name, e.limit.bytes>>20, e.limit.what)
	case errors.Is(e.err, errInterrupted):
		return fmt.Sprintf("%s %s: interrupted while reading it", e.flag, e.name)
	}
	return fmt.Sprintf("%s: %v", e.flag, e.err) // the os error names the file
}

func (e *inputError) Unwrap() error { return e.err }

// openInput opens the file a user named with flag, reading at most l.bytes
// from it, until ctx ends. name "-" is stdin.
func openInput(ctx context.Context, flag, name string, stdin io.Reader, l inputLimit) (*input, error) {
	in := &input{ctx: ctx, flag: flag, name: name, limit: l}
	if name == "-" {
		in.name, in.r = "standard input", stdin
		return in, nil
	}
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		// Opening a FIFO waits for its writer: in a goroutine that, when
		// interrupted, is left to close what it opens.
		f, err := os.Open(name)
		done <- opened{f, err}
	}()
	var o opened
	select {
	case o = <-done:
	case <-ctx.Done():
		go func() {
			if o := <-done; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, in.fail(errInterrupted)
	}
	if o.err != nil {
		return nil, in.fail(o.err)
	}
	if fi, err := o.f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > l.bytes {
		o.f.Close()
		return nil, &inputError{flag: flag, name: name, limit: &in.limit}
	}
	in.r, in.c = o.f, o.f
	return in, nil
}

// readInput reads the whole file a user named (see openInput).
func readInput(ctx context.Context, flag, name string, l inputLimit) ([]byte, error) {
	r, err := openInput(ctx, flag, name, nil, l)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// input is an open file a user named. Each Read runs in a goroutine of its
// own, into the input's buffer, so that an interrupt returns at once even
// from a read that blocks in the kernel (stdin, a FIFO, /proc); the file is
// then closed, which ends a read the poller can end.
type input struct {
	ctx        context.Context
	flag, name string
	r          io.Reader
	c          io.Closer // nil for stdin
	limit      inputLimit
	n          int64 // bytes read
	buf        []byte
	err        error // the error every later Read returns
}

// readChunk is the most one Read asks of the file.
const readChunk = 64 << 10

func (in *input) Read(p []byte) (int, error) {
	if in.err != nil {
		return 0, in.err
	}
	if err := in.ctx.Err(); err != nil {
		return 0, in.fail(errInterrupted)
	}
	// Ask for one byte past the limit: enough to tell a file that passes it.
	want := min(int64(len(p)), in.limit.bytes+1-in.n, readChunk)
	if cap(in.buf) < int(want) {
		in.buf = make([]byte, want)
	}
	buf := in.buf[:want]
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := in.r.Read(buf)
		done <- result{n, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-in.ctx.Done():
		in.buf = nil // the abandoned read may still write into it
		return 0, in.fail(errInterrupted)
	}
	n := copy(p, buf[:res.n])
	in.n += int64(n)
	if in.n > in.limit.bytes {
		in.err = &inputError{flag: in.flag, name: in.name, limit: &in.limit}
		return n - int(in.n-in.limit.bytes), in.err
	}
	if res.err != nil && res.err != io.EOF {
		return n, in.fail(res.err)
	}
	return n, res.err
}

// Err is the error that ended the input's reads (an *inputError), or nil.
// A parser that fed on a cut-off read reports a mistake in what it got:
// this is the true cause.
func (in *input) Err() error { return in.err }

// fail makes err the input's error: every later Read returns it. An
// interrupted input is closed at once, ending a read still blocked in it.
func (in *input) fail(err error) error {
	in.err = &inputError{flag: in.flag, name: in.name, err: err}
	if errors.Is(err, errInterrupted) {
		in.Close()
	}
	return in.err
}

func (in *input) Close() error {
	if in.c == nil {
		return nil
	}
	c := in.c
	in.c = nil
	return c.Close()
}

// addProfileFiles adds the profiles of each --profile-file to cat.
func addProfileFiles(ctx context.Context, cat *profiles.Catalog, names []string) error {
	for _, name := range names {
		b, err := readInput(ctx, "--profile-file", name, limitInput)
		if err != nil {
			return err
		}
		if err := cat.AddFile(name, b); err != nil {
			return err
		}
	}
	return nil
}

// exitFor is the exit status of a command that ended with code and err: an
// interrupted read is exitInterrupted, whatever code the command chose.
func exitFor(code int, err error) int {
	if errors.Is(err, errInterrupted) {
		return exitInterrupted
	}
	return code
}
