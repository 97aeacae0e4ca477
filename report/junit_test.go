package report

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

func junitFixture() *results.Report {
	rep := fixtureReport()
	rep.Drift = results.Diff(fixtureReport(), rep, testDriftRules)
	rep.Drift.Changes = append(rep.Drift.Changes, results.Change{Kind: results.DriftState, Target: "mail01", Addr: rep.Results[0].Addr,
		Proto: results.TCP, Port: 443, Before: "open", After: "filtered", Regression: true})
	// Silence from a protocol that never answers the scanner.
	rep.Results = append(rep.Results, results.Result{Target: "mail01", Addr: rep.Results[0].Addr, Proto: results.UDP, Port: 138, State: results.OpenFiltered,
		Reason: results.ReasonNoReplyExpected, Probe: "netbios-dgm", Check: &results.Check{Profiles: []string{"ad-member"}, Service: "NetBIOS datagram", Expect: results.ExpectOpen}})
	// A probe that could not be sent.
	rep.Results = append(rep.Results, results.Result{Target: "mail01", Addr: rep.Results[0].Addr, Proto: results.UDP, Port: 88, State: results.Error,
		Reason: "probe-error", Detail: "probe kerberos: no such realm", Check: &results.Check{Profiles: []string{"ad-member"}, Service: "Kerberos", Expect: results.ExpectOpen}})
	// Text that XML must escape, and a control character it cannot carry.
	rep.Results = append(rep.Results, results.Result{Target: "mail01", Addr: rep.Results[0].Addr, Proto: results.TCP, Port: 8443, State: results.Closed,
		Reason: "conn-refused", Detail: "a <b> & \"c\" \x01", Check: &results.Check{Profiles: []string{"x&y"}, Service: "<Admin>", Expect: results.ExpectOpen}})
	return rep
}

func TestGoldenJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, junitFixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit.xml.golden", b.Bytes())
}

// TestJUnitWriterGolden: the streamed report, its results in another order,
// is WriteJUnit's byte for byte, with a host that has no test case too.
func TestJUnitWriterGolden(t *testing.T) {
	rep := junitFixture()
	var b bytes.Buffer
	j := NewJUnitWriter(&b)
	for _, r := range slices.Backward(rep.Results) {
		if err := j.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(&results.Report{Started: rep.Started, Finished: rep.Finished, Drift: rep.Drift}); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit.xml.golden", b.Bytes())
}

// xmllint (Debian package libxml2-utils) validates the output against the
// JUnit schema in testdata/junit.xsd; required under CI=true.
func TestJUnitValidatesAgainstXSD(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint not found: install libxml2-utils (.ci/packages.txt)")
		}
		t.Skip("xmllint not installed (Debian package libxml2-utils)")
	}
	dir := t.TempDir()
	for i, rep := range []*results.Report{junitFixture(), {}, {Results: []results.Result{{}}}} {
		var b bytes.Buffer
		if err := WriteJUnit(&b, rep); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, "report"+strconv.Itoa(i)+".xml")
		if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", filepath.Join("testdata", "junit.xsd"), f).CombinedOutput()
		if err != nil {
			t.Errorf("xmllint --schema: %v\n%s\n--- document ---\n%s", err, out, b.Bytes())
		}
	}
	// The schema is not a rubber stamp: it refuses what readers refuse.
	for _, bad := range []string{
		`<testsuites><testsuite name="h" tests="1" failures="0"/></testsuites>`,                                  // errors missing
		`<testsuites><testsuite name="h" tests="-1" failures="0" errors="0"/></testsuites>`,                      // negative count
		`<testsuites><testsuite name="h" tests="1" failures="0" errors="0"><testcase/></testsuite></testsuites>`, // case without name
		`<testsuites><testsuite name="h" tests="1" failures="0" errors="0" time="1e3"/></testsuites>`,            // exponent time
		`<testsuites><testcase name="x"/></testsuites>`,                                                          // case outside a suite
	} {
		f := filepath.Join(dir, "bad.xml")
		if err := os.WriteFile(f, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", filepath.Join("testdata", "junit.xsd"), f).CombinedOutput(); err == nil {
			t.Errorf("the schema accepts %s\n%s", bad, out)
		}
	}
}

