//go:build linux

package listeners

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/portreach/portreach/results"
)

func read() ([]Socket, error) {
	// /proc/net is /proc/self/net: the network namespace of the process's main
	// thread. The calling thread's own is what a caller means (they differ when
	// a program has moved its main thread into another namespace, as test
	// helpers do), so read /proc/thread-self/net on a locked thread; kernels
	// before 3.17 lack thread-self.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dir := "/proc/thread-self/net"
	if _, err := os.Stat(dir); err != nil {
		dir = "/proc/net"
	}
	var out []Socket
	for _, t := range []struct {
		file  string
		proto results.Proto
	}{{"tcp", results.TCP}, {"tcp6", results.TCP}, {"udp", results.UDP}, {"udp6", results.UDP}} {
		f, err := os.Open(filepath.Join(dir, t.file))
		if errors.Is(err, fs.ErrNotExist) && strings.HasSuffix(t.file, "6") {
			continue // IPv6 disabled
		}
		if err != nil {
			return nil, err
		}
		ss, err := ParseProcNet(f, t.proto)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	owners, hidden := socketOwners()
	for i := range out {
		if pid, ok := owners[out[i].inode]; ok {
			out[i].PID = pid
			out[i].Process = processName(pid)
		} else {
			out[i].Hidden = hidden
		}
	}
	return out, nil
}

// socketOwners maps socket inodes to the processes holding them, from the
// "socket:[INODE]" links in /proc/PID/fd. Processes that cannot be read are
// left out; hidden reports that some were refused for want of privileges
// (not that they exited meanwhile).
func socketOwners() (owners map[uint64]int, hidden bool) {
	owners = map[uint64]int{}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return owners, true
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", p.Name(), "fd")
		fds, err := os.ReadDir(dir)
		if err != nil {
			hidden = hidden || errors.Is(err, fs.ErrPermission)
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err != nil {
				hidden = hidden || errors.Is(err, fs.ErrPermission)
				continue
			}
			s, ok := strings.CutPrefix(link, "socket:[")
			if !ok {
				continue
			}
			if inode, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				if _, seen := owners[inode]; !seen {
					owners[inode] = pid // the first holder; children inherit sockets too
				}
			}
		}
	}
	return owners, hidden
}

// processName is the process's command name (/proc/PID/comm, at most 15 bytes),
// or "" when it cannot be read.
func processName(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
