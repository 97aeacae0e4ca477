package policy

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/portreach/portreach/results"
)

// TestSSHDeadlineEndsTheRead: an ssh source whose client leaves a process
// behind that holds its standard output (a ProxyCommand, a wrapper script)
// still ends at the endpoint's max_time, with source-timeout: the deadline
// ends the read of the answer, not only the ssh process.
func TestSSHDeadlineEndsTheRead(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "ssh")
	// Its child keeps the pipe for a minute after ssh itself is killed.
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nsleep 60 &\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	pol, err := load(t, `{"sources": {"s": [{"url": "ssh://root@127.0.0.1", "max_time": "300ms"}]},
  "rules": [{"from": ["s"], "to": ["127.0.0.1"], "ports": "T:1", "expect": "open"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	done := make(chan error, 1)
	go func() {
		done <- (&Runner{SSH: fake}).Run(context.Background(), pol, func(r results.Result) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, r.State.String()+"/"+string(results.Why(&r)))
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second): // a hang, not a speed bound
		t.Fatal("the policy still waits for the ssh source's answer after its max_time")
	}
	if len(got) != 1 || got[0] != "unknown/source-timeout" {
		t.Errorf("got %v, want [unknown/source-timeout]", got)
	}
}
