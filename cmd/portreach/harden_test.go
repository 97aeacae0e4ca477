//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/results"
)

// closedPort is a loopback TCP port nothing listens on, held until the test ends.
func closedPort(t *testing.T) string {
	t.Helper()
	return strconv.Itoa(int(testnet.ClosedTCPPort(t)))
}

func runScanArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"scan", "--no-progress"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// leftovers lists temporary files left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// An output that is a device is written to, never replaced by a regular file
// (issue 11 case 1: as root, -o json:/dev/null would replace the system's).
func TestOutputDevice(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skipf("mknod (needs root): %v", err)
	}
	code, _, errs := runScanArgs(t, "-p", closedPort(t), "127.0.0.1", "-o", "json:"+dev)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	fi, err := os.Lstat(dev)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("%s is no longer a device: %v %v", dev, fi.Mode(), err)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

// A FIFO gets the report written into it.
func TestOutputFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- b
	}()
	code, _, errs := runScanArgs(t, "-p", closedPort(t), "127.0.0.1", "-o", "json:"+fifo)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b := <-got
	if rep := decodeReport(t, string(b)); len(rep.Results) != 1 {
		t.Errorf("through the FIFO: %s", b)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a FIFO: %v", fifo, fi.Mode())
	}
}

// Ctrl-C while an output FIFO waits for its reader ends the run at once,
// exit 130 (the first Ctrl-C was ignored: the open waited on).
func TestOutputFIFONoReader(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(portreachBin(t), "scan", "--no-progress", "-p", closedPort(t), "127.0.0.1", "-o", "json:"+fifo)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The kernel says where a thread waits: wait_for_partner is a FIFO's open.
	waiting := func() bool {
		ws, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", cmd.Process.Pid))
		for _, w := range ws {
			if b, _ := os.ReadFile(w); string(b) == "wait_for_partner" {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(30 * time.Second); !waiting(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("not waiting for the FIFO's reader after 30s: %s", errb.String())
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	var err error
	select {
	case err = <-exited:
	case <-time.After(30 * time.Second): // a hang, not a measure of speed
		cmd.Process.Kill()
		err = <-exited
		t.Errorf("still waiting 30s after SIGINT")
	}
	var ee *exec.ExitError
	want := "portreach scan: -o " + fifo + ": interrupted while waiting for a reader\n"
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted || errb.String() != want {
		t.Errorf("%v, stderr %q; want exit %d and %q", err, errb.String(), exitInterrupted, want)
	}
}

// A symbolic link is followed: its target is replaced, keeping its mode, and
// the link stays a link. The same holds for --update-baseline.
func TestOutputSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runScanArgs(t, "-p", closedPort(t), "127.0.0.1", "-o", "json:"+link)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	fi, err := os.Stat(target)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("target mode %v (%v), want 0600 kept", fi.Mode(), err)
	}
	b, _ := os.ReadFile(target)
	if rep := decodeReport(t, string(b)); len(rep.Results) != 1 {
		t.Errorf("target: %s", b)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

// As root, a symbolic link that another user planted in a sticky
// world-writable directory is not followed, for -o and --update-baseline
// (#18.3): the report would replace whatever it points at. The link's owner,
// and links the directory's owner owns, are followed as before.
func TestOutputSymlinkInStickyDir(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root (CI=true: not skipping)")
		}
		t.Skip("needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	dir := t.TempDir()
	sticky := filepath.Join(dir, "sticky")
	if err := os.Mkdir(sticky, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, "victim.txt")
	port := closedPort(t)
	plant := func(owner int) string {
		if err := os.WriteFile(victim, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(sticky, "report.json")
		os.Remove(link)
		if err := os.Symlink(victim, link); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(link, owner, owner); err != nil {
			t.Fatal(err)
		}
		return link
	}
	untouched := func(what string) {
		t.Helper()
		if b, _ := os.ReadFile(victim); string(b) != "secret" {
			t.Errorf("%s: the link's target was written: %.60q", what, b)
		}
		if l := leftovers(t, dir); len(l) > 0 {
			t.Errorf("%s: temporary files left: %v", what, l)
		}
	}
	refusal := func(link string) string {
		return "refusing to follow the symbolic link " + link + ": it belongs to nobody (uid " + nobody.Uid + ") and lies in " +
			sticky + ", a world-writable sticky directory of root (uid 0), so another user may have pointed it anywhere " +
			"(the rule of the kernel's fs.protected_symlinks); remove the link or write elsewhere"
	}

	link := plant(uid)
	code, _, errs := runScanArgs(t, "-p", port, "127.0.0.1", "-o", "json:"+link)
	if want := "portreach scan: -o " + link + ": " + refusal(link) + "\n"; code != exitUsage || errs != want {
		t.Errorf("-o: exit %d, stderr\n%s\nwant %d and\n%s", code, errs, exitUsage, want)
	}
	untouched("-o")

	// --update-baseline: the link points at a baseline the kernel may let us
	// read (fs.protected_symlinks=0) or not (=1): either way it is not written.
	link = plant(uid)
	if code, _, errs := runScanArgs(t, "-p", port, "127.0.0.1", "-o", "json:"+victim); code != exitOK {
		t.Fatalf("a baseline: exit %d: %s", code, errs)
	}
	baseline, _ := os.ReadFile(victim)
	code, _, errs = runScanArgs(t, "-p", port, "127.0.0.1", "--baseline", link, "--update-baseline")
	want := "portreach scan: --update-baseline " + link + ": " + refusal(link) + "\n"
	if b, _ := os.ReadFile("/proc/sys/fs/protected_symlinks"); strings.TrimSpace(string(b)) == "1" {
		want = "portreach scan: --baseline: open " + link + ": permission denied\n"
	}
	if code != exitUsage || errs != want {
		t.Errorf("--update-baseline: exit %d, stderr\n%s\nwant %d and\n%s", code, errs, exitUsage, want)
	}
	if b, _ := os.ReadFile(victim); !bytes.Equal(b, baseline) {
		t.Errorf("--update-baseline: the link's target was written: %.60q", b)
	}

	// The caller's own link, and a link of the directory's owner: followed.
	for _, owner := range []int{0, uid} {
		link = plant(owner)
		if owner == uid {
			if err := os.Chown(sticky, uid, uid); err != nil {
				t.Fatal(err)
			}
		}
		if code, _, errs := runScanArgs(t, "-p", port, "127.0.0.1", "-o", "json:"+link); code != exitOK {
			t.Errorf("link of uid %d: exit %d: %s", owner, code, errs)
		}
		if b, _ := os.ReadFile(victim); !strings.Contains(string(b), `"schema_version"`) {
			t.Errorf("link of uid %d not followed: %.60q", owner, b)
		}
	}
}

// As root, another user's regular file or FIFO in a sticky world-writable
// directory is not written (the kernel's fs.protected_regular and
// fs.protected_fifos): the report would go to them, the replaced file even
// keeping their ownership. Root's own file there is replaced as before.
func TestOutputOthersFileInStickyDir(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root (CI=true: not skipping)")
		}
		t.Skip("needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	sticky := filepath.Join(t.TempDir(), "sticky")
	if err := os.Mkdir(sticky, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	port := closedPort(t)
	file := filepath.Join(sticky, "report.json")
	fifo := filepath.Join(sticky, "report.fifo")
	if err := os.WriteFile(file, []byte("theirs"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{file, fifo} {
		if err := os.Chown(f, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	where := ": it belongs to nobody (uid " + nobody.Uid + ") and lies in " + sticky + ", a world-writable sticky directory of root (uid 0)"
	for _, c := range []struct{ out, want string }{
		{file, "refusing to replace " + file + where + ", so another user would own the report (the rule of the kernel's fs.protected_regular); remove it or write elsewhere"},
		{fifo, "refusing to write the FIFO " + fifo + where + ", so another user would read the report (the rule of the kernel's fs.protected_fifos); remove it or write elsewhere"},
	} {
		code, _, errs := runScanArgs(t, "-p", port, "127.0.0.1", "-o", "json:"+c.out)
		if want := "portreach scan: -o " + c.out + ": " + c.want + "\n"; code != exitUsage || errs != want {
			t.Errorf("exit %d, stderr\n%s\nwant %d and\n%s", code, errs, exitUsage, want)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "theirs" {
		t.Errorf("nobody's file was written: %.40q", b)
	}
	if l := leftovers(t, sticky); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
	// Root's own file in the sticky directory: replaced.
	if err := os.Chown(file, 0, 0); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runScanArgs(t, "-p", port, "127.0.0.1", "-o", "json:"+file); code != exitOK {
		t.Errorf("root's own file: exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), `"schema_version"`) {
		t.Errorf("root's own file not written: %.40q", b)
	}
}

// Outputs that cannot be written are refused before the first probe, and no
// temporary file is left anywhere (issue 11 case 8).
func TestOutputRefusedBeforeScan(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	f := filepath.Join(dir, "f")
	os.Symlink("f", filepath.Join(dir, "f-link"))
	port := closedPort(t)
	tests := []struct {
		name string
		outs []string
		want string
	}{
		{"directory", []string{"json:" + sub}, "is a directory"},
		{"missing directory", []string{"json:" + filepath.Join(dir, "missing", "x.json"), "jsonl:" + filepath.Join(dir, "ok.jsonl"), "csv:" + filepath.Join(dir, "ok.csv")}, "no such file or directory"},
		{"same path twice", []string{"jsonl:" + f, "jsonl:" + f}, "are the same file"},
		{"same path, two formats", []string{"json:" + f, "csv:" + f}, "are the same file"},
		{"same file through a link", []string{"json:" + f, "csv:" + filepath.Join(dir, "f-link")}, "are the same file"},
		{"unknown format", []string{"xml:" + filepath.Join(dir, "foo.xml")}, `unknown format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"-p", port, "127.0.0.1"}
			for _, o := range tt.outs {
				args = append(args, "-o", o)
			}
			code, _, errs := runScanArgs(t, args...)
			if code != exitUsage || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, exitUsage, tt.want)
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if e.Name() != "sub" && e.Name() != "f-link" {
					t.Errorf("left behind: %s", e.Name())
				}
			}
			if ents, _ := os.ReadDir(sub); len(ents) > 0 {
				t.Errorf("left in the directory: %v", ents)
			}
		})
	}
}

// --quiet prints a failing run's failures on standard output even when every
// output is a file, so that cron mails them (issue 11 case 11).
func TestQuietWithFileOutputsPrintsFailures(t *testing.T) {
	dir := t.TempDir()
	port := closedPort(t)
	code, out, errs := runScanArgs(t, "--quiet", "-p", port, "--expect", "open", "127.0.0.1", "-o", "junit:"+filepath.Join(dir, "r.xml"))
	if code != exitFailed {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, port+"/tcp") || !strings.Contains(out, "closed") {
		t.Errorf("stdout lacks the failing port:\n%s", out)
	}
	// A passing quiet run prints nothing.
	code, out, _ = runScanArgs(t, "--quiet", "-p", port, "--expect", "closed", "127.0.0.1", "-o", "junit:"+filepath.Join(dir, "r.xml"))
	if code != exitOK || out != "" {
		t.Errorf("passing quiet run: exit %d, stdout %q", code, out)
	}
	// The table's title and verdict count the whole run, though only the
	// failures are kept when every output streams.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	open := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	for _, f := range []string{"jsonl", "junit", "prometheus"} {
		code, out, errs = runScanArgs(t, "--quiet", "-p", open+","+port, "--expect", "closed", "127.0.0.1", "-o", f+":"+filepath.Join(dir, "r."+f))
		if code != exitFailed || !strings.Contains(out, "1 of 2 checks failed") || !strings.Contains(out, "2 ports: 1 open, 1 closed") {
			t.Errorf("-o %s: exit %d, stdout:\n%s\nwant the failing port counted among 2 (%s)", f, code, out, errs)
		}
	}
}

// The smaller cases of issue 11 (case 12).
func TestScanSmallerCases(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.json")
	os.WriteFile(data, []byte(`{"precious": true}`), 0o644)
	port := closedPort(t)
	long := filepath.Join(dir, "long.txt")
	os.WriteFile(long, []byte("127.0.0.1\n"+strings.Repeat("x", 2<<20)+"\n"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"negative timeout", []string{"--timeout", "-1s"}, exitUsage, "--timeout -1s"},
		{"zero timeout", []string{"--timeout", "0"}, exitUsage, "--timeout 0s"},
		{"negative rate", []string{"--rate", "-5"}, exitUsage, "--rate -5"},
		{"concurrency over 4096", []string{"--concurrency", "100000"}, exitUsage, "--concurrency 100000"},
		{"negative per-host", []string{"--per-host", "-1"}, exitUsage, "--per-host -1"},
		{"negative max-time", []string{"--max-time", "-1s"}, exitUsage, "--max-time -1s"},
		{"zero max-hosts", []string{"--max-hosts", "0"}, exitUsage, "--max-hosts 0"},
		{"huge retries", []string{"--retries", "1000000000"}, exitUsage, "--retries 1000000000"},
		{"lock on a data file", []string{"--lock", data}, exitUsage, "holds data"},
		{"long -iL line", []string{"-iL", long}, exitUsage, "long.txt:2: line longer than 1 MiB"},
		{"every target excluded", []string{"--exclude", "127.0.0.0/8"}, exitUsage, "every target is excluded"},
		{"host that does not resolve", []string{"no-such-host.invalid"}, exitFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-p", port, "-f", "json"}, tt.args...)
			if tt.name != "host that does not resolve" && tt.name != "long -iL line" {
				args = append(args, "127.0.0.1")
			}
			code, _, errs := runScanArgs(t, args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, tt.code, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(data); string(b) != `{"precious": true}` {
		t.Errorf("--lock clobbered the data file: %q", b)
	}
}

// A large target set from any source is refused without expanding it: role
// hosts, plan targets and -iL lists count against --max-hosts as they are read
// (issue 11 case 4).
func TestTargetSourcesCountedAsRead(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "hosts.txt")
	os.WriteFile(list, []byte(strings.Repeat("127.0.0.1\n", 100)), 0o644)
	plan := filepath.Join(dir, "plan.json")
	os.WriteFile(plan, []byte(`{"items": [{"profiles": ["domain-controller"], "targets": ["127.0.0.0/8"]}]}`), 0o644)
	tests := [][]string{
		{"--profile", "biztalk-send-server", "--role", "sql=::/64"},
		{"--profile", "biztalk-send-server", "--role", "sql=127.0.0.0/8"},
		{"--plan", plan},
		{"-p", "9", "--max-hosts", "10", "-iL", list},
		{"-p", "9", "::/64"},
	}
	for _, args := range tests {
		code, _, errs := runScanArgs(t, args...)
		if code != exitUsage || !strings.Contains(errs, "target hosts; narrow the targets or raise --max-hosts") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

// The exclude spin: "::/0 --exclude ::/0" ends at once (issue 11 case 5).
func TestExcludeEverything(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	code := runScan(ctx, []string{"-p", "9", "::/0", "--exclude", "::/0"}, nil, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "every target is excluded") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

func TestMaxTimeAccountsForEveryHost(t *testing.T) {
	code, out, errs := runScanArgs(t, "-p", "9,10", "--max-time", "1ns", "-f", "json", "127.0.0.1-3")
	if code != exitIncomplete {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	if len(rep.Results) != 6 {
		t.Fatalf("%d results, want 6 (2 ports on 3 hosts)", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.State != results.Unknown || r.Reason != "max-time" {
			t.Errorf("%+v", r)
		}
	}
}

// --update-baseline replaces the baseline keeping its mode (a 0600 baseline
// used to become 0644), and help rpc prints its usage once.
func TestBaselineModeAndRPCHelp(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	port := closedPort(t)
	if code, _, errs := runScanArgs(t, "-p", port, "127.0.0.1", "-o", "json:"+base); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if err := os.Chmod(base, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runScanArgs(t, "-p", port, "127.0.0.1", "--baseline", base, "--update-baseline", "-f", "json"); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if fi, err := os.Stat(base); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("baseline mode %v (%v), want 0600 kept", fi.Mode(), err)
	}
	var out, errb bytes.Buffer
	run([]string{"help", "rpc"}, strings.NewReader(""), &out, &errb)
	if n := strings.Count(out.String(), "Usage:"); n != 1 {
		t.Errorf("help rpc prints its usage %d times", n)
	}
}

// An output that cannot be written (ENOSPC from /dev/full, a full file
// system) exits 5, not 2: the input was good, the report is what is missing.
// A full file system leaves the old baseline and no temporary file.
func TestWriteFailureExitStatus(t *testing.T) {
	port := closedPort(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "--no-progress", "-p", port, "127.0.0.1", "-o", "json:/dev/full"},
			"portreach scan: -o /dev/full: write /dev/full: no space left on device\n"},
		{[]string{"scan", "--no-progress", "-p", port, "127.0.0.1", "-f", "json"},
			"portreach scan: writing results: write /dev/full: no space left on device\n"},
		{[]string{"local", "-f", "jsonl"}, "portreach local: writing results: write /dev/full: no space left on device\n"},
		{[]string{"rpc", "-f", "json", "--timeout", "200ms", "127.0.0.1"}, "portreach rpc: writing results: write /dev/full: no space left on device\n"},
	} {
		full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Skip(err)
		}
		var errb bytes.Buffer
		code := run(c.args, strings.NewReader(""), full, &errb)
		full.Close()
		if code != exitWrite || errb.String() != c.want {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.args, code, errb.String(), exitWrite, c.want)
		}
	}

	// A full file system, in a mount namespace of the test's own.
	if os.Geteuid() != 0 {
		t.Skip("a tmpfs of our own needs root")
	}
	dir := t.TempDir()
	baseline := filepath.Join(dir, "b.json")
	if code, _, errs := runScanArgs(t, "-p", port, "127.0.0.1", "-o", "json:"+baseline); code != exitOK {
		t.Fatalf("a baseline: exit %d: %s", code, errs)
	}
	// Inside the namespace: a 16 KiB tmpfs over dir, the baseline copied in,
	// the rest filled; after the run, whether the baseline is unchanged and
	// what else is there.
	orig := filepath.Join(t.TempDir(), "b.json")
	script := `set -e; cp "$0" "$2"; mount -t tmpfs -o size=16k none "$1"; cp "$2" "$0"
dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null || true; orig="$2"; shift 2
rc=0; "$@" || rc=$?
cmp -s "$orig" "$0" && echo "baseline unchanged"; ls -A "$(dirname "$0")"; exit $rc`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, baseline, dir, orig,
		portreachBin(t), "scan", "--no-progress", "-p", port, "--baseline", baseline, "--update-baseline", "127.0.0.1", "-o", "jsonl:/dev/null")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	want := "portreach scan: --update-baseline " + baseline + ": write " + filepath.Join(dir, ".b.json.tmp-")
	if !errors.As(err, &ee) || ee.ExitCode() != exitWrite || !strings.HasPrefix(errb.String(), want) ||
		!strings.HasSuffix(errb.String(), ": no space left on device\n") {
		t.Errorf("full file system: %v, stderr %q; want exit %d and %s…: no space left on device", err, errb.String(), exitWrite, want)
	}
	if got := out.String(); got != "baseline unchanged\nb.json\nfill\n" {
		t.Errorf("full file system, afterwards:\n%s\nwant the baseline unchanged, and no temporary file", got)
	}
}

// local says why a socket's owner is unknown, truly. As root, a socket no
// process in view holds (a VXLAN device's, the kernel's own; a process's in
// another PID namespace) is said to be so, not "run as root"; where even root
// may not read some processes' sockets, that is said. As another user, a root
// process's socket is hidden, and running as root is the advice.
func TestLocalOwnerUnknown(t *testing.T) {
	h := testnet.NewHost(t)
	h.Exec(t, "ip", "link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "local", h.Addr.String(), "dev", h.Dev)
	h.Exec(t, "ip", "link", "set", "vx0", "up")
	listen(t, h, 8080) // a root process's listener
	// A copy of the binary that nobody may run.
	dir, err := os.MkdirTemp("", "portreach-local-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "portreach")
	b, err := os.ReadFile(portreachBin(t))
	if err != nil || os.WriteFile(bin, b, 0o755) != nil {
		t.Fatal(err)
	}
	details := func(as ...string) map[string]string {
		t.Helper()
		args := append(as, bin, "local", "-f", "jsonl")
		out := h.Exec(t, args[0], args[1:]...)
		got := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r results.Result
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			got[strconv.Itoa(int(r.Port))+"/"+string(r.Proto)] = r.Detail
		}
		return got
	}
	const (
		none   = "no process in view holds it (a socket of the kernel's own: nfsd, lockd, VXLAN, WireGuard …; or a process in another PID namespace) (0.0.0.0)"
		guard  = "owner unknown (even as root, some processes' sockets could not be read: processes of another user namespace, or guarded by a security module) (0.0.0.0)"
		asRoot = "owner unknown (another user's process: run as root to see it) (0.0.0.0)"
	)
	// In a PID namespace of its own, with its own /proc, root sees every
	// process there: the VXLAN socket and the listener outside are held by
	// none of them.
	root := details("unshare", "--pid", "--fork", "--mount-proc")
	for _, p := range []string{"4789/udp", "8080/tcp"} {
		if root[p] != none {
			t.Errorf("as root in a PID namespace, %s: %q\nwant %q", p, root[p], none)
		}
	}
	// Here, root sees the listener's process; the VXLAN socket is held by
	// none, unless some process's sockets are closed to root (as this
	// machine's PID 1 may be).
	root = details("env")
	if v := root["4789/udp"]; v != none && v != guard {
		t.Errorf("as root, the VXLAN socket: %q\nwant %q\n  or %q", v, none, guard)
	}
	if !regexp.MustCompile(`^[^,]+, pid \d+ \(0\.0\.0\.0\)$`).MatchString(root["8080/tcp"]) {
		t.Errorf("as root, the listener: %q, want its process and pid", root["8080/tcp"])
	}
	nobody := details("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")
	for _, p := range []string{"8080/tcp", "4789/udp"} {
		if nobody[p] != asRoot {
			t.Errorf("as nobody, %s: %q\nwant %q", p, nobody[p], asRoot)
		}
	}
}
