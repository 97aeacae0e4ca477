//go:build linux

package testnet

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// ServeTCP accepts and closes connections on a TCP port at h.Addr (and h.Addr6)
// until the test ends, so the port scans open: a stand-in for a service such as a SQL instance.
func ServeTCP(t testing.TB, h *Host, port uint16) {
	t.Helper()
	h.serveTCPConns(t, port, func(net.Conn) {})
}

// serveTCPConns listens on a TCP port at h.Addr and runs serve on each
// connection until the test ends; it closes the connection when serve returns,
// and every connection still open when the test ends.
func (h *Host) serveTCPConns(t testing.TB, port uint16, serve func(net.Conn)) {
	t.Helper()
	var ls []net.Listener
	for _, a := range h.addrs() {
		err := h.inNetns(func() error {
			l, err := net.Listen("tcp", netip.AddrPortFrom(a, port).String())
			if err == nil {
				ls = append(ls, l)
			}
			return err
		})
		if err != nil {
			t.Fatalf("testnet %s: listen on %d/tcp: %v", h.Name, port, err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	t.Cleanup(func() {
		for _, l := range ls {
			l.Close()
		}
		mu.Lock()
		for c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	for _, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				open[c] = true
				mu.Unlock()
				wg.Add(1)
				go func() {
					defer wg.Done()
					serve(c)
					mu.Lock()
					delete(open, c)
					mu.Unlock()
					c.Close()
				}()
			}
		}()
	}
}

// addrs are the host's addresses: Addr, and Addr6 when it has one.
func (h *Host) addrs() []netip.Addr {
	if h.Addr6.IsValid() {
		return []netip.Addr{h.Addr, h.Addr6}
	}
	return []netip.Addr{h.Addr}
}

// ServeLocalUDP answers datagrams on a port of 127.0.0.1 with reply(request)
// until the test ends (a nil reply sends nothing), and returns the port: a
// stand-in for tests that need no test host (an NTP server whose clock is off).
func ServeLocalUDP(t testing.TB, reply func([]byte) []byte) uint16 {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveDatagrams(t, pc, reply)
	return uint16(pc.LocalAddr().(*net.UDPAddr).Port)
}

// ServeUDP answers datagrams on a UDP port at h.Addr (and h.Addr6) with reply(request) until
// the test ends; a nil reply sends nothing.
func ServeUDP(t testing.TB, h *Host, port uint16, reply func([]byte) []byte) {
	t.Helper()
	for _, a := range h.addrs() {
		var pc net.PacketConn
		err := h.inNetns(func() error {
			var err error
			pc, err = net.ListenPacket("udp", netip.AddrPortFrom(a, port).String())
			return err
		})
		if err != nil {
			t.Fatalf("testnet %s: listen on %d/udp: %v", h.Name, port, err)
		}
		serveDatagrams(t, pc, reply)
	}
}

// serveDatagrams answers each datagram pc reads with reply(request) (nil:
// nothing) until the test ends, when pc is closed and the reader waited for.
func serveDatagrams(t testing.TB, pc net.PacketConn, reply func([]byte) []byte) {
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if b := reply(buf[:n]); b != nil {
				pc.WriteTo(b, from)
			}
		}
	}()
}

// inNetns runs fn on an OS thread that has joined h's network namespace, so the
// sockets fn creates live there (a socket keeps the namespace it was created in).
// The thread then goes back to its own namespace before it is unlocked. Were it
// left locked to end with the goroutine, the process's main thread, which the
// runtime parks for ever instead of ending, would stay in the test host's
// namespace, and /proc/self/net (the main thread's) would show that host's
// sockets to the rest of the tests. A thread that cannot go back stays locked
// and ends with the goroutine.
func (h *Host) inNetns(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer self.Close()
		ns, err := os.Open(filepath.Join("/run/netns", h.Name))
		if err != nil {
			errc <- err
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", h.Name, err)
			return
		}
		err = fn()
		if unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	err := <-errc
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("namespace %s: %w", h.Name, err)
	}
	return err
}

// ServeSilentTCP accepts connections on a TCP port at h.Addr and holds them
// open without a byte, as a hung service does, until the test ends.
func ServeSilentTCP(t testing.TB, h *Host, port uint16) {
	t.Helper()
	h.serveTCPConns(t, port, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
}
