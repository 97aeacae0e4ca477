//go:build linux

package testnet

import (
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// RouteHop is one line of traceroute's answer: the address that answered at
// that TTL (invalid: "*", nothing did) and traceroute's annotation ("!X" for
// administratively prohibited, "!H", "!N" …; "" for none).
type RouteHop struct {
	Addr netip.Addr
	Note string
}

// Traceroute runs Linux traceroute (Debian's traceroute package: raw sockets,
// root) towards dst with TCP SYNs to dst's port (-T), one probe per TTL, up to
// maxHops, and returns its hops: the independent reference a tracer's hops are
// checked against. It sends only to dst, which must be a test network's.
func Traceroute(t testing.TB, dst netip.AddrPort, maxHops int) []RouteHop {
	t.Helper()
	Need(t, "traceroute")
	args := []string{"-n", "-T", "-p", strconv.Itoa(int(dst.Port())), "-q", "1", "-w", "0.5",
		"-m", strconv.Itoa(maxHops), dst.Addr().String()}
	if dst.Addr().Is6() {
		args = append([]string{"-6"}, args...)
	}
	out, err := exec.Command("traceroute", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("traceroute %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	hops, err := parseTraceroute(string(out))
	if err != nil {
		t.Fatalf("traceroute %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return hops
}

// parseTraceroute reads traceroute -n -q 1 output: a header line, then one
// line per TTL, "N  ADDR  RTT ms [!X]" or "N  *".
func parseTraceroute(out string) ([]RouteHop, error) {
	var hops []RouteHop
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err != nil {
			continue // the header
		}
		if n != len(hops)+1 {
			return nil, &strconv.NumError{Func: "hop", Num: f[0], Err: strconv.ErrRange}
		}
		var h RouteHop
		if f[1] != "*" {
			if h.Addr, err = netip.ParseAddr(f[1]); err != nil {
				return nil, err
			}
			if last := f[len(f)-1]; strings.HasPrefix(last, "!") {
				h.Note = last
			}
		}
		hops = append(hops, h)
	}
	return hops, nil
}
