package probes

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// capture reads one captured datagram (or byte stream) from testdata: '#' lines
// are the notes on where and how it was captured, the rest is hex, spaces allowed.
func capture(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
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
		tb.Fatalf("%s: %v", name, err)
	}
	if len(b) == 0 {
		tb.Fatalf("%s: no bytes", name)
	}
	return b
}

// fuzzDetail runs one matcher on fuzz input: a detail comes without an error
// and summarises and encodes without failing.
func fuzzDetail(t *testing.T, match func([]byte) (Detail, error), b []byte) {
	t.Helper()
	d, err := match(b)
	if err != nil {
		if d != nil {
			t.Fatal("detail with error")
		}
		return
	}
	_ = d.Summary()
	if _, err := json.Marshal(d); err != nil {
		t.Fatal(err)
	}
}
