package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portreach/portreach/results"
)

// JUnit XML, as CI servers read it (Jenkins, GitLab, Azure DevOps): a go-live
// check shown as a test report. There is no formal standard; the structure
// follows the schema Jenkins' xunit plugin validates against (junit-10.xsd),
// which the other readers accept too. report/testdata/junit.xsd states its
// constraints and the tests validate the output against it.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes rep as JUnit XML: one test suite per host (in results.Sort order),
// one test case per checked entry of that host (an expectation of open or
// closed, see results.Checked), and one for a target that failed (did not resolve).
// Optional entries and ad-hoc ports check nothing and are left out.
//
//   - A check that fails is a <failure> whose message says what was expected
//     and what was found ("443/tcp is filtered (no-response): must be open")
//     and whose text gives the purpose, role, source documents, state, reason
//     and probe detail;
//   - a port the run never finished (state unknown) and a target that failed
//     are <error>s: the test could not run, rather than ran and failed;
//   - checks that cannot be verified from here (see results.Unverifiable: not-tested,
//     skipped, and silence from a protocol that never answers) are <skipped>,
//     with the state and reason.
//
// Test case names are "PORT/PROTO SERVICE" (and what revealed a follow-up);
// the class name is the profiles' slugs, so that CI servers group entries by
// profile. Times are the answer's round-trip time in seconds, timestamps
// RFC 3339 in UTC. With drift, each host's changes go to its <system-out>.
func WriteJUnit(w io.Writer, rep *results.Report) error {
	rs := results.Sorted(rep.Results)
	return writeJUnit(w, rep, results.Summarize(rs), rs)
}

// JUnitWriter builds the JUnit XML report WriteJUnit writes from results
// written one at a time: it keeps one summary per host and only the results
// that become test cases (checked entries and errors), so a sweep of ad-hoc
// ports costs no memory per port. Close renders. A JUnitWriter is safe for
// concurrent use.
type JUnitWriter struct {
	mu    sync.Mutex
	w     io.Writer
	hosts map[hostKey]*results.Host
	cases []results.Result
}

// NewJUnitWriter returns a writer that renders to w on Close.
func NewJUnitWriter(w io.Writer) *JUnitWriter {
	return &JUnitWriter{w: w, hosts: map[hostKey]*results.Host{}}
}

// Write counts r in its host's summary and keeps it if it is a test case.
func (j *JUnitWriter) Write(r results.Result) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	summarize(j.hosts, &r)
	if junitCaseOf(&r) {
		j.cases = append(j.cases, r)
	}
	return nil
}

// Close writes the report of the results written, with rep's Started,
// Finished and Drift (its Results are not read).
func (j *JUnitWriter) Close(rep *results.Report) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	results.Sort(j.cases)
	return writeJUnit(j.w, rep, sortedHosts(j.hosts), j.cases)
}

// junitCaseOf reports whether r is a test case: a checked entry or an error.
func junitCaseOf(r *results.Result) bool { return results.Checked(r) || r.State == results.Error }

