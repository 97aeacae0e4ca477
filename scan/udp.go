package scan

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// udpFloor is the least time a UDP probe waits for an answer: a service's reply
// comes from user space and may lag well behind the kernel's RSTs that set the
// host's round-trip estimate.
const udpFloor = 300 * time.Millisecond

// udpSocket is the per-OS part of a UDP exchange.
type udpSocket interface {
	// send sends one datagram; a pending ICMP error, classified, may come back
	// instead.
	send(b []byte) (*verdict, error)
	// recv waits until deadline for a datagram or an ICMP error (classified by
	// classifyICMP where the system tells its type and code); a timeout is
	// returned as an error that classifyDatagram calls no-response.
	recv(buf []byte, deadline time.Time) (n int, from netip.AddrPort, icmp *verdict, err error)
	// interrupt makes a blocked recv return at once.
	interrupt()
	close() error
}

// udpJob is one UDP port's exchange: its probe, its query (kept across attempts so
// that a late answer to an early attempt still counts) and what it has learned.
type udpJob struct {
	port   uint16
	plan   Port          // the plan entry the port comes from
	probe  *probes.Probe // nil: no probe knows this port
	query  probes.Query
	sock   udpSocket
	result results.Result
	done   bool
	full   bool // the next attempts wait the configured timeout, not the host's adaptive one
}

func (j *udpJob) closeSock() {
	if j.sock != nil {
		j.sock.close()
		j.sock = nil
	}
}

func (r *run) newUDPJob(h *host, p Port, port uint16) (*udpJob, error) {
	j := &udpJob{port: port, plan: p}
	j.result = results.Result{Proto: results.UDP, Port: port}
	var err error
	if j.probe, err = p.udpProbeFor(port); err != nil {
		return nil, err
	}
	if j.probe != nil {
		q, err := j.probe.New(rand.Reader, r.opts)
		if err != nil {
			return nil, fmt.Errorf("probe %s: %w", j.probe.Name, err)
		}
		j.query = q
		j.result.Probe = j.probe.Name
	}
	return j, nil
}

func (j *udpJob) packets() [][]byte {
	if j.query == nil {
		// No protocol is known for this port. An empty datagram cannot prove the
		// port open, but it still draws an ICMP port unreachable from a closed one.
		return [][]byte{{}}
	}
	return j.query.Packets()
}

func (j *udpJob) anySource() bool { return j.probe != nil && (j.probe.AnySource || j.probe.AnyAddress) }

func (j *udpJob) anyAddress() bool { return j.probe != nil && j.probe.AnyAddress }

func (j *udpJob) wait(h *host) time.Duration {
	w := max(h.est.timeout(), udpFloor)
	if j.full {
		w = max(w, h.est.ceiling)
	}
	if j.probe != nil && j.probe.MinWait > w {
		w = j.probe.MinWait
	}
	return w
}

