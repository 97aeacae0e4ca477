//go:build linux

package testnet

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The DC must keep to its own directory: sockets or state under /run/samba or
// /var/lib/samba would be shared with concurrent test DCs and the machine's own.
func TestStartSambaDC(t *testing.T) {
	h := NewHost(t)
	start := time.Now()
	dc := StartSambaDC(t, h)
	for _, param := range []string{"ncalrpc dir", "pid directory", "lock directory", "state directory",
		"cache directory", "private dir", "binddns dir", "winbindd socket directory", "usershare path"} {
		out, err := exec.Command("testparm", "-s", "--parameter-name="+param, dc.Conf).Output()
		if err != nil {
			t.Fatalf("testparm %s: %v", param, err)
		}
		if v := strings.TrimSpace(string(out)); !strings.HasPrefix(v, dc.Dir+string(filepath.Separator)) && v != dc.Dir {
			t.Errorf("%s = %s, outside %s", param, v, dc.Dir)
		}
	}
	// The local-RPC sockets are the ones a second DC would fight over. (Other
	// Samba daemons a test may run, such as a standalone nmbd, use other paths.)
	entries, _ := os.ReadDir("/run/samba/ncalrpc")
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.ModTime().After(start) {
			t.Errorf("/run/samba/ncalrpc/%s written while the test DC ran", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(dc.Dir, "ncalrpc", "EPMAPPER")); err != nil {
		t.Errorf("the DC's own ncalrpc endpoint: %v", err)
	}
}
