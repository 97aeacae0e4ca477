package listeners

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/portreach/portreach/results"
)

// Socket states in /proc/net/tcp and udp: the kernel's TCP states (include/net/tcp_states.h).
const (
	tcpEstablished = 0x01
	tcpListen      = 0x0A
	tcpClose       = 0x07 // an unconnected UDP socket
)

// ParseProcNet reads one of /proc/net/tcp, tcp6, udp, udp6 (proto says which
// transport) and returns the TCP sockets in LISTEN and the UDP sockets not
// connected to a peer, with their inodes. Each line is
//
//	sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
//
// where an address is the raw in_addr or in6_addr printed as 32-bit words in
// the machine's byte order ("%08X" per word, as the kernel's seq_printf does in
// net/ipv4/tcp_ipv4.c and net/ipv6/tcp_ipv6.c), then ":" and the port in hex.
func ParseProcNet(r io.Reader, proto results.Proto) ([]Socket, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64*1024)
	var out []Socket
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if line == 1 || len(f) == 0 {
			continue // the header
		}
		if len(f) < 10 {
			return nil, fmt.Errorf("line %d: %d fields, want at least 10", line, len(f))
		}
		local, err := parseProcAddr(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: local address %q: %v", line, f[1], err)
		}
		remote, err := parseProcAddr(f[2])
		if err != nil {
			return nil, fmt.Errorf("line %d: remote address %q: %v", line, f[2], err)
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("line %d: state %q: %v", line, f[3], err)
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: inode %q: %v", line, f[9], err)
		}
		switch {
		case proto == results.TCP && st == tcpListen:
		case proto == results.UDP && st != tcpEstablished && remote.Port() == 0:
		default:
			continue
		}
		out = append(out, Socket{Proto: proto, Addr: local, inode: inode})
	}
	return out, sc.Err()
}

// parseProcAddr decodes "0100007F:1F90" (127.0.0.1:8080 on a little-endian
// machine) or the 32-digit IPv6 form. IPv4-mapped IPv6 addresses are unmapped.
func parseProcAddr(s string) (netip.AddrPort, error) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("no port")
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if len(h) != 8 && len(h) != 32 {
		return netip.AddrPort{}, fmt.Errorf("%d hex digits, want 8 or 32", len(h))
	}
	raw, err := hex.DecodeString(h)
	if err != nil {
		return netip.AddrPort{}, err
	}
	// Each word was printed as a number read in the machine's byte order:
	// write the numbers back the same way to get the address's bytes.
	b := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(b[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	a, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
}
