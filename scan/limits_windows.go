//go:build windows

package scan

// defaultConcurrency: Windows has no descriptor limit to read; 2048 sockets stay
// well inside its default dynamic port range.
func defaultConcurrency() int { return 2048 }
