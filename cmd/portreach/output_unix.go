//go:build unix

package main

import (
	"io/fs"
	"os"
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
