package results

import (
	"encoding/json"
	"math"
	"net/netip"
	"strings"
	"time"
)

// Proto is a transport or IP protocol name as profiles and outputs spell it:
// "tcp", "udp", or an IP protocol such as "gre", "esp", "ah".
type Proto string

// The protocols the scanner tests; any other Proto is reported NotTested.
const (
	TCP Proto = "tcp"
	UDP Proto = "udp"
)

// Expectation is what a profile requires of a port.
type Expectation string

// The expectations. The empty value means none: an ad-hoc scan that checks nothing.
const (
	ExpectNone     Expectation = ""
	ExpectOpen     Expectation = "open"     // required: the run fails unless the port is open
	ExpectOptional Expectation = "optional" // reported, never fails the run
	ExpectClosed   Expectation = "closed"   // must not be reachable: the run fails if it is open
	// ExpectReachable checks the firewall, not the service: the run fails only
	// when the port is filtered. Open or closed (RST, ICMP port unreachable) means
	// the packet got through; UDP silence is undetermined (see Judge).
	ExpectReachable Expectation = "reachable"
	// ExpectBlocked checks the firewall from the other side: the run fails
	// when the packet reaches the host, open or closed (a RST or an ICMP port
	// unreachable came back from it), and passes when the port is filtered
	// (dropped, or rejected by an ICMP unreachable other than port
	// unreachable). UDP silence is undetermined, as for ExpectReachable.
	ExpectBlocked Expectation = "blocked"
)

// Firewall reports whether e asks only whether a packet gets through the
// firewalls on the path (reachable) or is stopped by them (blocked), and not
// whether a service answers: both read a port's state the same way
// (throughFirewall), with opposite verdicts.
func (e Expectation) Firewall() bool { return e == ExpectReachable || e == ExpectBlocked }

// Denies reports whether e wants no service to answer on the port (closed,
// blocked): an open port fails it whatever service it is, so nothing is
// confirmed there.
func (e Expectation) Denies() bool { return e == ExpectClosed || e == ExpectBlocked }

// Source cites where a requirement comes from.
type Source struct {
	Document string `json:"document"`          // seed file name
	Section  string `json:"section,omitempty"` // section or table row
}

// Check is the profile entry a result answers: why the port was scanned and what
// was expected of it. Results keep their own copy so that this package does not
// depend on profiles.
type Check struct {
	Profiles []string    `json:"profiles"`          // slugs of every profile that asked for this port
	Service  string      `json:"service,omitempty"` // e.g. "Kerberos KDC"
	Purpose  string      `json:"purpose,omitempty"`
	Expect   Expectation `json:"expect,omitempty"`
	Role     string      `json:"role,omitempty"` // destination role for multi-destination profiles
	// Require names what the service must show beyond answering, as the
	// profile entry requires it: "smb-signing" (probes.Requirement).
	Require []string `json:"require,omitempty"`
	Sources []Source `json:"sources,omitempty"`
}

// Result is the verdict for one port of one target.
type Result struct {
	Target      string        `json:"target"`                  // as the user gave it
	Addr        netip.Addr    `json:"address"`                 // the address probed; invalid when the target failed
	Source      netip.Addr    `json:"source_address,omitzero"` // the local address the host was scanned from (what its firewall sees); invalid when none was bound
	Proto       Proto         `json:"proto"`                   //
	Port        uint16        `json:"port"`                    // 0 for IP protocols and target errors
	State       State         `json:"state"`                   //
	Reason      Reason        `json:"reason"`                  // why it got its state (reason.go: the vocabulary)
	RTT         time.Duration `json:"-"`                       // round-trip time of the deciding answer; 0 when there was none
	Attempts    int           `json:"attempts"`                // packets or connection attempts sent
	Probe       string        `json:"probe,omitempty"`         // UDP probe (or ProbeEPM) that produced the verdict
	Detail      string        `json:"detail,omitempty"`        // one-line summary of what the reply said
	Details     any           `json:"details,omitempty"`       // structured probe details
	Under       string        `json:"under,omitempty"`         // for follow-ups: what revealed the port ("instance SQLEXPRESS", InstanceLabel)
	Via         string        `json:"via,omitempty"`           // for follow-ups: the port whose reply revealed this one ("1434/udp")
	Records     []string      `json:"records,omitempty"`       // the DNS SRV records that named the target, when the DC locator found it (--domain)
	ClockOffset *float64      `json:"clock_offset,omitempty"`  // seconds the server's clock is ahead of this machine's (negative: behind), when its reply carries it (Kerberos, NTP)
	Check       *Check        `json:"check,omitempty"`         // the profile entry, when scanning profiles
	Trace       *Trace        `json:"trace,omitempty"`         // where on the path the port's packets stop (Scanner.Trace); shared, never modified
	Outcome     *Outcome      `json:"outcome,omitempty"`       // what became of Check: see Judge; producers set it only with Fail
	Vantage     *Vantage      `json:"source,omitempty"`        // where it was measured from, in a policy run or an exporter's answer; nil: this machine, unnamed
	Rule        string        `json:"rule,omitempty"`          // the policy rule the check belongs to ("rule 2", or its name); "" outside a policy
	Time        time.Time     `json:"time"`                    // when the verdict was reached, UTC
}

