package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/portreach/portreach/results"
)

// ssh runs the rule from an ssh:// endpoint: "portreach scan --plan - -f
// jsonl" on the host through the system's OpenSSH client (BatchMode: it never
// asks for a password), the rule's plan on its standard input, JSON Lines
// back. portreach must already be installed there.
func (j *job) ssh(ctx context.Context) {
	t := newTracker(j.rule.Plan)
	names := targetNames(j.rule.Plan, "")
	plan, err := j.remotePlan()
	if err != nil {
		t.missing(&failure{results.ReasonSourceError, err.Error()}, j.emitOwn)
		return
	}
	bin := j.rn.SSH
	if bin == "" {
		bin = "ssh"
	}
	args := append([]string{"-o", "BatchMode=yes"}, j.ep.SSHArgs...)
	if p := j.ep.URL.Port(); p != "" {
		args = append(args, "-p", p)
	}
	host := j.ep.URL.Hostname()
	if u := j.ep.URL.User.Username(); u != "" {
		host = u + "@" + host
	}
	remote := []string{"portreach", "scan", "--plan", "-", "-f", "jsonl", "--no-progress"}
	if j.rn.Scanner.Timeout > 0 {
		remote = append(remote, "--timeout", j.rn.Scanner.Timeout.String())
	}
	if d, ok := ctx.Deadline(); ok {
		// The remote ends its scan before this side gives up on it.
		if left := d.Sub(timeNow()) * 9 / 10; left > 0 {
			remote = append(remote, "--max-time", left.Round(1e6).String())
		}
	}
	cmd := exec.CommandContext(ctx, bin, append(append(args, "--", host), remote...)...)
	cmd.Stdin = bytes.NewReader(plan)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{b: &stderr, max: 64 << 10}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.missing(&failure{results.ReasonSourceError, err.Error()}, j.emitOwn)
		return
	}
	if err := cmd.Start(); err != nil {
		t.missing(&failure{results.ReasonSourceUnreachable, fmt.Sprintf("%s: %v", bin, err)}, j.emitOwn)
		return
	}
	// The deadline ends the read and the wait too, not only the ssh process:
	// a process it leaves behind (a ProxyCommand, a wrapper) may hold its
	// output open for as long as it likes.
	cmd.WaitDelay = time.Second
	stopRead := context.AfterFunc(ctx, func() { stdout.Close() })
	defer stopRead()
	readErr := readResults(stdout, func(r results.Result) error {
		if !slices.Contains(names, r.Target) {
			return fmt.Errorf("a result for %q, which the source was not asked about", r.Target)
		}
		t.take(&r)
		j.own(&r)
		j.emit(r)
		return nil
	})
	if readErr != nil {
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	f := ended(ctx, readErr)
	if f == nil {
		f = sshFailure(j.ep.Label, waitErr, stderr.String())
	}
	if f == nil {
		f = &failure{results.ReasonSourceError, "the source did not report this check"}
	}
	t.missing(f, j.emitOwn)
}

func (j *job) emitOwn(r results.Result) {
	j.own(&r)
	j.emit(r)
}

// remotePlan is the rule as a plan file for "portreach scan --plan -": one
// item, with the policy's own profiles.
func (j *job) remotePlan() ([]byte, error) {
	r := j.rule.src
	item := map[string]any{"targets": r.To}
	if len(r.Profiles) > 0 {
		item["profiles"] = r.Profiles
	}
	if len(r.Roles) > 0 {
		item["roles"] = r.Roles
	}
	for k, v := range map[string]string{"ports": r.Ports, "expect": r.Expect, "addresses": r.Addresses} {
		if v != "" {
			item[k] = v
		}
	}
	doc := map[string]any{"items": []any{item}}
	if len(j.pol.plan.Profiles) > 0 {
		doc["profiles"] = j.pol.plan.Profiles
	}
	return json.Marshal(doc)
}

// sshFailure reads how ssh and the remote portreach ended: nil for exit 0
// (every check met), 1 (one failed) or 3 (its --max-time). ssh itself exits
// 255 when it cannot connect or authenticate; a shell exits 127 for a command
// it does not find.
func sshFailure(label string, err error, stderr string) *failure {
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) {
		if err != nil {
			return &failure{results.ReasonSourceUnreachable, fmt.Sprintf("%s: %v", label, err)}
		}
		return nil
	}
	last := lastLine(stderr)
	code := ee.ExitCode()
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = -1
	}
	switch {
	case code == 0 || code == 1 || code == 3:
		return nil
	case code == 127 || strings.Contains(stderr, "portreach: command not found") || strings.Contains(stderr, "portreach: not found") || strings.Contains(stderr, "is not recognized as an internal or external command"):
		return &failure{results.ReasonSourceIncompatible, fmt.Sprintf("portreach is not installed on %s (or not on its PATH): install it there, or use an exporter (%s)", label, last)}
	case code == 255 && (strings.Contains(stderr, "Permission denied") || strings.Contains(stderr, "Host key verification failed")):
		return &failure{results.ReasonSourceRefused, fmt.Sprintf("%s: %s", label, last)}
	case code == 255:
		return &failure{results.ReasonSourceUnreachable, fmt.Sprintf("%s: %s", label, last)}
	case code == 2:
		return &failure{results.ReasonSourceIncompatible, fmt.Sprintf("the portreach on %s refused the rule's plan (too old?): %s", label, last)}
	}
	return &failure{results.ReasonSourceError, fmt.Sprintf("%s: exit %d: %s", label, code, last)}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 256 {
		l = l[:256] + "…"
	}
	return strings.ToValidUTF8(l, "?")
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
