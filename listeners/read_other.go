//go:build !linux && !windows

package listeners

import (
	"fmt"
	"runtime"
)

func read() ([]Socket, error) {
	return nil, fmt.Errorf("listeners: reading this machine's sockets is not supported on %s", runtime.GOOS)
}
