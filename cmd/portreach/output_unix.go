//go:build unix

package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// keepOwner gives a replacement file the owner of the file it replaces, so that
// a report rewritten by a root cron job stays readable by whoever owned it.
// Failing to (not root) leaves this process's own.
func keepOwner(f *os.File, fi fs.FileInfo) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(st.Uid), int(st.Gid))
	}
}

// checkSticky refuses to follow the symbolic link p, or to write the regular
// file or FIFO p (lfi is its Lstat), where the kernel would not (stickyAllows).
func checkSticky(p string, lfi fs.FileInfo) error {
	dir := filepath.Dir(p)
	dfi, err := os.Stat(dir)
	if err != nil {
		return unwrapPath(err)
	}
	f, ok1 := lfi.Sys().(*syscall.Stat_t)
	d, ok2 := dfi.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 || stickyAllows(uint32(os.Geteuid()), f.Uid, d.Uid, dfi.Mode()) {
		return nil
	}
	where := fmt.Sprintf("it belongs to %s and lies in %s, a world-writable sticky directory of %s",
		userName(f.Uid), dir, userName(d.Uid))
	switch {
	case lfi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("refusing to follow the symbolic link %s: %s, so another user may have pointed it anywhere "+
			"(the rule of the kernel's fs.protected_symlinks); remove the link or write elsewhere", p, where)
	case lfi.Mode()&fs.ModeNamedPipe != 0:
		return fmt.Errorf("refusing to write the FIFO %s: %s, so another user would read the report "+
			"(the rule of the kernel's fs.protected_fifos); remove it or write elsewhere", p, where)
	}
	return fmt.Errorf("refusing to replace %s: %s, so another user would own the report "+
		"(the rule of the kernel's fs.protected_regular); remove it or write elsewhere", p, where)
}

// userName is "name (uid N)", or "uid N" for a user without a name.
func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil && u.Username != "" {
		return u.Username + " (uid " + id + ")"
	}
	return "uid " + id
}
