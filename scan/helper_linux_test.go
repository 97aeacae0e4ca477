//go:build linux

package scan

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// TestHelperListener is not a test: run inside a test host as
// "<test binary> -test.run=^TestHelperListener$ -- tcp:22,80 dns:53", it listens
// on those TCP ports (accepting and closing) and answers DNS questions on those
// UDP ports with REFUSED, until it is killed. It saves the test hosts from
// depending on netcat or socat.
func TestHelperListener(t *testing.T) {
	var spec []string
	for i, a := range os.Args {
		if a == "--" {
			spec = os.Args[i+1:]
		}
	}
	if len(spec) == 0 {
		t.Skip("helper process only")
	}
	for _, s := range spec {
		kind, list, _ := strings.Cut(s, ":")
		for _, p := range strings.Split(list, ",") {
			port, _ := strconv.Atoi(p)
			switch kind {
			case "tcp":
				l, err := net.Listen("tcp4", ":"+strconv.Itoa(port))
				if err != nil {
					t.Fatal(err)
				}
				go func() {
					for {
						c, err := l.Accept()
						if err != nil {
							return
						}
						c.Close()
					}
				}()
			case "dns":
				pc, err := net.ListenPacket("udp4", ":"+strconv.Itoa(port))
				if err != nil {
					t.Fatal(err)
				}
				go serveDNSRefused(pc)
			}
		}
	}
	select {}
}

func serveDNSRefused(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var m dnsmessage.Message
		if m.Unpack(buf[:n]) != nil {
			continue
		}
		m.Header.Response, m.Header.RCode = true, dnsmessage.RCodeRefused
		if b, err := m.Pack(); err == nil {
			pc.WriteTo(b, from)
		}
	}
}

func execOut(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}