// strict mirrors of the JUnit elements: any attribute or element the schema
// does not have lands in Extra and fails the test.
type (
	xSuites struct {
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Time     string     `xml:"time,attr"`
		Name     string     `xml:"name,attr"`
		Suites   []xSuite   `xml:"testsuite"`
		Extra    []xml.Attr `xml:",any,attr"`
		ExtraEl  []xAny     `xml:",any"`
	}
	xSuite struct {
		Name, Timestamp, Time            string
		Tests, Failures, Errors, Skipped int
		Props                            []xml.Attr
		Cases                            []xCase
		Out                              string
		Extra                            []xml.Attr
		ExtraEl                          []xAny
	}
	xCase struct {
		Name      string     `xml:"name,attr"`
		Classname string     `xml:"classname,attr"`
		Time      string     `xml:"time,attr"`
		Failure   []xMsg     `xml:"failure"`
		Error     []xMsg     `xml:"error"`
		Skipped   []xMsg     `xml:"skipped"`
		Out       string     `xml:"system-out"`
		Extra     []xml.Attr `xml:",any,attr"`
		ExtraEl   []xAny     `xml:",any"`
	}
	xMsg struct {
		Message string     `xml:"message,attr"`
		Type    string     `xml:"type,attr"`
		Text    string     `xml:",chardata"`
		Extra   []xml.Attr `xml:",any,attr"`
	}
	xAny struct {
		XMLName xml.Name
	}
)

// xSuite decodes by hand: encoding/xml cannot give one struct field three
// attribute names, and the strictness needs every attribute accounted for.
func (s *xSuite) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for _, a := range start.Attr {
		var err error
		switch a.Name.Local {
		case "name":
			s.Name = a.Value
		case "timestamp":
			s.Timestamp = a.Value
		case "time":
			s.Time = a.Value
		case "tests":
			s.Tests, err = strconv.Atoi(a.Value)
		case "failures":
			s.Failures, err = strconv.Atoi(a.Value)
		case "errors":
			s.Errors, err = strconv.Atoi(a.Value)
		case "skipped":
			s.Skipped, err = strconv.Atoi(a.Value)
		default:
			s.Extra = append(s.Extra, a)
		}
		if err != nil {
			return err
		}
	}
	var body struct {
		Props []xml.Attr `xml:"-"`
		Prop  []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases   []xCase `xml:"testcase"`
		Out     string  `xml:"system-out"`
		ExtraEl []xAny  `xml:",any"`
	}
	if err := d.DecodeElement(&body, &start); err != nil {
		return err
	}
	for _, p := range body.Prop {
		s.Props = append(s.Props, xml.Attr{Name: xml.Name{Local: p.Name}, Value: p.Value})
	}
	s.Cases, s.Out, s.ExtraEl = body.Cases, body.Out, body.ExtraEl
	return nil
}

