package scan

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/portreach/portreach/results"
)

// TestIsSelf: a socket bound to a port and connected to that same port (TCP
// simultaneous open with itself) is told from a real connection.
func TestIsSelf(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	// Bound to a port the system picks, which no other socket can then take.
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := bound.(*unix.SockaddrInet4).Port
	sa := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Connect(fd, sa); err != nil {
		t.Skip("kernel refused a self-connect:", err)
	}
	e := &epollPoller{ephemeral: ephemeralRange()}
	at := func(port int) *attempt {
		return &attempt{p: &tcpPort{port: uint16(port), sw: &sweep{h: &host{addr: loopback}}}}
	}
	if !e.isSelf(fd, at(port)) {
		t.Error("self-connect not detected")
	}
	if e.isSelf(fd, at(port+1)) {
		t.Error("a different remote port taken for a self-connect")
	}
	if e.ephemeral[0] > port || port > e.ephemeral[1] {
		t.Errorf("the system picked port %d outside ip_local_port_range %v", port, e.ephemeral)
	}
}

// TestNoTimeWait: connections to open ports end with an RST (SO_LINGER 0), on
// either poller, so a scan leaves no TIME_WAIT sockets behind.
func TestNoTimeWait(t *testing.T) {
	var ports []Port
	open := map[uint16]bool{}
	for range 5 {
		p := openTCP(t)
		open[p] = true
		ports = append(ports, Port{Proto: results.TCP, Lo: p})
	}
	forEachPoller(t, func(t *testing.T) {
		// The ports were free to listen on, not unused: an earlier connection
		// with one of their numbers (a listener's that was closed, or a client's
		// ephemeral port) can still be in TIME_WAIT for up to a minute. Only
		// connections that were not there before the scan are the scan's.
		before := tcpSockets(t)
		got := collect(t, &Scanner{}, context.Background(), loopback, ports...)
		for _, p := range ports {
			if r := got[key(results.TCP, p.Lo)]; r.State != results.Open {
				t.Fatalf("port %d: %+v", p.Lo, r)
			}
		}
		for ends, s := range tcpSockets(t) {
			if s.state != "06" || before[ends].line != "" {
				continue
			}
			if open[ends.local.Port()] || open[ends.remote.Port()] {
				t.Errorf("TIME_WAIT left behind: %s", s.line)
			}
		}
	})
}

type tcpEnds struct{ local, remote netip.AddrPort }

type tcpSocket struct{ state, line string }

// tcpSockets lists this thread's IPv4 TCP sockets (/proc/net/tcp) by their ends.
func tcpSockets(t *testing.T) map[tcpEnds]tcpSocket {
	t.Helper()
	b, err := readThreadNetTCP()
	if err != nil {
		t.Skip(err)
	}
	m := map[tcpEnds]tcpSocket{}
	// sl local_address rem_address st …: "0100007F:1F90 0100007F:C350 06"
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		local, lerr := procNetAddr(f[1])
		remote, rerr := procNetAddr(f[2])
		if lerr != nil || rerr != nil {
			t.Fatalf("/proc/net/tcp line %q: %v %v", line, lerr, rerr)
		}
		m[tcpEnds{local, remote}] = tcpSocket{f[3], line}
	}
	return m
}

// procNetAddr parses an IPv4 "0100007F:1F90" of /proc/net/tcp (the address in
// the machine's byte order, which the port is not).
func procNetAddr(s string) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("no port in %q", s)
	}
	ip, err := strconv.ParseUint(a, 16, 32)
	if err != nil {
		return netip.AddrPort{}, err
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], uint32(ip))
	return netip.AddrPortFrom(netip.AddrFrom4(b), uint16(port)), nil
}

// readThreadNetTCP reads this thread's /proc/net/tcp. /proc/net/tcp itself is
// the main thread's, which need not be this thread's namespace; a thread that
// is not locked is in this machine's, as testnet returns the threads it moves.
func readThreadNetTCP() ([]byte, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return os.ReadFile("/proc/thread-self/net/tcp")
}

// TestEpollWaitCollectsAll: more attempts have ended than one epoll_wait
// returns, and a deadline is already due: one wait reports every one of them.
// The loop handles what wait reports before it fires any timer, so an answer
// that reached its socket in time never loses to its attempt's timer; this is
// the engine's part of "one attempt per answering port", which
// TestTCPEngineManyPorts cannot assert (a starved loopback can answer late).
func TestEpollWaitCollectsAll(t *testing.T) {
	e, err := newEpoll()
	if err != nil {
		t.Skip("no epoll:", err)
	}
	defer e.close()
	port := freeTCPPort(t)
	sw := &sweep{taskBase: taskBase{r: &run{}}, h: &host{addr: loopback}}
	n := 3*len(e.events) + 1
	var fds []unix.PollFd
	for range n {
		a := &attempt{p: &tcpPort{port: port, sw: sw}, hidx: -1}
		if err := e.connect(a); err != nil {
			t.Fatal(err)
		}
		if a.fd >= 0 {
			fds = append(fds, unix.PollFd{Fd: int32(a.fd), Events: unix.POLLOUT})
		}
	}
	// Until every connect has met its RST, watched without epoll.
	for len(fds) > 0 {
		if _, err := unix.Poll(fds, -1); err != nil && err != unix.EINTR {
			t.Fatal(err)
		}
		left := fds[:0]
		for _, p := range fds {
			if p.Revents == 0 {
				left = append(left, p)
			}
		}
		fds = left
	}
	got := e.wait(time.Now(), nil)
	if len(got) != n {
		t.Fatalf("one wait reported %d of %d ended attempts", len(got), n)
	}
	for _, c := range got {
		if v := classifyConnect(c.err, c.self, c.icmp); v.state != results.Closed || v.reason != results.ReasonConnRefused {
			t.Fatalf("attempt ended %v: %s (%s), want closed (conn-refused)", c.err, v.state, v.reason)
		}
	}
}
