//go:build !unix && !windows

package main

import (
	"errors"
	"os"
)

func lockFile(*os.File) error   { return errors.New("--lock is not supported on this system") }
func unlockFile(*os.File) error { return nil }
