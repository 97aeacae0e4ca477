//go:build !windows

package main

import (
	"fmt"
	"io"
)

// runAsService reports that this process is no Windows service: there are
// none here.
func runAsService([]string) (bool, int) { return false, exitOK }

// manageService says plainly that "portreach service" is for Windows.
func manageService(action string, _ []string, _, stderr io.Writer) int {
	fmt.Fprintf(stderr, "portreach service %s: Windows only: it installs portreach serve as a Windows service. Elsewhere, run portreach serve under the system's service manager (systemd, launchd); see docs/exporter.md\n", action)
	return exitUsage
}
