package results

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var (
	r2   = netip.MustParseAddr("198.18.9.2")
	hops = []Hop{
		{TTL: 1, Addr: netip.MustParseAddr("198.18.8.2"), Reason: ReasonTTLExceeded, RTT: 412 * time.Microsecond},
		{TTL: 2, Addr: r2, Name: "fw-core.example", Reason: ReasonTTLExceeded, RTT: time.Millisecond},
		{TTL: 3, Reason: ReasonNoResponse},
	}
)

// Each end of a trace reads as the issue words it, with the hop it names.
func TestTraceSummary(t *testing.T) {
	tests := []struct {
		t    Trace
		want string
		drop int
	}{
		{Trace{End: TraceDropped, Hop: 2, Addr: r2, Name: "fw-core.example", HostHop: 4, Hops: hops},
			"dropped after hop 2 (198.18.9.2, fw-core.example); the host is hop 4", 2},
		{Trace{End: TraceDropped, Hop: 2, Addr: r2, HostHop: 0, Hops: hops}, "dropped after hop 2 (198.18.9.2)", 2},
		{Trace{End: TraceDropped, Hops: hops[2:]}, "dropped before the first hop: no hop answered in 1", 0},
		{Trace{End: TraceDropped, Hop: 2, Addr: r2, Hops: hops[:2]}, "no end within 2 hops: hop 2 (198.18.9.2) still answers (a longer path than --max-hops, or a routing loop)", 2},
		{Trace{End: TraceHostDrops, Hop: 3, Addr: r2, HostHop: 4, Hops: hops}, "reaches hop 3 (198.18.9.2), the last before the host (hop 4): the host drops it, or hop 3 does", 4},
		{Trace{End: TraceRejected, Hop: 2, Addr: r2, Reason: ReasonAdminProhibited, Hops: hops}, "rejected by 198.18.9.2 at hop 2 (admin-prohibited)", 2},
		{Trace{End: TraceHostRejects, Hop: 4, Addr: r2, Reason: ReasonAdminProhibited, Hops: hops}, "rejected by the host at hop 4 (admin-prohibited)", 4},
		{Trace{End: TraceReached, Hop: 4, Addr: r2, Reason: ReasonConnRefused}, "reaches the host at hop 4, which answered the trace (conn-refused)", -1},
		{Trace{End: TraceUnavailable, Why: "tracing is not supported on this system"}, "not traced: tracing is not supported on this system", -1},
		{Trace{End: TraceDropped, Hop: 2, Addr: r2, Via: "49152/tcp", Hops: hops}, "dropped after hop 2 (198.18.9.2); traced with 49152/tcp", 2},
	}
	for _, tt := range tests {
		if got := tt.t.Summary(); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.t.End, got, tt.want)
		}
		if got := tt.t.DropHop(); got != tt.drop {
			t.Errorf("%s: DropHop %d, want %d", tt.want, got, tt.drop)
		}
	}
	want := "1 198.18.8.2 0.412 ms, 2 198.18.9.2 (fw-core.example) 1 ms, 3 *"
	if got := (&Trace{Hops: hops}).Path(); got != want {
		t.Errorf("Path: %s, want %s", got, want)
	}
}

// A trace reads back from JSON as it was written; an unknown end is refused.
func TestTraceJSON(t *testing.T) {
	in := Result{Target: "h", Proto: TCP, Port: 81, State: Filtered, Reason: ReasonNoResponse,
		Trace: &Trace{End: TraceDropped, Hop: 2, Addr: r2, HostHop: 4, Hops: hops}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"end":"dropped"`, `"hop":2`, `"host_hop":4`, `{"ttl":1,"address":"198.18.8.2","reason":"ttl-exceeded","rtt_ms":0.412}`, `{"ttl":3,"reason":"no-response"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	var out Result
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Trace == nil || out.Trace.Summary() != in.Trace.Summary() || out.Trace.Path() != in.Trace.Path() {
		t.Errorf("read back %+v", out.Trace)
	}
	if err := json.Unmarshal([]byte(`{"trace":{"end":"lost"}}`), &out); err == nil || !strings.Contains(err.Error(), `unknown trace end "lost"`) {
		t.Errorf("unknown end: %v", err)
	}
}
