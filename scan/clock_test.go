package scan

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

func TestClockText(t *testing.T) {
	for sec, want := range map[float64]string{
		0: "+0.000s", -0.0001: "+0.000s", 0.0034: "+0.003s", 0.9996: "+1s", -0.5: "-0.500s", 1.4: "+1s", 90: "+1m30s", -400.2: "-6m40s", 7200: "+2h0m0s",
	} {
		if got := clockText(sec); got != want {
			t.Errorf("clockText(%v) = %q, want %q", sec, got, want)
		}
	}
}

// The clock check: the offset is kept, a check fails beyond the maximum skew,
// a passing one warns beyond a minute, and two sources that disagree say so.
func TestJudgeClock(t *testing.T) {
	now := time.Now()
	kdc := func(skew float64) results.Result {
		at := now.Add(time.Duration(skew * float64(time.Second)))
		return results.Result{Proto: results.UDP, Port: 88, Probe: "kerberos", State: results.Open, Detail: "KDC",
			Details: &probes.KerberosDetail{Message: "KRB-ERROR", KDCTime: &at, ClockSkewSeconds: skew},
			Check:   &results.Check{Expect: results.ExpectOpen}}
	}
	ntp := func(off float64) results.Result {
		return results.Result{Proto: results.UDP, Port: 123, Probe: "ntp", State: results.Open, Detail: "NTP",
			Details: &probes.NTPDetail{Stratum: 3, ServerTime: now, OffsetSeconds: off}, Check: &results.Check{Expect: results.ExpectOpen}}
	}
	for _, tc := range []struct {
		name   string
		r      results.Result
		others []clockReading
		max    time.Duration
		fails  bool
		offset float64
		detail string
	}{
		{"in step", kdc(0.2), nil, DefaultMaxSkew, false, 0.2, "KDC"},
		{"over a minute", kdc(-75), nil, DefaultMaxSkew, false, -75, "KDC; warning: clock -1m15s, more than a minute off this machine's"},
		{"beyond 5m", kdc(301), nil, DefaultMaxSkew, true, 301, "KDC; clock +5m1s, beyond --max-skew 5m0s: Kerberos refuses logons"},
		{"--max-skew 10m", kdc(400), nil, 10 * time.Minute, false, 400, "KDC; warning: clock +6m40s, more than a minute off this machine's"},
		{"never", kdc(4000), nil, 0, false, 4000, "KDC; warning: clock +1h6m40s, more than a minute off this machine's"},
		{"NTP ahead, KDC in step", ntp(90), []clockReading{{"NTP", "123/udp", 123, 90}, {"the KDC", "88/udp", 88, 0.01}}, DefaultMaxSkew, false, 90,
			"NTP; warning: clock +1m30s, more than a minute off this machine's; NTP (123/udp) says +1m30s and the KDC (88/udp) +0.010s: the two clocks disagree"},
		{"the KDC's view", kdc(0.01), []clockReading{{"NTP", "123/udp", 123, 90}, {"the KDC", "88/udp", 88, 0.01}}, time.Minute, false, 0.01,
			"KDC; the KDC (88/udp) says +0.010s and NTP (123/udp) +1m30s: the two clocks disagree"},
		{"agree", ntp(1.5), []clockReading{{"the KDC", "464/udp", 464, 5}, {"the KDC", "88/udp", 88, 0.2}}, DefaultMaxSkew, false, 1.5, "NTP"},
	} {
		r := tc.r
		judgeClock(&r, tc.others, tc.max)
		if r.ClockOffset == nil || *r.ClockOffset != tc.offset {
			t.Errorf("%s: offset %v, want %v", tc.name, r.ClockOffset, tc.offset)
		}
		if results.Fails(&r) != tc.fails || tc.fails && results.Why(&r) != results.ReasonClockSkew {
			t.Errorf("%s: fails %v (%s), want %v", tc.name, results.Fails(&r), results.Why(&r), tc.fails)
		}
		if r.Detail != tc.detail {
			t.Errorf("%s: detail\n %q\nwant %q", tc.name, r.Detail, tc.detail)
		}
	}
	// No clock in the reply: nothing set.
	kiss := results.Result{Details: &probes.NTPDetail{KissCode: "RATE"}}
	nan := results.Result{Details: &probes.NTPDetail{ServerTime: now, OffsetSeconds: math.NaN()}}
	for _, r := range []results.Result{kiss, nan, {Details: &probes.KerberosDetail{}}, {Details: &probes.DNSDetail{}}, {}} {
		judgeClock(&r, nil, 0)
		if r.ClockOffset != nil || r.Outcome != nil {
			t.Errorf("%T: judged %+v", r.Details, r)
		}
	}
	// A Kerberos error over TCP (the confirmation of 88/tcp) reads the same.
	at := now
	svc := results.Result{Proto: results.TCP, Port: 88, Details: &probes.ServiceDetail{Kerberos: &probes.KerberosDetail{KDCTime: &at, ClockSkewSeconds: -2}}}
	if c, ok := readClock(&svc); !ok || c.source != "the KDC" || c.offset != -2 || c.port != "88/tcp" {
		t.Errorf("kerberos-tcp: %+v %v", c, ok)
	}
}

