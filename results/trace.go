package results

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Trace is where, on the way to the host, a port's packets stop: the path traced
// with the port's own packets (its protocol, ports and payload, the same for every
// TTL, so that a load balancer keeps them on one path: Paris traceroute's rule),
// and what it shows. Scanner.Trace makes one for filtered ports.
type Trace struct {
	// End says how the trace ended; Hop, Addr and Name name the hop it points
	// at (see TraceEnd).
	End  TraceEnd   `json:"end"`
	Hop  int        `json:"hop,omitempty"`
	Addr netip.Addr `json:"address,omitzero"`
	Name string     `json:"name,omitempty"` // Addr's reverse name, when hops are resolved
	// Reason is, for TraceRejected, what the ICMP error said
	// (ReasonAdminProhibited …); for TraceReached, how the host answered.
	Reason Reason `json:"reason,omitempty"`
	// HostHop is how many hops away the host is, learnt from a trace of one of
	// its ports that answered; 0 when no port of the host answered.
	HostHop int `json:"host_hop,omitempty"`
	// Via names the port whose packets made the trace ("49152/tcp") when the
	// port is one of a range: the ports of one entry of the plan (a range,
	// "49152-65535") that the host dropped alike, or that one router rejected,
	// are traced once, with the first of them, and share the trace. "" for a
	// port traced on its own.
	Via string `json:"via,omitempty"`
	// Why says, for TraceUnavailable, why there is no trace.
	Why string `json:"why,omitempty"`
	// Hops are the TTLs tried, from 1: Hops[i] is TTL i+1. In JSON only the
	// port traced (Via, or the port itself) writes them.
	Hops []Hop `json:"hops,omitempty"`
}

// Hop is what one TTL of a trace drew.
type Hop struct {
	TTL  int        `json:"ttl"`
	Addr netip.Addr `json:"address,omitzero"` // invalid: nothing answered
	Name string     `json:"name,omitempty"`   // Addr's reverse name, when hops are resolved
	// Reason is what answered: ReasonTTLExceeded (a router on the way), an
	// ICMP unreachable's reason, the host's own answer (ReasonSynAck,
	// ReasonConnRefused, ReasonUDPResponse, ReasonPortUnreach), or
	// ReasonNoResponse: a silent hop.
	Reason Reason        `json:"reason"`
	RTT    time.Duration `json:"-"` // 0 for a silent hop
}

// TraceEnd is how a trace ended.
type TraceEnd string

// The ends of a trace.
const (
	// TraceDropped: silence from the hop after Hop, the last that answered (0:
	// no hop answered). The packets are dropped by Hop or by what follows it.
	TraceDropped TraceEnd = "dropped"
	// TraceHostDrops: every hop up to the host answered, and the host
	// (HostHop, the distance at which another of its ports answered) is
	// silent: the host's own firewall drops the port, or Hop, the last router
	// before it, drops what it forwards. A trace by TTL cannot tell them apart:
	// either way the last hop answers and the next TTL meets silence.
	TraceHostDrops TraceEnd = "host-drops"
	// TraceRejected: an ICMP destination unreachable (Reason) from Addr, the
	// router at Hop.
	TraceRejected TraceEnd = "rejected"
	// TraceHostRejects: an ICMP destination unreachable (Reason) from the host
	// itself, at Hop.
	TraceHostRejects TraceEnd = "host-rejects"
	// TraceReached: the host answered the trace at Hop (Reason): the port was
	// not dropped this time.
	TraceReached TraceEnd = "reached"
	// TraceUnavailable: no trace could be made (Why).
	TraceUnavailable TraceEnd = "unavailable"
)

var traceEnds = []TraceEnd{TraceDropped, TraceHostDrops, TraceRejected, TraceHostRejects, TraceReached, TraceUnavailable}

// UnmarshalText accepts the ends above only.
func (e *TraceEnd) UnmarshalText(b []byte) error {
	for _, k := range traceEnds {
		if string(b) == string(k) {
			*e = k
			return nil
		}
	}
	return fmt.Errorf("results: unknown trace end %q", b)
}

// ByHost reports whether the host itself, not a router, is where the packets
// stop: its firewall drops them, or it sends the unreachable.
func (t *Trace) ByHost() bool { return t.End == TraceHostDrops || t.End == TraceHostRejects }