// attempt sends the job's datagrams once and listens for an answer for one window.
// It returns true when the port is decided.
func (r *run) udpAttempt(ctx context.Context, h *host, j *udpJob) bool {
	target := netip.AddrPortFrom(h.addr, j.port)
	if j.sock == nil {
		sock, err := r.openUDP(ctx, target, j.anySource())
		if err != nil {
			if stopped(ctx) {
				return false // reported unknown with the other unfinished ports
			}
			v := classifyOpen(err)
			j.result.State, j.result.Reason, j.result.Detail = v.state, v.reason, v.detail(h.addr)
			j.done = true
			return true
		}
		j.sock = sock
	}
	if r.pace.wait(ctx) != nil {
		return false
	}
	start := time.Now()
	h.noteUDPSend(start)
	j.result.Attempts++
	for _, b := range j.packets() {
		// An ICMP error for an earlier datagram can surface on a later send.
		if icmp, err := j.sock.send(b); err != nil || icmp != nil {
			if r.udpError(h, j, err, icmp, time.Since(start)) {
				return true
			}
		}
	}
	deadline := start.Add(j.wait(h))
	buf := r.bufs.Get().(*[]byte)
	defer r.bufs.Put(buf)
	// Cancelling a blocked read: move its deadline to now.
	defer context.AfterFunc(ctx, j.sock.interrupt)()
	var fromNote string // where the first matching reply came from, if unexpected
	for {
		if stopped(ctx) {
			return j.done
		}
		n, from, icmp, err := j.sock.recv(*buf, earliest(ctx, deadline))
		if stopped(ctx) {
			return j.done
		}
		rtt := time.Since(start)
		if j.done && (err != nil || icmp != nil) {
			return true // collecting the rest of an answered exchange: window over
		}
		if err != nil || icmp != nil {
			// An error that decides nothing (a timeout) ends the window:
			// silent so far.
			return r.udpError(h, j, err, icmp, rtt)
		}
		if !j.anySource() && from != target || !j.anyAddress() && from.Addr() != h.addr {
			continue // someone else's datagram
		}
		if j.query == nil {
			j.result.State, j.result.Reason, j.result.RTT = results.Open, results.ReasonUDPResponse, rtt
			j.result.Detail = fmt.Sprintf("%d-byte reply (no probe knows this port)", n)
			h.est.observe(rtt)
			j.done = true
			return true
		}
		d, err := j.query.Match((*buf)[:n])
		if errors.Is(err, probes.ErrNotMine) || err != nil {
			continue // stale, foreign or garbled: never evidence of an open port
		}
		if !j.done {
			j.result.State, j.result.Reason, j.result.RTT = results.Open, results.ReasonUDPResponse, rtt
			h.est.observe(rtt)
			if from.Addr() != h.addr || (j.anySource() && from.Port() != j.port) {
				fromNote = fmt.Sprintf(" (reply from %s)", from)
			}
		}
		j.result.Details = d
		j.result.Detail = d.Summary() + fromNote
		j.done = true
		// DNS, SNMP and SSDP draw several replies whose details merge: keep
		// reading until the exchange is complete or the window ends.
		if c, ok := j.query.(probes.Completer); ok && !c.Complete() {
			// The rest usually follows within a round trip; a half that never
			// comes (SNMP v2c with a wrong community) must not cost the whole
			// window, unless the protocol itself takes time (SSDP's MX delay).
			if j.probe.MinWait == 0 {
				if soon := time.Now().Add(max(4*rtt, 250*time.Millisecond)); soon.Before(deadline) {
					deadline = soon
				}
			}
			continue
		}
		return true
	}
}

// udpError decides a job from an ICMP error (icmp, classified where the socket
// tells its type and code) or else from the bare errno err. It returns false
// for errors that decide nothing.
func (r *run) udpError(h *host, j *udpJob, err error, icmp *verdict, rtt time.Duration) bool {
	var v verdict
	switch {
	case icmp != nil:
		v = *icmp
	case err != nil:
		v = classifyDatagram(err)
	}
	if !v.final {
		return false
	}
	j.result.State, j.result.Reason, j.result.Detail = v.state, v.reason, v.detail(h.addr)
	j.done = true
	if v.reason == results.ReasonLocalError {
		return true // this machine's failure: nothing learnt about the path
	}
	h.icmpSeen.Store(true)
	j.result.RTT = rtt
	if v.state == results.Closed {
		h.est.observe(rtt)
	}
	return true
}

// lastChance reports whether a job still silent deserves one more attempt with
// the configured timeout before it is called open|filtered: its probe expects an
// answer, and its windows so far were the shorter ones the host's quick answers
// taught. A service takes longer to answer than the network takes to carry the
// answer (a busy DC's CLDAP or Kerberos, a SQL Browser, SNMP on a loaded switch),
// and a required port's silence fails its check, so the host's network round trip
// must not be what decides it. TCP does the same before it says filtered.
func (j *udpJob) lastChance(h *host) bool {
	return !j.done && !j.full && j.probe != nil && !j.probe.Mute && j.wait(h) < h.est.ceiling
}

func (j *udpJob) finishSilent() {
	j.result.State, j.result.Reason = results.OpenFiltered, results.ReasonNoResponse
	if j.probe != nil && j.probe.Mute {
		j.result.Reason = results.ReasonNoReplyExpected
	}
	switch {
	case j.probe == nil:
		j.result.Detail = "no probe for this port: an empty datagram cannot prove it open"
	case j.probe.Silence != "":
		j.result.Detail = j.probe.Silence
	}
}

func earliest(ctx context.Context, t time.Time) time.Time {
	if d, ok := ctx.Deadline(); ok && d.Before(t) {
		return d
	}
	return t
}

func udpNetwork(target netip.AddrPort) string {
	if target.Addr().Is6() {
		return "udp6"
	}
	return "udp4"
}

// waitOut runs open until it succeeds or fails for a reason other than a local
// shortage (descriptors, ports, buffers), which it waits out with backoff: a
// shortage here is never a port's verdict.
func (r *run) waitOut(ctx context.Context, open func() error) error {
	backoff := 5 * time.Millisecond
	for {
		err := open()
		if err == nil || !transient(err) {
			return err
		}
		if sleepUntil(ctx, time.Now().Add(backoff)) != nil {
			return ctx.Err()
		}
		backoff = min(backoff*2, time.Second)
	}
}
