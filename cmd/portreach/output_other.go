//go:build !unix

package main

import (
	"io/fs"
	"os"
)

// keepOwner: Windows files inherit their ACL from the directory; nothing to keep.
func keepOwner(*os.File, fs.FileInfo) {}

// checkSticky: Windows has no sticky directories and no protected_symlinks
// rule; creating a symbolic link there takes a privilege of its own.
func checkSticky(string, fs.FileInfo) error { return nil }
