package scan

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestIsSelf: a socket bound to a port and connected to that same port (TCP
// simultaneous open with itself) is told from a real connection.
func TestIsSelf(t *testing.T) {
	port := int(freeTCPPort(t))
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	sa := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatal(err)
	}
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
