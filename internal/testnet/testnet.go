//go:build linux

// Package testnet builds throw-away test hosts for integration tests: a network
// namespace joined to this machine by a veth pair, with addresses in 198.18.0.0/15
// (RFC 2544 benchmarking space), daemons started inside it, and nftables rules that
// make its ports closed, dropped or rejected. Nothing inside a test host has a default
// route, so its daemons can talk to the scanner and to nothing else. A Net (net.go)
// joins several namespaces into a network with routers between them: a Chain of
// routers in front of a host, for traces.
//
// Hosts need root, iproute2 and nftables. Require skips a test where they are
// missing, except under CI=true, where a missing prerequisite fails the test: CI
// must never pass by skipping the tests that matter.
package testnet

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Require skips (or, under CI=true, fails) the test unless test hosts can be built.
func Require(t testing.TB) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, tool := range []string{"ip", "nft", "ss"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "test hosts need " + strings.Join(missing, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: not skipping)")
	}
	t.Skip(msg)
}

// Host is a network namespace test host.
type Host struct {
	Name    string     // network namespace name
	Addr    netip.Addr // the host's address, inside the namespace
	Peer    netip.Addr // this machine's address on the link to the host
	Dev     string     // the host's interface, inside the namespace
	PeerDev string     // this machine's end of the veth pair
	// Addr6 and Peer6 are the IPv6 addresses of the two ends, for the hosts
	// of a Net (in 2001:2::/48); NewHost's hosts have none. For a Net's
	// host, Addr, Peer, Dev and PeerDev describe its first link, whose other
	// end may be another namespace (see Net.Link).
	Addr6, Peer6 netip.Addr

	slot  int
	procs []*exec.Cmd
}

// The slot directory hands out link subnets across concurrent test processes
// (go test runs packages in parallel): slot N owns 198.18.N.0/30 for N < 256 and
// 198.19.(N-256).0/30 above.
const (
	slotDir  = "/run/portreach-testnet"
	maxSlots = 512
)

func slotAddrs(n int) (host, peer netip.Addr) {
	b := [4]byte{198, 18, byte(n), 0}
	if n >= 256 {
		b[1], b[2] = 19, byte(n-256)
	}
	b[3] = 1
	peer = netip.AddrFrom4(b)
	b[3] = 2
	return netip.AddrFrom4(b), peer
}

// claimSlot takes the first free slot. A slot file holds the owner's PID; a slot
// whose owner has died is taken over and its leftovers removed. Claims are made
// one at a time under a lock on the slot directory (flock, released when its
// holder dies): without it, two claimers that both find the same dead owner's
// slot can each remove the file and create their own, the second removing the
// first's fresh claim, and both then use one namespace, one deleting the
// other's host as leftovers.
func claimSlot() (int, error) {
	if err := os.MkdirAll(slotDir, 0o755); err != nil {
		return 0, err
	}
	lock, err := os.Open(slotDir)
	if err != nil {
		return 0, err
	}
	defer lock.Close() // releases the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return 0, fmt.Errorf("testnet: lock %s: %w", slotDir, err)
	}
	for n := 1; n < maxSlots; n++ {
		path := filepath.Join(slotDir, strconv.Itoa(n))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, os.ErrExist) {
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 && syscall.Kill(pid, 0) != nil {
					_ = os.Remove(path) // owner is gone; retry this slot
					n--
				}
			}
			continue
		}
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(f, "%d\n", os.Getpid())
		f.Close()
		// A crashed earlier run may have left its namespace and link behind.
		_ = exec.Command("ip", "netns", "del", nsName(n)).Run()
		_ = exec.Command("ip", "link", "del", peerDev(n)).Run()
		return n, nil
	}
	return 0, errors.New("testnet: no free test-host slot")
}