func TestClockPlanned(t *testing.T) {
	for _, tc := range []struct {
		ports []Port
		want  bool
	}{
		{[]Port{{Proto: results.UDP, Lo: 88}, {Proto: results.UDP, Lo: 123}}, true},
		{[]Port{{Proto: results.UDP, Lo: 464}, {Proto: results.UDP, Lo: 5000, Probe: "ntp"}}, true},
		{[]Port{{Proto: results.UDP, Lo: 1, Hi: 1024}}, true},
		{[]Port{{Proto: results.UDP, Lo: 88}, {Proto: results.TCP, Lo: 123}}, false},
		{[]Port{{Proto: results.UDP, Lo: 123}}, false},
		{[]Port{{Proto: results.UDP, Lo: 88}, {Proto: results.UDP, Lo: 123, Why: results.ReasonNegotiated}}, false},
	} {
		if got := clockPlanned(tc.ports); got != tc.want {
			t.Errorf("clockPlanned(%+v) = %v", tc.ports, got)
		}
	}
}

// krbError is a KRB-ERROR (RFC 4120 §5.9.1) with stime at, susec, error 6 and
// realm PROBE.INVALID, as a KDC answers the Kerberos probe.
func krbError(at time.Time) []byte {
	tlv := func(tag byte, b ...[]byte) []byte {
		body := slices.Concat(b...)
		return append([]byte{tag, byte(len(body))}, body...)
	}
	integer := func(v int) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(v))
		for len(b) > 1 && b[0] == 0 && b[1] < 0x80 {
			b = b[1:]
		}
		return tlv(0x02, b)
	}
	seq := tlv(0x30,
		tlv(0xa0, integer(5)), tlv(0xa1, integer(30)),
		tlv(0xa4, tlv(0x18, []byte(at.UTC().Format("20060102150405Z")))),
		tlv(0xa5, integer(at.Nanosecond()/1000)),
		tlv(0xa6, integer(6)),
		tlv(0xa9, tlv(0x1b, []byte("PROBE.INVALID"))))
	return tlv(0x7e, seq)
}

// A host whose KDC agrees with this machine and whose NTP server is 90s ahead:
// both results carry their offset and say the two disagree; --max-skew 1m
// fails the NTP one only.
func TestClockDisagreement(t *testing.T) {
	kdc := testnet.ServeLocalUDP(t, func([]byte) []byte { return krbError(time.Now()) })
	ntp := testnet.ServeLocalUDP(t, func(b []byte) []byte { return testnet.NTPReply(b, 90*time.Second) })
	check := &results.Check{Expect: results.ExpectOpen}
	ports := []Port{{Proto: results.UDP, Lo: kdc, Probe: "kerberos", Check: check}, {Proto: results.UDP, Lo: ntp, Probe: "ntp", Check: check}}
	for _, max := range []*time.Duration{nil, new(time.Minute)} {
		got := collect(t, &Scanner{Timeout: time.Second, MaxSkew: max}, context.Background(), loopback, ports...)
		k, n := got[key(results.UDP, kdc)], got[key(results.UDP, ntp)]
		if k.ClockOffset == nil || math.Abs(*k.ClockOffset) > 1.5 || n.ClockOffset == nil || math.Abs(*n.ClockOffset-90) > 1.5 {
			t.Fatalf("offsets %v %v", k.ClockOffset, n.ClockOffset)
		}
		for _, r := range []results.Result{k, n} {
			if !strings.Contains(r.Detail, ": the two clocks disagree") {
				t.Errorf("max %v, %d/udp: %q does not say the clocks disagree", max, r.Port, r.Detail)
			}
		}
		if results.Fails(&k) || results.Fails(&n) != (max != nil) {
			t.Errorf("max %v: kerberos fails %v, ntp fails %v (%s)", max, results.Fails(&k), results.Fails(&n), results.Why(&n))
		}
		if !strings.Contains(n.Detail, "NTP ("+results.PortName(results.UDP, ntp)+") says +1m30s and the KDC") {
			t.Errorf("ntp detail %q", n.Detail)
		}
	}
	// Without an NTP port planned, nothing is held and the KDC's reading stands alone.
	got := collect(t, &Scanner{Timeout: time.Second}, context.Background(), loopback, ports[0])
	if r := got[key(results.UDP, kdc)]; r.ClockOffset == nil || strings.Contains(r.Detail, "disagree") {
		t.Errorf("kerberos alone: %+v", r)
	}
}
