package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/portreach/portreach", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "39d136a1c2e4b5f6a7b8c9d0e1f2a3b4c5d6e7f8"},
			{Key: "vcs.time", Value: "2026-12-01T14:57:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}
	tagged := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}}
	for _, c := range []struct {
		linked string
		bi     *debug.BuildInfo
		want   string
	}{
		{"", vcs, "portreach devel (revision 39d136a1c2e4, 2026-12-01T14:57:00Z, modified) go1.26.8 linux/arm64"},
		{"v1.3.0", vcs, "portreach v1.3.0 (revision 39d136a1c2e4, 2026-12-01T14:57:00Z, modified) go1.26.8 linux/arm64"},
		{"", tagged, "portreach v1.2.0 (no VCS revision recorded) go1.26.8 linux/arm64"},
		{"", nil, "portreach devel (no VCS revision recorded) linux/arm64"},
	} {
		if got := versionText(c.linked, c.bi, "linux/arm64"); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
	var out strings.Builder
	if code := run([]string{"version"}, nil, &out, nil); code != exitOK || !strings.HasPrefix(out.String(), "portreach ") {
		t.Errorf("version: exit %d %q", code, out.String())
	}
}
