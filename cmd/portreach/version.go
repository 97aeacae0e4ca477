package main

import (
	"runtime/debug"
	"strings"
)

// buildVersion is set at link time by make dist
// (-ldflags "-X main.buildVersion=v1.2.3"); empty otherwise.
var buildVersion string

// version is the version reports carry: the one linked in, else the main
// module's (set when built from a module proxy, or from a VCS tag by Go 1.24
// and later), else "devel".
func version() string { return versionOf(buildVersion, readBuildInfo()) }

func readBuildInfo() *debug.BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return bi
}

func versionOf(linked string, bi *debug.BuildInfo) string {
	if linked != "" {
		return linked
	}
	if bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// versionText is what "portreach version" prints: the version, the VCS
// revision, its time and whether the tree had changes (as "go build" records
// them, unless built with -buildvcs=false), and the Go toolchain and platform.
//
//	portreach v1.2.0 (revision 0123456789ab, 2026-12-01T14:57:00Z) go1.26.8 linux/amd64
func versionText(linked string, bi *debug.BuildInfo, platform string) string {
	var b strings.Builder
	b.WriteString("portreach " + versionOf(linked, bi))
	settings := map[string]string{}
	goVersion := ""
	if bi != nil {
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
	}
	if rev := settings["vcs.revision"]; rev != "" {
		b.WriteString(" (revision " + rev[:min(12, len(rev))])
		if t := settings["vcs.time"]; t != "" {
			b.WriteString(", " + t)
		}
		if settings["vcs.modified"] == "true" {
			b.WriteString(", modified")
		}
		b.WriteString(")")
	} else {
		b.WriteString(" (no VCS revision recorded)")
	}
	if goVersion != "" {
		b.WriteString(" " + goVersion)
	}
	return b.String() + " " + platform
}
