package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode"

	"github.com/mattn/go-isatty"

	"github.com/portreach/portreach/report"
)

// output is one -o destination.
type output struct {
	format string
	path   string // "-" is standard output
}

// parseOutput reads "-o FILE" or "-o FORMAT:FILE". A prefix counts as a format
// when it names one, so a Windows path such as C:\reports\x.json stays a path;
// a word prefix that names no format ("xml:x") is refused rather than taken for
// part of a file name (write ./xml:x for such a file).
func parseOutput(spec, defFormat string) (output, error) {
	if spec == "" {
		return output{}, fmt.Errorf("-o: empty file name")
	}
	f, path, ok := strings.Cut(spec, ":")
	if _, known := report.Lookup(f); ok && known {
		if path == "" {
			return output{}, fmt.Errorf("-o %s: no file name after the format", spec)
		}
		return output{format: f, path: path}, nil
	}
	if ok && len(f) > 1 && strings.IndexFunc(f, func(r rune) bool { return !unicode.IsLetter(r) }) < 0 {
		return output{}, fmt.Errorf("-o %s: unknown format %q (want one of: %s; for a file of that name write ./%s)",
			spec, f, strings.Join(report.Names(), ", "), spec)
	}
	return output{format: defFormat, path: spec}, nil
}

// formatsHelp lists the output formats with what each is for, for --help.
func formatsHelp() string {
	var b strings.Builder
	b.WriteString("\nFormats (-f FORMAT, -o FORMAT:FILE):\n")
	for _, f := range report.Formats() {
		fmt.Fprintf(&b, "  %-11s %s\n", f.Name, f.Description)
	}
	return b.String()
}

// lookupFormat returns the output format named f.
func lookupFormat(f string) (report.Format, error) {
	format, ok := report.Lookup(f)
	if !ok {
		return report.Format{}, fmt.Errorf("unknown format %q (want one of: %s)", f, strings.Join(report.Names(), ", "))
	}
	return format, nil
}

// isTerminal reports whether w is a terminal (a console on Windows).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// outFile is an output file, opened before the scan so that a bad path fails
// before anything is sent. A regular file (or a new path) is written to a
// temporary file beside it and renamed into place on Commit, so that a reader
// (a cron job's consumer, node_exporter) never sees a half-written report; the
// new file keeps the old one's permissions. A symbolic link is followed, and its
// target replaced, never the link. Another user's link, file or FIFO in a
// sticky world-writable directory is refused, as the kernel would
// (stickyAllows). Anything else (a device such as /dev/null, a
// FIFO, /dev/stdout) is written to directly: renaming over it would replace a
// device node with a regular file.
type outFile struct {
	*os.File
	path   string // the file that Commit replaces; "" when written directly
	closed bool
}

// maxLinks bounds the symbolic links followed, as the kernel's ELOOP does.
const maxLinks = 40

// resolveOutput follows path's symbolic links to the file an output replaces.
// direct reports a path that is written in place: not a regular file, or a
// /proc or /dev/fd link (/dev/stdout), whose target names an open file rather
// than a path. fi is nil for a path that does not exist yet.
func resolveOutput(path string) (resolved string, fi os.FileInfo, direct bool, err error) {
	p := path
	for range maxLinks {
		lfi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			dir := filepath.Dir(p)
			st, err := os.Stat(dir)
			if err != nil {
				return "", nil, false, fmt.Errorf("directory %s: %w", dir, unwrapPath(err))
			}
			if !st.IsDir() {
				return "", nil, false, fmt.Errorf("%s is not a directory", dir)
			}
			return p, nil, false, nil
		}
		if err != nil {
			return "", nil, false, unwrapPath(err)
		}
		if lfi.Mode()&fs.ModeSymlink != 0 {
			if magicLink(p) {
				st, err := os.Stat(p)
				if err != nil {
					return "", nil, false, unwrapPath(err)
				}
				if st.IsDir() {
					return "", nil, false, fmt.Errorf("%s is a directory", path)
				}
				return p, st, true, nil
			}
			if err := checkSticky(p, lfi); err != nil {
				return "", nil, false, err
			}
			target, err := os.Readlink(p)
			if err != nil {
				return "", nil, false, unwrapPath(err)
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(p), target)
			}
			p = target
			continue
		}
		switch {
		case lfi.IsDir():
			return "", nil, false, fmt.Errorf("%s is a directory", path)
		}
		if lfi.Mode().IsRegular() || lfi.Mode()&fs.ModeNamedPipe != 0 {
			if err := checkSticky(p, lfi); err != nil {
				return "", nil, false, err
			}
		}
		if lfi.Mode().IsRegular() {
			return p, lfi, false, nil
		}
		return p, lfi, true, nil
	}
	return "", nil, false, fmt.Errorf("%s: too many levels of symbolic links", path)
}