// Probe names that producers set and formats group replies by, spelled once
// here, where both see them.
const (
	// ProbeEPM is the Probe of every result of the RPC endpoint mapper check:
	// the mapper itself (135/tcp), the ports it lists and the interfaces
	// checked behind them.
	ProbeEPM = "epm"
	// ProbeSQLBrowser is the Probe of the SQL Server Browser's reply (1434/udp),
	// which lists the instances and their ports.
	ProbeSQLBrowser = "sqlbrowser"
)

// instancePrefix begins the Under of a SQL Server instance's port.
const instancePrefix = "instance "

// InstanceLabel is the Under of the port of the SQL Server instance name, as
// the Browser's reply revealed it or as a check requires it: "instance
// SQLEXPRESS".
func InstanceLabel(name string) string { return instancePrefix + name }

// SQLInstance returns the SQL Server instance whose port r is (its Under is
// InstanceLabel(name)).
func (r *Result) SQLInstance() (name string, ok bool) {
	return strings.CutPrefix(r.Under, instancePrefix)
}

// Met reports whether the result satisfies its expectation: Judge does not fail
// it. A result without a check, or with an optional one, always does.
func (r *Result) Met() bool { return !Fails(r) }

// MarshalJSON writes the RTT in milliseconds and the time in UTC.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result // no methods: no recursion
	r.Time = r.Time.UTC()
	if t := r.Trace; t != nil && t.Via != "" && t.Via != PortName(r.Proto, r.Port) && t.Hops != nil {
		// The other ports of a traced range write their trace without its
		// hops: the port traced (Via) has them, and a range of 16384 ports
		// need not write them 16384 times.
		short := *t
		short.Hops = nil
		r.Trace = &short
	}
	o := Judge(&r)
	r.Outcome = nil
	if o.Status != StatusNone {
		r.Outcome = &o
	}
	return json.Marshal(struct {
		plain
		RTTms float64 `json:"rtt_ms"`
	}{plain(r), float64(r.RTT.Microseconds()) / 1000})
}

// UnmarshalJSON reads what MarshalJSON wrote; Details decode as generic JSON
// values. An outcome that Judge would not compute from the rest (a producer's
// failure) is kept in Outcome.
func (r *Result) UnmarshalJSON(b []byte) error {
	type plain Result
	var v struct {
		plain
		RTTms float64 `json:"rtt_ms"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Result(v.plain)
	if stored := r.Outcome; stored != nil {
		// Keep only what a producer set: an outcome Judge computes anyway is
		// not stored, so a result reads back as it was before writing.
		r.Outcome = nil
		if Judge(r) != *stored {
			r.Outcome = stored
		}
	}
	r.RTT = time.Duration(math.Round(v.RTTms * float64(time.Millisecond))) // 0.412 ms is 411999.99… ns in binary
	return nil
}

// CertExpirer is implemented by details that carry a TLS certificate (a
// confirmed TLS or STARTTLS service): the earliest not-after of the
// certificates the server sent.
type CertExpirer interface {
	CertExpiry() (time.Time, bool)
}

// CertExpiry returns the earliest certificate expiry r's details carry.
func CertExpiry(r *Result) (time.Time, bool) {
	if c, ok := r.Details.(CertExpirer); ok {
		return c.CertExpiry()
	}
	return time.Time{}, false
}
