//go:build !windows

package scan

import (
	"errors"
	"syscall"
)

func isErrno(err error, errno syscall.Errno) bool { return errors.Is(err, errno) }