// DropHop is the hop number the trace points at, for the portreach_port_drop_hop
// gauge: the last hop that answered before the silence (0: none did), the
// rejecting hop, or the host's hop when the host drops the port. It is -1 when
// the trace stops nowhere (the host answered, or there is no trace).
func (t *Trace) DropHop() int {
	switch t.End {
	case TraceDropped, TraceRejected, TraceHostRejects:
		return t.Hop
	case TraceHostDrops:
		return t.HostHop
	}
	return -1
}

// Summary says in one line where the packets stop, as the table's detail line
// and the other formats print it: "dropped after hop 3 (198.18.7.2,
// fw-core.example)", "rejected by 198.18.7.2 at hop 2 (admin-prohibited)",
// "reaches hop 3 (198.18.8.2), the last before the host (hop 4): the host
// drops it, or hop 3 does".
func (t *Trace) Summary() string {
	var b strings.Builder
	switch t.End {
	case TraceDropped:
		switch n := len(t.Hops); {
		case t.Hop == 0:
			fmt.Fprintf(&b, "dropped before the first hop: no hop answered in %d", n)
		case t.Hop == n && t.Hops[n-1].Reason == ReasonTTLExceeded:
			fmt.Fprintf(&b, "no end within %d hops: hop %d (%s) still answers (a longer path than --max-hops, or a routing loop)", n, t.Hop, t.where())
		default:
			fmt.Fprintf(&b, "dropped after hop %d (%s)", t.Hop, t.where())
			if t.HostHop > t.Hop+1 {
				fmt.Fprintf(&b, "; the host is hop %d", t.HostHop)
			}
		}
	case TraceHostDrops:
		fmt.Fprintf(&b, "reaches hop %d (%s), the last before the host (hop %d): the host drops it, or hop %d does", t.Hop, t.where(), t.HostHop, t.Hop)
	case TraceRejected:
		fmt.Fprintf(&b, "rejected by %s at hop %d (%s)", t.where(), t.Hop, t.Reason)
	case TraceHostRejects:
		fmt.Fprintf(&b, "rejected by the host at hop %d (%s)", t.Hop, t.Reason)
	case TraceReached:
		fmt.Fprintf(&b, "reaches the host at hop %d, which answered the trace (%s)", t.Hop, t.Reason)
	case TraceUnavailable:
		b.WriteString("not traced: " + t.Why)
	default:
		return ""
	}
	if t.Via != "" {
		b.WriteString("; traced with " + t.Via)
	}
	return b.String()
}

// where names the hop the trace points at: its address, and its name when
// known.
func (t *Trace) where() string {
	if t.Name != "" {
		return t.Addr.String() + ", " + t.Name
	}
	return t.Addr.String()
}

// Path renders the hops as one line: "1 198.18.7.2 0.1 ms, 2 198.18.8.2 0.1
// ms, 3 *, 4 *".
func (t *Trace) Path() string {
	parts := make([]string, len(t.Hops))
	for i, h := range t.Hops {
		parts[i] = h.String()
	}
	return strings.Join(parts, ", ")
}

// String renders a hop as traceroute would: "2 198.18.8.2 (fw.example) 0.1 ms
// !X" ("!X" for an unreachable, the reason after it), or "3 *" for a silent one.
func (h Hop) String() string {
	if !h.Addr.IsValid() {
		return strconv.Itoa(h.TTL) + " *"
	}
	s := strconv.Itoa(h.TTL) + " " + h.Addr.String()
	if h.Name != "" {
		s += " (" + h.Name + ")"
	}
	s += " " + strconv.FormatFloat(float64(h.RTT.Microseconds())/1000, 'f', -1, 64) + " ms"
	if h.Reason != ReasonTTLExceeded {
		s += " " + string(h.Reason)
	}
	return s
}

// MarshalJSON writes the RTT in milliseconds, as Result does.
func (h Hop) MarshalJSON() ([]byte, error) {
	type plain Hop
	var rtt *float64
	if h.Addr.IsValid() {
		ms := float64(h.RTT.Microseconds()) / 1000
		rtt = &ms
	}
	return json.Marshal(struct {
		plain
		RTTms *float64 `json:"rtt_ms,omitempty"`
	}{plain(h), rtt})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (h *Hop) UnmarshalJSON(b []byte) error {
	type plain Hop
	var v struct {
		plain
		RTTms float64 `json:"rtt_ms"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*h = Hop(v.plain)
	h.RTT = time.Duration(math.Round(v.RTTms * float64(time.Millisecond)))
	return nil
}
