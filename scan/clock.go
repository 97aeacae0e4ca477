package scan

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// The clock check. Kerberos refuses a logon whose authenticator's time is
// further from the KDC's clock than MaxClockSkew, 5 minutes by default (RFC 4120
// §1.6, Windows' "Maximum tolerance for computer clock synchronization"), and
// members take their time from the DCs over NTP (w32time). A KDC's KRB-ERROR
// carries its clock (stime, susec) and an NTP reply its transmit time, so every
// result whose reply carries one says how far the server's clock is from this
// machine's (Result.ClockOffset), and its check fails beyond Scanner.MaxSkew.

// DefaultMaxSkew is the MaxSkew of a Scanner that sets none: Kerberos'
// MaxClockSkew default (RFC 4120 §1.6).
const DefaultMaxSkew = 5 * time.Minute

const (
	// clockWarn is the offset past which a passing check still says the clock
	// is off: a minute is far beyond what w32time keeps members to.
	clockWarn = time.Minute
	// clockAgree is how far the KDC's clock and the NTP server's may differ and
	// still be called one clock: stime has whole seconds when susec is absent,
	// and either reading carries the one-way delay.
	clockAgree = 2 * time.Second
)

// clockReading is the server's clock as one result read it.
type clockReading struct {
	source  string  // "the KDC", "NTP"
	port    string  // "88/udp"
	portNum uint16  // 88
	offset  float64 // seconds the server is ahead of this machine
}

// readClock returns the clock reading of a result whose reply carries one: a
// Kerberos or kpasswd error over UDP or TCP (stime), or an NTP reply that is
// not a Kiss-o'-Death (whose times are not to be trusted, RFC 5905 §7.4).
func readClock(r *results.Result) (clockReading, bool) {
	c := clockReading{port: results.PortName(r.Proto, r.Port), portNum: r.Port}
	switch d := r.Details.(type) {
	case *probes.KerberosDetail:
		if d.KDCTime == nil {
			return c, false
		}
		c.source, c.offset = "the KDC", d.ClockSkewSeconds
	case *probes.ServiceDetail:
		if d.Kerberos == nil || d.Kerberos.KDCTime == nil {
			return c, false
		}
		c.source, c.offset = "the KDC", d.Kerberos.ClockSkewSeconds
	case *probes.NTPDetail:
		if d.KissCode != "" || d.ServerTime.IsZero() {
			return c, false
		}
		c.source, c.offset = "NTP", d.OffsetSeconds
	default:
		return c, false
	}
	return c, !math.IsNaN(c.offset) && !math.IsInf(c.offset, 0)
}

func hasClock(r *results.Result) bool { _, ok := readClock(r); return ok }

// clockPlanned reports whether ports ask a host both for its KDC's clock and
// for its NTP server's: only then can the two disagree, and the host's clock
// results are held until both are in (host.hold).
func clockPlanned(ports []Port) bool {
	kdc, ntp := false, false
	for _, p := range ports {
		if p.Proto != results.UDP || p.Kind != KindPort || p.Why != "" {
			continue
		}
		for port := int(p.Lo); port <= int(p.hi()); port++ {
			name := p.Probe
			if pr, ok := probes.ForPort(uint16(port)); ok && name == "" {
				name = pr.Name
			}
			kdc = kdc || name == probes.Kerberos.Name || name == probes.Kpasswd.Name
			ntp = ntp || name == probes.NTP.Name
		}
	}
	return kdc && ntp
}

// judgeClock sets r's clock offset from its reply and judges it: the check
// fails beyond maxSkew (zero: never), the detail warns beyond a minute, and
// says so when another of the host's readings (others, which may include r's
// own) disagrees with it.
func judgeClock(r *results.Result, others []clockReading, maxSkew time.Duration) {
	c, ok := readClock(r)
	if !ok {
		return
	}
	off := c.offset
	r.ClockOffset = &off
	skew := time.Duration(math.Abs(off) * float64(time.Second))
	var notes []string
	switch {
	case maxSkew > 0 && skew > maxSkew:
		r.Fail(results.ReasonClockSkew)
		notes = append(notes, fmt.Sprintf("clock %s, beyond --max-skew %s: Kerberos refuses logons", clockText(off), maxSkew))
	case skew > clockWarn:
		notes = append(notes, fmt.Sprintf("warning: clock %s, more than a minute off this machine's", clockText(off)))
	}
	// Compared with the lowest port of the other source: 88 before 464.
	others = slices.Clone(others)
	slices.SortStableFunc(others, func(a, b clockReading) int { return cmp.Compare(a.portNum, b.portNum) })
	if i := slices.IndexFunc(others, func(o clockReading) bool { return o.source != c.source }); i >= 0 {
		if o := others[i]; math.Abs(o.offset-off) > clockAgree.Seconds() {
			notes = append(notes, fmt.Sprintf("%s (%s) says %s and %s (%s) %s: the two clocks disagree",
				c.source, c.port, clockText(off), o.source, o.port, clockText(o.offset)))
		}
	}
	if len(notes) > 0 {
		r.Detail = strings.TrimPrefix(r.Detail+"; "+strings.Join(notes, "; "), "; ")
	}
}

// clockText writes an offset as a signed duration, to the millisecond under
// a second and to the second above: "+0.003s", "-1m30s".
func clockText(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(time.Millisecond)
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	if d < time.Second {
		return fmt.Sprintf("%s%.3fs", sign, d.Seconds())
	}
	return sign + d.Round(time.Second).String()
}
