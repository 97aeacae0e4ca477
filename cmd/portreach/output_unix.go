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

// checkFollow refuses to follow the symbolic link p (lfi is its Lstat) where
// the kernel would not (mayFollowLink).
func checkFollow(p string, lfi fs.FileInfo) error {
	dir := filepath.Dir(p)
	dfi, err := os.Stat(dir)
	if err != nil {
		return unwrapPath(err)
	}
	link, ok1 := lfi.Sys().(*syscall.Stat_t)
	d, ok2 := dfi.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 || mayFollowLink(uint32(os.Geteuid()), link.Uid, d.Uid, dfi.Mode()) {
		return nil
	}
	return fmt.Errorf("refusing to follow the symbolic link %s: it belongs to %s and lies in %s, "+
		"a world-writable sticky directory of %s, so another user may have pointed it anywhere "+
		"(the rule of the kernel's fs.protected_symlinks); remove the link or write elsewhere",
		p, userName(link.Uid), dir, userName(d.Uid))
}

// userName is "name (uid N)", or "uid N" for a user without a name.
func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil && u.Username != "" {
		return u.Username + " (uid " + id + ")"
	}
	return "uid " + id
}
