package main

import (
	"runtime/debug"
	"strings"
)

// Set at link time by make build and make dist (-ldflags "-X main.buildVersion=…"),
// from git run in the tree being built; empty otherwise.
var (
	buildVersion  string // git describe --tags --always --dirty
	buildRevision string // git rev-parse HEAD
	buildTime     string // the commit's time, UTC, RFC 3339
	buildModified string // "true" when git status listed changes
)

// stamp is what a build says about itself: its version, and the VCS revision,
// commit time and whether the tree had changes.
type stamp struct {
	version, revision, time string
	modified                bool
}

// linked is the stamp make linked in.
func linked() stamp {
	return stamp{version: buildVersion, revision: buildRevision, time: buildTime, modified: buildModified == "true"}
}

// version is the version reports carry (see stampOf).
func version() string { return stampOf(linked(), readBuildInfo()).version }

func readBuildInfo() *debug.BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return bi
}

// stampOf decides what a binary says it is, from what make linked in and what
// the go command recorded:
//
//   - the version: the linked one (git describe, or VERSION= given to make: an
//     explicit choice), else the main module's (set when built from a module
//     proxy, or from a VCS tag by Go 1.24 and later), else "devel";
//   - the revision, time and modified flag: the linked ones when make linked a
//     revision, else the go command's vcs.* settings. The linked ones come
//     first because git, run by make, reads the tree being built, while the go
//     command records nothing under -buildvcs=false (often set in GOFLAGS), nothing
//     in a linked git worktree, and, in a worktree nested inside another
//     checkout, that checkout's revision (it takes only a .git directory as a
//     repository root, golang/go#58218).
func stampOf(l stamp, bi *debug.BuildInfo) stamp {
	s := l
	if s.version == "" && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		s.version = bi.Main.Version
	}
	if s.version == "" {
		s.version = "devel"
	}
	if s.revision != "" || bi == nil {
		return s
	}
	settings := map[string]string{}
	for _, kv := range bi.Settings {
		settings[kv.Key] = kv.Value
	}
	s.revision, s.time, s.modified = settings["vcs.revision"], settings["vcs.time"], settings["vcs.modified"] == "true"
	return s
}

// versionText is what "portreach version" prints: the version, the VCS
// revision, its time and whether the tree had changes, and the Go toolchain
// and platform.
//
//	portreach v1.2.0 (revision 0123456789ab, 2026-12-01T14:57:00Z) go1.26.8 linux/amd64
func versionText(l stamp, bi *debug.BuildInfo, platform string) string {
	s := stampOf(l, bi)
	var b strings.Builder
	b.WriteString("portreach " + s.version)
	if s.revision != "" {
		b.WriteString(" (revision " + s.revision[:min(12, len(s.revision))])
		if s.time != "" {
			b.WriteString(", " + s.time)
		}
		if s.modified {
			b.WriteString(", modified")
		}
		b.WriteString(")")
	} else {
		b.WriteString(" (no VCS revision recorded)")
	}
	if bi != nil && bi.GoVersion != "" {
		b.WriteString(" " + bi.GoVersion)
	}
	return b.String() + " " + platform
}
