//go:build linux

package testnet

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// Need skips the test (or, under CI=true, fails it) unless every program is
// installed: .ci/packages.txt lists the Debian packages that provide them.
func Need(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed (CI=true: not skipping)", p)
			}
			t.Skipf("%s not installed", p)
		}
	}
}

// Dir returns a temporary directory that daemons which drop privileges can
// read (every directory above it is made world-readable), owned by the user
// named owner unless owner is "".
func Dir(t testing.TB, owner string) string {
	t.Helper()
	d := t.TempDir()
	for p := d; p != os.TempDir() && p != "/"; p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if owner != "" {
		u, err := user.Lookup(owner)
		if err != nil {
			t.Fatalf("user %s: %v", owner, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// WriteFile writes a daemon's configuration file.
func WriteFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