func TestJUnitContent(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, junitFixture()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Error("no XML declaration")
	}
	var doc xSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed: %v", err)
	}
	if len(doc.Extra) > 0 || len(doc.ExtraEl) > 0 {
		t.Errorf("testsuites has unexpected attributes or elements: %v %v", doc.Extra, doc.ExtraEl)
	}
	if doc.Time != "5.25" {
		t.Errorf("run time %q, want 5.25", doc.Time)
	}
	cases := map[string]xCase{}
	var tests, failures, errs int
	var names []string
	for _, s := range doc.Suites {
		names = append(names, s.Name)
		if len(s.Extra) > 0 || len(s.ExtraEl) > 0 {
			t.Errorf("suite %s: unexpected %v %v", s.Name, s.Extra, s.ExtraEl)
		}
		if s.Timestamp != "2026-11-23T17:00:00Z" {
			t.Errorf("suite %s: timestamp %q, want UTC 2026-11-23T17:00:00Z", s.Name, s.Timestamp)
		}
		var f, e, sk int
		for _, c := range s.Cases {
			if len(c.Extra) > 0 || len(c.ExtraEl) > 0 {
				t.Errorf("case %s: unexpected %v %v", c.Name, c.Extra, c.ExtraEl)
			}
			if n := len(c.Failure) + len(c.Error) + len(c.Skipped); n > 1 {
				t.Errorf("case %s has %d outcomes", c.Name, n)
			}
			f, e, sk = f+len(c.Failure), e+len(c.Error), sk+len(c.Skipped)
			cases[s.Name+" | "+c.Name] = c
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("suite %s counts tests=%d failures=%d errors=%d skipped=%d, cases say %d %d %d %d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
		tests, failures, errs = tests+s.Tests, failures+s.Failures, errs+s.Errors
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errs {
		t.Errorf("totals %d/%d/%d, suites say %d/%d/%d", doc.Tests, doc.Failures, doc.Errors, tests, failures, errs)
	}
	if want := "nosuch.invalid,198.18.1.2 (mail01),198.18.1.10 (dc01.lab.example),198.18.1.53 (lab.example),2001:db8::10"; strings.Join(names, ",") != want {
		t.Errorf("suites %q, want %q", strings.Join(names, ","), want)
	}
	// Failures and errors together are exactly the results that fail, and
	// the targets that failed.
	n := len(results.Failed(junitFixture().Results))
	for _, r := range junitFixture().Results {
		if r.State == results.Error && !results.Checked(&r) {
			n++
		}
	}
	if failures+errs != n {
		t.Errorf("%d failures and errors, want %d", failures+errs, n)
	}
	rdp := cases["198.18.1.2 (mail01) | 3389/tcp RDP"]
	if len(rdp.Failure) != 1 {
		t.Fatalf("3389/tcp is not a failure: %+v", rdp)
	}
	if got := rdp.Failure[0]; got.Message != "3389/tcp is open (syn-ack): must be closed" || got.Type != "expect-closed" {
		t.Errorf("failure %q type %q", got.Message, got.Type)
	}
	for _, want := range []string{"purpose: remote desktop must not face clients", "source: site-policy.md", "state: open", "reason: syn-ack", "time: 2026-11-23T17:00:01Z"} {
		if !strings.Contains(rdp.Failure[0].Text, want) {
			t.Errorf("3389/tcp failure text lacks %q:\n%s", want, rdp.Failure[0].Text)
		}
	}
	if c := cases["198.18.1.2 (mail01) | 3389/tcp RDP"]; c.Classname != "hardening" {
		t.Errorf("classname %q, want the profile", c.Classname)
	}
	if c := cases["198.18.1.2 (mail01) | 88/tcp Kerberos"]; len(c.Error) != 1 || c.Error[0].Type != "unfinished" {
		t.Errorf("unfinished port is not an error: %+v", c)
	}
	if c := cases["198.18.1.2 (mail01) | gre PPTP tunnel"]; len(c.Skipped) != 1 || c.Skipped[0].Message != "not-tested: ip-protocol" {
		t.Errorf("IP protocol is not skipped: %+v", c)
	}
	if c := cases["198.18.1.2 (mail01) | 389/tcp LDAP (role dc)"]; len(c.Skipped) != 1 || c.Skipped[0].Type != "skipped" {
		t.Errorf("unmapped role is not skipped: %+v", c)
	}
	if c := cases["198.18.1.2 (mail01) | 138/udp NetBIOS datagram"]; len(c.Skipped) != 1 || c.Skipped[0].Message != "open|filtered: "+string(results.ReasonNoReplyExpected) {
		t.Errorf("unverifiable silence is not skipped: %+v", c)
	}
	if c := cases["198.18.1.2 (mail01) | 88/udp Kerberos"]; len(c.Error) != 1 || c.Error[0].Message != "88/udp could not be tested: probe-error" {
		t.Errorf("port error: %+v", c)
	}
	if c := cases["nosuch.invalid | nosuch.invalid"]; len(c.Error) != 1 || c.Error[0].Message != "target failed: no-such-host" {
		t.Errorf("failed target is not an error: %+v", c)
	}
	if c, ok := cases["198.18.1.2 (mail01) | 25/tcp SMTP"]; !ok || len(c.Failure)+len(c.Error)+len(c.Skipped) != 0 || c.Time != "0.000412" {
		t.Errorf("passing check: %+v (present %v)", c, ok)
	}
	if _, ok := cases["198.18.1.2 (mail01) | 445/tcp SMB"]; ok {
		t.Error("an optional entry became a test case")
	}
	if c := cases["198.18.1.2 (mail01) | 8443/tcp <Admin>"]; c.Classname != "x&y" || !strings.Contains(c.Failure[0].Text, "a <b> & \"c\" \\x01") {
		t.Errorf("escaping: %+v", c)
	}
	for _, s := range doc.Suites {
		if s.Name == "198.18.1.2 (mail01)" && !strings.Contains(s.Out, "443/tcp open → filtered (regression)") {
			t.Errorf("drift missing from the host's system-out: %q", s.Out)
		}
	}
}

// A check whose port is open but whose service failed it (a producer's Fail)
// says both: the state that met the expectation and why the check failed.
func TestJUnitProducerFailure(t *testing.T) {
	r := results.Result{Target: "mail01", Proto: results.TCP, Port: 993, State: results.Open, Reason: results.ReasonSynAck,
		Check: &results.Check{Profiles: []string{"exchange"}, Service: "IMAP4 over TLS", Expect: results.ExpectOpen}}
	r.Fail(results.ReasonCertExpired)
	var b bytes.Buffer
	if err := WriteJUnit(&b, &results.Report{Results: []results.Result{r}}); err != nil {
		t.Fatal(err)
	}
	want := "993/tcp is open (syn-ack), but cert-expired: " + results.ReasonCertExpired.Meaning()
	if !strings.Contains(b.String(), xmlEscape(want)) {
		t.Errorf("no %q in\n%s", want, b.String())
	}
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