// writeJUnit writes the report of hosts (in results.Sort order) from rs, their
// results in results.Sort order: all of them, or at least every test case.
func writeJUnit(w io.Writer, rep *results.Report, hosts []results.Host, rs []results.Result) error {
	doc := junitSuites{Name: "portreach", Time: seconds(rep.Finished.Sub(rep.Started))}
	stamp := rep.Started.UTC().Format(time.RFC3339)
	i := 0
	for _, h := range hosts {
		hrs := hostResults(rs[i:], &h)
		i += len(hrs)
		s := junitSuite{Name: printable(h.Name()), Time: "0", Timestamp: stamp}
		s.Properties = append(s.Properties, junitProperty{"target", printable(h.Target)})
		if h.Addr.IsValid() {
			s.Properties = append(s.Properties, junitProperty{"address", h.Addr.String()})
		}
		if h.Source.IsValid() {
			s.Properties = append(s.Properties, junitProperty{"source_address", h.Source.String()})
		}
		if len(h.Records) > 0 {
			s.Properties = append(s.Properties, junitProperty{"records", printable(strings.Join(h.Records, ", "))})
		}
		var total time.Duration
		for j := range hrs {
			r := &hrs[j]
			if !junitCaseOf(r) {
				continue
			}
			c := junitCase{Name: printable(caseName(r)), Classname: "ports", Time: seconds(r.RTT)}
			if r.Check != nil && len(r.Check.Profiles) > 0 {
				c.Classname = printable(strings.Join(r.Check.Profiles, ","))
			}
			total += r.RTT
			switch {
			case r.State == results.Error:
				msg := fmt.Sprintf("%s could not be tested: %s", results.PortName(r.Proto, r.Port), r.Reason)
				if r.Proto == "" && r.Port == 0 {
					msg = "target failed: " + string(r.Reason)
				}
				c.Error = &junitMessage{Message: msg, Type: string(r.Reason), Text: caseText(r)}
				s.Errors++
			case r.State == results.Unknown && results.Fails(r):
				c.Error = &junitMessage{Message: fmt.Sprintf("%s did not finish (%s)", results.PortName(r.Proto, r.Port), r.Reason), Type: "unfinished", Text: caseText(r)}
				s.Errors++
			case results.Fails(r):
				msg := fmt.Sprintf("%s is %s (%s): must be %s", results.PortName(r.Proto, r.Port), r.State, r.Reason, r.Check.Expect)
				if why := results.Judge(r).Why; why == results.ReasonPassedFirewall {
					msg += ": " + string(why)
				} else if why != r.Reason {
					// The state met the expectation, but the service behind it did
					// not (wrong-service, cert-expired, not-registered …).
					msg = fmt.Sprintf("%s is %s (%s), but %s: %s", results.PortName(r.Proto, r.Port), r.State, r.Reason, why, why.Meaning())
				}
				c.Failure = &junitMessage{
					Message: msg,
					Type:    "expect-" + string(r.Check.Expect),
					Text:    caseText(r),
				}
				s.Failures++
			case results.Judge(r).Status == results.StatusUndetermined:
				c.Skipped = &junitMessage{
					Message: fmt.Sprintf("%s: %s: undetermined, %s", r.State, r.Reason, undeterminedWhy(r.Check.Expect)),
					Type:    string(results.StatusUndetermined),
					Text:    caseText(r),
				}
				s.Skipped++
			case results.Unverifiable(r):
				c.Skipped = &junitMessage{Message: fmt.Sprintf("%s: %s", r.State, r.Reason), Type: r.State.String(), Text: caseText(r)}
				s.Skipped++
			default:
				c.SystemOut = caseText(r)
			}
			for _, m := range []*junitMessage{c.Failure, c.Error, c.Skipped} {
				if m != nil {
					m.Message, m.Type = printable(m.Message), printable(m.Type)
				}
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		s.Time = seconds(total)
		if rep.Drift != nil {
			var lines []string
			for k := range rep.Drift.Changes {
				ch := &rep.Drift.Changes[k]
				if ch.Key() == h.Key() {
					line := strings.TrimSpace(ch.Where() + " " + ch.Text())
					if ch.Regression {
						line += " (regression)"
					}
					lines = append(lines, printable(line))
				}
			}
			if len(lines) > 0 {
				s.SystemOut = "changes since the baseline:\n" + strings.Join(lines, "\n") + "\n"
			}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// caseName is "443/tcp HTTPS", "49733/tcp instance SQLEXPRESS", or the target
// for a target that failed.
func caseName(r *results.Result) string {
	if r.State == results.Error && r.Port == 0 && r.Proto == "" {
		return r.Target
	}
	parts := []string{results.PortName(r.Proto, r.Port)}
	if r.Under != "" {
		parts = append(parts, r.Under)
	}
	if r.Check != nil && r.Check.Service != "" {
		parts = append(parts, r.Check.Service)
	}
	if r.Check != nil && r.Check.Role != "" {
		parts = append(parts, "(role "+r.Check.Role+")")
	}
	return strings.Join(parts, " ")
}

// caseText is the body of a failure or skip: why the port matters, who says
// so, and what was found.
func caseText(r *results.Result) string {
	var lines []string
	if r.Check != nil {
		lines = append(lines, checkNotes(r.Check)...)
		if r.Check.Expect != results.ExpectNone {
			lines = append(lines, "expected: "+string(r.Check.Expect))
		}
	}
	lines = append(lines, "state: "+r.State.String(), "reason: "+string(r.Reason))
	if r.Probe != "" || r.Detail != "" {
		lines = append(lines, "detail: "+strings.TrimSpace(r.Probe+" "+r.Detail))
	}
	if r.ClockOffset != nil {
		lines = append(lines, "clock offset: "+strconv.FormatFloat(*r.ClockOffset, 'f', -1, 64)+" s")
	}
	if !r.Time.IsZero() {
		lines = append(lines, "time: "+r.Time.UTC().Format(time.RFC3339Nano))
	}
	for i := range lines {
		lines[i] = printable(lines[i])
	}
	return strings.Join(lines, "\n") + "\n"
}

// seconds renders a duration as JUnit's time attribute: decimal seconds,
// never negative, never an exponent.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(max(0, d.Seconds()), 'f', -1, 64)
}

// undeterminedWhy says why a silent UDP port decides nothing under a firewall
// expectation: under reachable a firewall that drops looks like a service not
// installed yet; under blocked, like a service that ignores the probe.
func undeterminedWhy(e results.Expectation) string {
	if e == results.ExpectBlocked {
		return "a silent UDP port cannot tell a firewall that drops from a service that ignores the probe"
	}
	return "a silent UDP port cannot tell a firewall from a service not installed yet"
}
