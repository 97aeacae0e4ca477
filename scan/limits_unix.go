//go:build !windows

package scan

import "syscall"

// defaultConcurrency sizes the socket budget from RLIMIT_NOFILE (which the Go
// runtime raises to the hard limit at start-up), keeping a quarter for everything
// else the process holds.
func defaultConcurrency() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 256
	}
	n := int(min(rl.Cur, 1<<20)) * 3 / 4
	return min(max(n, 16), DefaultConcurrency)
}