func nsName(n int) string  { return "portreach-" + strconv.Itoa(n) }
func peerDev(n int) string { return "prv" + strconv.Itoa(n) + "h" }
func hostDev(n int) string { return "prv" + strconv.Itoa(n) + "n" }

// guardRoute is a route that refuses a test block on this machine, installed
// once per process.
type guardRoute struct {
	prefix netip.Prefix
	once   sync.Once
	err    error
}

// The guard routes: 198.18.0.0/15 (RFC 2544), where test hosts and the IPv4
// side of test networks live, and 2001:2::/48 (RFC 5180), the IPv6 side of
// test networks.
var (
	guard4 = &guardRoute{prefix: netip.MustParsePrefix("198.18.0.0/15")}
	guard6 = &guardRoute{prefix: netip.MustParsePrefix("2001:2::/48")}
)

// guard makes sure 198.18.0.0/15 has a route that refuses traffic on this
// machine, so that a scan of a test host after its teardown (its /30 gone)
// fails here instead of following the default route out of the machine.
func guard(t testing.TB) { t.Helper(); guard4.install(t) }

// install adds an unreachable route for the block. An existing unreachable,
// blackhole or prohibit route for it is left as it is (machines set up by hand
// often use blackhole); an existing route of any other kind (through a gateway
// or a device) would carry a torn-down host's traffic away, and fails the test.
func (g *guardRoute) install(t testing.TB) {
	t.Helper()
	g.once.Do(func() {
		family := "-4"
		if g.prefix.Addr().Is6() {
			family = "-6"
		}
		out, _ := exec.Command("ip", family, "route", "show", "exact", g.prefix.String()).Output()
		if len(bytes.TrimSpace(out)) > 0 {
			if !refusingRoute(string(out)) {
				g.err = fmt.Errorf("the existing route %q sends the test block somewhere; want unreachable, blackhole or prohibit", strings.TrimSpace(string(out)))
			}
			return
		}
		b, err := exec.Command("ip", family, "route", "add", "unreachable", g.prefix.String()).CombinedOutput()
		if err != nil && !bytes.Contains(b, []byte("File exists")) { // else another test process was first
			g.err = fmt.Errorf("%v: %s", err, b)
		}
	})
	if g.err != nil {
		t.Fatalf("testnet: guard route for %s: %v", g.prefix, g.err)
	}
}

// refusingRoute reports whether "ip route show exact" output is a single
// route whose type makes the kernel refuse the traffic (ip-route(8): unreachable
// answers EHOSTUNREACH, prohibit EACCES, blackhole EINVAL; none sends a packet).
func refusingRoute(show string) bool {
	lines := strings.Split(strings.TrimSpace(show), "\n")
	f := strings.Fields(lines[0])
	if len(lines) != 1 || len(f) == 0 {
		return false
	}
	switch f[0] {
	case "unreachable", "blackhole", "prohibit":
		return true
	}
	return false
}

