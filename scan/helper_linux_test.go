//go:build linux

package scan

import (
	"os/exec"
)

func execOut(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}
