package probes

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/portreach/portreach/internal/hexdump"
)

// capture reads one captured datagram (or byte stream) from testdata (see
// hexdump.File for the format).
func capture(tb testing.TB, name string) []byte {
	tb.Helper()
	return hexdump.File(tb, filepath.Join("testdata", name))
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
