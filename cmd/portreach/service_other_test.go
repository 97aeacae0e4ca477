//go:build !windows

package main

import (
	"strings"
	"testing"
)

// Elsewhere than Windows, each action says plainly that it is Windows-only.
func TestServiceWindowsOnly(t *testing.T) {
	for _, args := range [][]string{
		{"install", "--allow", "10.20.0.0/16"},
		{"uninstall"},
		{"start"},
		{"stop"},
	} {
		var stdout, stderr strings.Builder
		code := runServiceCommand(args, &stdout, &stderr)
		want := "portreach service " + args[0] + ": Windows only: it installs portreach serve as a Windows service. Elsewhere, run portreach serve under the system's service manager (systemd, launchd); see docs/exporter.md\n"
		if code != exitUsage || stdout.Len() > 0 || stderr.String() != want {
			t.Errorf("%q: %d %q %q", args, code, stdout.String(), stderr.String())
		}
	}
	if ran, _ := runAsService([]string{"--allow", "10.20.0.0/16"}); ran {
		t.Error("runAsService ran serve as a service")
	}
}
