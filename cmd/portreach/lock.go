package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// errLocked is returned by acquireLock when another process holds the lock.
var errLocked = errors.New("locked")

// runLock is a held --lock file. The lock is the operating system's (flock on
// Unix, LockFileEx on Windows), tied to the open file: it is released when the
// process ends however it ends, so a crashed run never leaves a stale lock. The
// file holds the holder's PID, for the message a second run prints; the file
// itself is never removed, since removing a locked file lets a third run lock
// a new file of the same name while the first still runs.
type runLock struct{ f *os.File }

// acquireLock takes the lock on path without waiting. It returns errLocked,
// wrapped with the holder's PID when the file names one, if another process
// holds it.
func acquireLock(path string) (*runLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		defer f.Close()
		if errors.Is(err, errLocked) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b[:n]))); perr == nil && pid > 0 {
				return nil, fmt.Errorf("%w by process %d", errLocked, pid)
			}
			return nil, errLocked
		}
		return nil, err
	}
	// Record the holder, in a file that is empty or holds a holder's PID: a
	// --lock that names a data file by mistake must not destroy it.
	b := make([]byte, 33)
	n, _ := f.ReadAt(b, 0)
	if s := strings.TrimSpace(string(b[:n])); n > 32 || s != "" && !isPID(s) {
		unlockFile(f)
		f.Close()
		return nil, fmt.Errorf("%s holds data, not a portreach lock: give --lock a file of its own (it is created if missing)", path)
	}
	// Failing to record is no reason to give up a lock we hold.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &runLock{f: f}, nil
}

// release gives the lock up; the process ending does too.
func (l *runLock) release() {
	if l == nil || l.f == nil {
		return
	}
	unlockFile(l.f)
	l.f.Close()
	l.f = nil
}

func isPID(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0
}
