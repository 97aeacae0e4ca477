package main

import (
	"os"
	"os/exec"
	"path/filepath"
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
	noVCS := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}} // -buildvcs=false, or a worktree
	made := stamp{version: "v1.2.0-3-g5a6b7c8", revision: "5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b", time: "2026-12-05T15:26:58Z"}
	for _, c := range []struct {
		linked stamp
		bi     *debug.BuildInfo
		want   string
	}{
		{stamp{}, vcs, "portreach devel (revision 39d136a1c2e4, 2026-12-01T14:57:00Z, modified) go1.26.8 linux/arm64"},
		{stamp{version: "v1.3.0"}, vcs, "portreach v1.3.0 (revision 39d136a1c2e4, 2026-12-01T14:57:00Z, modified) go1.26.8 linux/arm64"},
		{stamp{}, tagged, "portreach v1.2.0 (no VCS revision recorded) go1.26.8 linux/arm64"},
		{stamp{}, nil, "portreach devel (no VCS revision recorded) linux/arm64"},
		// make build under -buildvcs=false or in a worktree: git's stamp.
		{made, noVCS, "portreach v1.2.0-3-g5a6b7c8 (revision 5a6b7c8d9e0f, 2026-12-05T15:26:58Z) go1.26.8 linux/arm64"},
		// make build in a worktree nested in another checkout, whose revision
		// the go command recorded: git's stamp wins, modified flag included.
		{made, vcs, "portreach v1.2.0-3-g5a6b7c8 (revision 5a6b7c8d9e0f, 2026-12-05T15:26:58Z) go1.26.8 linux/arm64"},
		{stamp{revision: "5a6b7c8d9e0f1a2b", modified: true}, tagged, "portreach v1.2.0 (revision 5a6b7c8d9e0f, modified) go1.26.8 linux/arm64"},
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

// make build stamps the revision git reads in this tree even where the go
// command records none: GOFLAGS=-buildvcs=false (as in this project's go env
// and many CI images), and in a git worktree.
func TestMakeBuildStampsRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	for _, tool := range []string{"make", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	rev, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not a git checkout: " + err.Error())
	}
	desc, _ := exec.Command("git", "-C", root, "describe", "--tags", "--always", "--dirty").Output()
	bin := filepath.Join(t.TempDir(), "portreach")
	cmd := exec.Command("make", "-s", "-C", root, "build", "BIN="+bin)
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "portreach " + strings.TrimSpace(string(desc)) + " (revision " + string(rev[:12]) + ", "
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("version after make build with -buildvcs=false:\n got %s\nwant %s…", out, want)
	}
}
