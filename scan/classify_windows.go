//go:build windows

package scan

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// Winsock reports socket errors with its own numbers; map the POSIX names the
// classifier uses to them.
var winsock = map[syscall.Errno]syscall.Errno{
	syscall.ECONNREFUSED:  windows.WSAECONNREFUSED,
	syscall.ECONNRESET:    windows.WSAECONNRESET,
	syscall.EHOSTUNREACH:  windows.WSAEHOSTUNREACH,
	syscall.ENETUNREACH:   windows.WSAENETUNREACH,
	syscall.EMFILE:        windows.WSAEMFILE,
	syscall.EADDRNOTAVAIL: windows.WSAEADDRNOTAVAIL,
	syscall.ENOBUFS:       windows.WSAENOBUFS,
	syscall.EADDRINUSE:    windows.WSAEADDRINUSE,
	syscall.EACCES:        windows.WSAEACCES,
	syscall.ETIMEDOUT:     windows.WSAETIMEDOUT,
	syscall.EAFNOSUPPORT:  windows.WSAEAFNOSUPPORT,
}

func isErrno(err error, errno syscall.Errno) bool {
	if errors.Is(err, errno) {
		return true
	}
	w, ok := winsock[errno]
	return ok && errors.Is(err, w)
}