// NewHost builds a test host and removes it when the test ends.
func NewHost(t testing.TB) *Host {
	t.Helper()
	Require(t)
	guard(t)
	n, err := claimSlot()
	if err != nil {
		t.Fatal(err)
	}
	addr, peer := slotAddrs(n)
	h := &Host{Name: nsName(n), Addr: addr, Peer: peer, Dev: hostDev(n), PeerDev: peerDev(n), slot: n}
	t.Cleanup(h.close)
	steps := [][]string{
		{"ip", "netns", "add", h.Name},
		{"ip", "link", "add", h.PeerDev, "type", "veth", "peer", "name", h.Dev},
		{"ip", "link", "set", h.Dev, "netns", h.Name},
		{"ip", "addr", "add", peer.String() + "/30", "dev", h.PeerDev},
		{"ip", "link", "set", h.PeerDev, "up"},
		{"ip", "-n", h.Name, "addr", "add", addr.String() + "/30", "dev", h.Dev},
		{"ip", "-n", h.Name, "link", "set", h.Dev, "up"},
		{"ip", "-n", h.Name, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("testnet: %s: %v: %s", strings.Join(s, " "), err, out)
		}
	}
	// Wait until both ends' operational state is up: before that the kernel
	// may still hold an end's queue on noop (carrier-on is applied
	// asynchronously), which drops what is sent. The UP among the flags of
	// "ip -br link" is the administrative state, set at once; the state column
	// before them is the operational one.
	deadline := time.Now().Add(10 * time.Second)
	for !(operUp(exec.Command("ip", "-n", h.Name, "-br", "link", "show", h.Dev)) &&
		operUp(exec.Command("ip", "-br", "link", "show", h.PeerDev))) {
		if time.Now().After(deadline) {
			t.Fatalf("testnet %s: link %s/%s not up after 10s", h.Name, h.PeerDev, h.Dev)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return h
}

// operUp runs an "ip -br link show DEV" command and reports whether the
// device's operational state (the second column) is UP.
func operUp(c *exec.Cmd) bool {
	out, _ := c.Output()
	f := strings.Fields(string(out))
	return len(f) > 1 && f[1] == "UP"
}

func (h *Host) close() {
	for _, c := range h.procs {
		stop(c)
	}
	_ = exec.Command("ip", "netns", "del", h.Name).Run()
	_ = exec.Command("ip", "link", "del", h.PeerDev).Run()
	_ = os.Remove(filepath.Join(slotDir, strconv.Itoa(h.slot)))
}

// stop ends a started process and its children: SIGTERM to its process group,
// SIGKILL if it is still there two seconds later.
func stop(c *exec.Cmd) {
	if c.Process == nil {
		return
	}
	pgid := c.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
}

// Command returns a command that runs inside the host's namespace.
func (h *Host) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.Name, name}, args...)...)
}

// Exec runs a command inside the host and returns its output; failure fails the test.
func (h *Host) Exec(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := h.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("testnet %s: %s %s: %v\n%s", h.Name, name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Start starts a daemon inside the host, in its own process group, with output
// going to the test log. It is stopped, by PID, when the test ends.
func (h *Host) Start(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	c := h.Command(name, args...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	w := &logWriter{t: t, prefix: filepath.Base(name) + ": "}
	c.Stdout, c.Stderr = w, w
	if err := c.Start(); err != nil {
		t.Fatalf("testnet %s: start %s: %v", h.Name, name, err)
	}
	h.procs = append(h.procs, c)
	return c
}

// NFT loads an nftables ruleset inside the host (nft -f -).
func (h *Host) NFT(t testing.TB, ruleset string) {
	t.Helper()
	c := h.Command("nft", "-f", "-")
	c.Stdin = strings.NewReader(ruleset)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("testnet %s: nft: %v\n%s\nruleset:\n%s", h.Name, err, out, ruleset)
	}
}

// WaitTCP waits until something listens on the TCP port inside the host.
func (h *Host) WaitTCP(t testing.TB, port uint16) { t.Helper(); h.wait(t, "-Hltn", port) }

// WaitUDP waits until a socket is bound to the UDP port inside the host.
func (h *Host) WaitUDP(t testing.TB, port uint16) { t.Helper(); h.wait(t, "-Hlun", port) }

func (h *Host) wait(t testing.TB, flags string, port uint16) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _ := h.Command("ss", flags, "sport", "=", ":"+strconv.Itoa(int(port))).Output()
		if len(bytes.TrimSpace(out)) > 0 {
			return
		}
		for _, c := range h.procs {
			if c.ProcessState != nil {
				t.Fatalf("testnet %s: %s exited before port %d was ready", h.Name, c.Path, port)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("testnet %s: nothing listens on port %d (%s) after 60s", h.Name, port, flags)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type logWriter struct {
	t      testing.TB
	prefix string
}

func (w *logWriter) Write(b []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		w.t.Log(w.prefix + line)
	}
	return len(b), nil
}
