package scan

import (
	"testing"
	"time"
)

// TestLoopTimerDueNow: a timer set for the zero time (what freed sets, to
// retry the blocked tasks at once) fires although nothing else happens on the
// loop. The poller read a zero "until" as no bound, so the loop slept in
// epoll_wait(-1) with the timer due: forty exporter probes of one host, their
// tasks blocked for a place towards it, waited until their deadlines.
func TestLoopTimerDueNow(t *testing.T) {
	for name, p := range map[string]poller{"portable": newDialPoller(), "system": newPoller()} {
		t.Run(name, func(t *testing.T) {
			l := newLoop(p)
			defer l.stop()
			fired := make(chan struct{})
			l.post(func() { l.at(time.Time{}, timer{f: func() { close(fired) }}) })
			select {
			case <-fired:
			case <-time.After(10 * time.Second): // a hang, not a speed bound
				t.Fatal("a timer due at the zero time never fired")
			}
		})
	}
}
