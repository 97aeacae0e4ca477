//go:build linux

package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portreach/portreach/results"
)

// TestFDExhaustion scans 400 ports with a socket budget far above a descriptor
// limit of 48, in a child process. Running out of descriptors must be waited out:
// every open port found open and every other port closed, never a false closed or
// filtered.
func TestFDExhaustion(t *testing.T) {
	if os.Getenv("PORTREACH_FD_CHILD") != "" {
		fdChild()
		return
	}
	var open []string
	for range 5 {
		open = append(open, strconv.Itoa(int(openTCP(t))))
	}
	// Closed ports: bound and released here, so nothing listens on them.
	var closed []string
	for len(closed) < 395 {
		closed = append(closed, strconv.Itoa(int(freeTCPPort(t))))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFDExhaustion$")
	cmd.Env = append(os.Environ(), "PORTREACH_FD_CHILD="+strings.Join(append(open, closed...), ","))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var rs []results.Result
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var r results.Result
		if err := dec.Decode(&r); err != nil {
			break // the test framework's own trailer
		}
		rs = append(rs, r)
	}
	if len(rs) < 400 {
		t.Fatalf("child reported %d results, want >= 400", len(rs))
	}
	var gotOpen []string
	for _, r := range rs {
		switch r.State {
		case results.Open:
			gotOpen = append(gotOpen, strconv.Itoa(int(r.Port)))
		case results.Closed:
		default:
			t.Errorf("port %d: %s (%s): descriptor shortage leaked into a verdict", r.Port, r.State, r.Reason)
		}
	}
	slices.Sort(gotOpen)
	slices.Sort(open)
	if !slices.Equal(gotOpen, open) {
		t.Errorf("open ports %v, want %v", gotOpen, open)
	}
}

func fdChild() {
	lim := syscall.Rlimit{Cur: 48, Max: 48}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var ports []Port
	for _, p := range strings.Split(os.Getenv("PORTREACH_FD_CHILD"), ",") {
		n, _ := strconv.Atoi(p)
		ports = append(ports, Port{Proto: results.TCP, Lo: uint16(n)})
	}
	s := &Scanner{Concurrency: 1000, PerHost: 1000}
	lo := Target{Name: "127.0.0.1", Addr: loopback}
	enc := json.NewEncoder(os.Stdout)
	_ = s.Scan(context.Background(), Plan{Targets: slices.Values([]Target{lo}), Ports: ports}, func(r results.Result) {
		_ = enc.Encode(r)
	})
	os.Exit(0)
}

// TestUDPMorePortsThanDescriptors scans 300 UDP ports with a descriptor limit
// of 64, in a child process. Each port's socket used to live until every UDP
// port of the host was done, so the scan waited forever for descriptors that
// only its own end would free (issue 11 case 2).
func TestUDPMorePortsThanDescriptors(t *testing.T) {
	if os.Getenv("PORTREACH_UDP_FD_CHILD") != "" {
		udpFDChild()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a hang fails, it does not block CI
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestUDPMorePortsThanDescriptors$")
	cmd.Env = append(os.Environ(), "PORTREACH_UDP_FD_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v (hung?)\n%.2000s", err, out)
	}
	seen := map[uint16]bool{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var r results.Result
		if err := dec.Decode(&r); err != nil {
			break // the test framework's own trailer
		}
		if r.State == results.Error || r.State == results.Unknown {
			t.Errorf("port %d: %s (%s %s)", r.Port, r.State, r.Reason, r.Detail)
		}
		seen[r.Port] = true
	}
	if len(seen) != 300 {
		t.Errorf("%d ports reported, want 300", len(seen))
	}
}

func udpFDChild() {
	lim := syscall.Rlimit{Cur: 64, Max: 64}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	// 40000-40299: nothing of this test listens there; closed or silent, each
	// port must get a verdict.
	s := &Scanner{Timeout: 300 * time.Millisecond, UDPPace: time.Millisecond}
	lo := Target{Name: "127.0.0.1", Addr: loopback}
	enc := json.NewEncoder(os.Stdout)
	_ = s.Scan(context.Background(), Plan{Targets: slices.Values([]Target{lo}),
		Ports: []Port{{Proto: results.UDP, Lo: 40000, Hi: 40299}}}, func(r results.Result) {
		_ = enc.Encode(r)
	})
	os.Exit(0)
}
