// Package hexdump reads the hex dumps that tests compare wire formats against:
// captured replies stored in testdata files, and dumps written the way
// protocols.md writes them.
package hexdump

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// File reads one captured datagram (or byte stream): '#' lines are the notes on
// where and how it was captured, the rest is hex, spaces allowed.
func File(tb testing.TB, path string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var h strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			h.WriteString(strings.ReplaceAll(line, " ", ""))
		}
	}
	b, err := hex.DecodeString(h.String())
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if len(b) == 0 {
		tb.Fatalf("%s: no bytes", path)
	}
	return b
}

// Parse decodes a protocols.md-style dump: every line may start with a 4-digit
// offset column and end with a comment after three spaces; only the hex pairs
// count.
func Parse(tb testing.TB, dump string) []byte {
	tb.Helper()
	var out []byte
	for _, line := range strings.Split(dump, "\n") {
		if i := strings.Index(line, "   "); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) > 0 && len(f[0]) == 4 {
			f = f[1:] // offset column
		}
		b, err := hex.DecodeString(strings.Join(f, ""))
		if err != nil {
			tb.Fatalf("bad hex %q: %v", line, err)
		}
		out = append(out, b...)
	}
	return out
}