// stickyAllows is the kernel's rule for a file in a sticky world-writable
// directory such as /tmp (fs/namei.c: may_follow_link for
// fs.protected_symlinks, may_create_in_sticky for fs.protected_regular and
// fs.protected_fifos; Documentation/admin-guide/sysctl/fs.rst): a process may
// follow a symbolic link there, or open a regular file or FIFO there to write
// it, only when its user owns the file, or the directory's owner owns it too;
// root is no exception. resolveOutput follows links itself and replaces files
// by a rename, so the kernel never gets a say: without the rule, any user
// could plant /tmp/report.json -> /etc/shadow and have root's report replace
// it, or plant a file of their own there and receive root's report (keepOwner
// would even give it to them). It applies whatever the sysctls say.
func stickyAllows(user, owner, dirOwner uint32, dirMode fs.FileMode) bool {
	switch {
	case user == owner:
		return true
	case dirMode&fs.ModeSticky == 0 || dirMode.Perm()&0o002 == 0:
		return true
	}
	return dirOwner == owner
}

// magicLink reports a link whose target is an open file, not a path.
func magicLink(p string) bool {
	return runtime.GOOS != "windows" && (strings.HasPrefix(p, "/proc/") || strings.HasPrefix(p, "/dev/fd/"))
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// openOutput opens path for writing as outFile describes. Opening a FIFO
// waits for its reader, until ctx ends.
func openOutput(ctx context.Context, path string) (*outFile, error) {
	p, fi, direct, err := resolveOutput(path)
	if err != nil {
		return nil, err
	}
	if direct {
		type opened struct {
			f   *os.File
			err error
		}
		done := make(chan opened, 1)
		go func() {
			// O_APPEND: a regular file behind /dev/stdout is the shell's
			// redirection, which other output may share.
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			done <- opened{f, err}
		}()
		select {
		case o := <-done:
			if o.err != nil {
				return nil, unwrapPath(o.err)
			}
			return &outFile{File: o.f}, nil
		case <-ctx.Done():
			go func() {
				if o := <-done; o.f != nil {
					o.f.Close()
				}
			}()
			return nil, fmt.Errorf("%w while waiting for a reader", errInterrupted)
		}
	}
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return nil, unwrapPath(err)
	}
	mode := fs.FileMode(0o644)
	if fi != nil {
		mode = fi.Mode().Perm()
		keepOwner(f, fi)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &outFile{File: f, path: p}, nil
}

// Commit makes the written file the output.
func (o *outFile) Commit() error {
	if o.closed {
		return fmt.Errorf("%s: already closed", o.Name())
	}
	o.closed = true
	if o.path == "" {
		return o.File.Close()
	}
	if err := o.File.Sync(); err != nil {
		o.File.Close()
		os.Remove(o.File.Name())
		return err
	}
	if err := o.File.Close(); err != nil {
		os.Remove(o.File.Name())
		return err
	}
	if err := os.Rename(o.File.Name(), o.path); err != nil {
		os.Remove(o.File.Name())
		return err
	}
	return nil
}

// Abort drops what was written, leaving the old file as it was. It may be
// called after Commit, and more than once: then it does nothing.
func (o *outFile) Abort() {
	if o == nil || o.closed {
		return
	}
	o.closed = true
	o.File.Close()
	if o.path != "" {
		os.Remove(o.File.Name())
	}
}

// sameOutput is a key that two paths to the same file share.
func sameOutput(path string) string {
	p, _, _, err := resolveOutput(path)
	if err != nil {
		p = path
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return filepath.Clean(p)
}
