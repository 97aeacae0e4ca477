package scan

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

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
	if !isSelf(fd, sa) {
		t.Error("self-connect not detected")
	}
	other := &unix.SockaddrInet4{Port: port + 1, Addr: [4]byte{127, 0, 0, 1}}
	if isSelf(fd, other) {
		t.Error("a different remote port taken for a self-connect")
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
		got := collect(t, &Scanner{}, context.Background(), loopback, ports...)
		for _, p := range ports {
			if r := got[key(results.TCP, p.Lo)]; r.State != results.Open {
				t.Fatalf("port %d: %+v", p.Lo, r)
			}
		}
		b, err := readThreadNetTCP()
		if err != nil {
			t.Skip(err)
		}
		// sl local_address rem_address st …: "0100007F:1F90 0100007F:C350 06"
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 4 || f[3] != "06" {
				continue
			}
			for _, end := range f[1:3] {
				if _, hex, ok := strings.Cut(end, ":"); ok {
					if n, err := strconv.ParseUint(hex, 16, 16); err == nil && open[uint16(n)] {
						t.Errorf("TIME_WAIT left behind: %s", line)
					}
				}
			}
		}
	})
}

// readThreadNetTCP reads this thread's /proc/net/tcp. /proc/net/tcp itself is
// the main thread's, and testnet's helpers can leave the main thread in a test
// host's namespace (a locked thread that setns'd is wedged, not ended, when it
// is the main thread); a thread that is not locked is always in this machine's
// namespace.
func readThreadNetTCP() ([]byte, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return os.ReadFile("/proc/thread-self/net/tcp")
}
