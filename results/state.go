// Package results owns the vocabulary of what a scan reports: the state of a
// port and the reason for it (Reason), the profile entry it answers (Check)
// and what became of it (Outcome, Judge), per-host and per-run verdicts
// (Host, Verdict, Report), and the drift from a baseline (Diff). Every output
// format renders these values; the formats themselves are package report's.
package results

import "fmt"

// State is the verdict for one port. Every output format renders it through
// MarshalText, so a state reads the same in a table, a JSON document and a CSV row.
type State uint8

// The states. The zero value is Unknown: a port that was planned but never finished
// (the run was interrupted or hit --max-time), or revealed past the scan's limit on
// ports (results.ReasonPortLimit) and never tested.
const (
	Unknown      State = iota // planned, never finished
	Open                      // the service answered (SYN-ACK, or a UDP reply the probe accepted)
	Closed                    // the host said nobody listens (RST, ICMP port unreachable)
	Filtered                  // something in the path dropped or refused the probe
	OpenFiltered              // UDP silence: open and silent, or dropped; UDP cannot tell which
	NotTested                 // cannot be tested from here (IP protocols such as GRE, ESP, AH)
	Skipped                   // deliberately not tested (unmapped destination role)
	Error                     // the target itself failed (name did not resolve, no route for its family)
)

var stateNames = [...]string{
	Unknown:      "unknown",
	Open:         "open",
	Closed:       "closed",
	Filtered:     "filtered",
	OpenFiltered: "open|filtered",
	NotTested:    "not-tested",
	Skipped:      "skipped",
	Error:        "error",
}

// States lists every state, in the order tables sort them.
var States = []State{Open, Closed, Filtered, OpenFiltered, NotTested, Skipped, Error, Unknown}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// MarshalText renders the state's name.
func (s State) MarshalText() ([]byte, error) {
	if int(s) >= len(stateNames) {
		return nil, fmt.Errorf("results: invalid state %d", uint8(s))
	}
	return []byte(stateNames[s]), nil
}

// UnmarshalText parses a state's name; an unknown name is an error, never a guess.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseState parses a state's name.
func ParseState(name string) (State, error) {
	for i, n := range stateNames {
		if n == name {
			return State(i), nil
		}
	}
	return Unknown, fmt.Errorf("results: unknown state %q", name)
}
