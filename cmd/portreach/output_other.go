//go:build !unix

package main

import (
	"io/fs"
	"os"
)

// keepOwner: Windows files inherit their ACL from the directory; nothing to keep.
func keepOwner(*os.File, fs.FileInfo) {}
