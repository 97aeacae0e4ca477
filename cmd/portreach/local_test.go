package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/results"
)

// runL runs "portreach local" in-process.
func runL(args ...string) (int, string, string) {
	var stdout, stderr strings.Builder
	code := run(append([]string{"local"}, args...), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// localProfile writes a profile whose entries are the given TCP and UDP ports,
// each required open, and port closed required closed.
func localProfile(t *testing.T, open []string, closed string) string {
	var entries []string
	for _, pp := range open {
		port, proto, _ := strings.Cut(pp, "/")
		entries = append(entries, fmt.Sprintf(`{"proto": %q, "port": %s, "service": "svc %s", "purpose": "test", "expect": "open", "source": {"document": "go-live.md", "section": "row"}}`, proto, port, pp))
	}
	port, proto, _ := strings.Cut(closed, "/")
	entries = append(entries, fmt.Sprintf(`{"proto": %q, "port": %s, "service": "must not listen", "purpose": "test", "expect": "closed", "source": {"document": "hardening.md"}}`, proto, port))
	doc := `{"profiles": [{"slug": "local-test", "name": "Local test", "description": "Ports of portreach local's test.", "product": "portreach tests", "version": "1",
  "entries": [` + strings.Join(entries, ",\n") + `]}]}`
	p := filepath.Join(t.TempDir(), "local-profile.json")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Real listeners opened by the test: one on every address, one on loopback
// only, a UDP socket; a profile check says listening, loopback-only and
// not-listening, names this process, and exits 1 for the port that must be
// open but is not listening.
func TestLocalRealListeners(t *testing.T) {
	all, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	lo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lo.Close()
	udp, err := net.ListenUDP("udp", &net.UDPAddr{})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	allPort := fmt.Sprintf("%d/tcp", all.Addr().(*net.TCPAddr).Port)
	loPort := fmt.Sprintf("%d/tcp", lo.Addr().(*net.TCPAddr).Port)
	udpPort := fmt.Sprintf("%d/udp", udp.LocalAddr().(*net.UDPAddr).Port)
	none := fmt.Sprintf("%d/tcp", testnet.ClosedTCPPort(t))
	mustBeClosed := fmt.Sprintf("%d/tcp", testnet.ClosedTCPPort(t))

	profile := localProfile(t, []string{allPort, loPort, udpPort, none}, mustBeClosed)
	code, out, errOut := runL("--profile-file", profile, "--profile", "local-test", "-f", "jsonl")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	got := map[string]results.Result{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r results.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got[results.PortName(r.Proto, r.Port)] = r
	}
	me := fmt.Sprintf("pid %d", os.Getpid())
	for port, want := range map[string]struct {
		state  results.State
		reason results.Reason
		fails  bool
		detail string
	}{
		allPort:      {results.Open, results.ReasonListening, false, me + " (0.0.0.0)"},
		loPort:       {results.Closed, results.ReasonLoopbackOnly, true, me + " (127.0.0.1)"},
		udpPort:      {results.Open, results.ReasonListening, false, me},
		none:         {results.Closed, results.ReasonNotListening, true, ""},
		mustBeClosed: {results.Closed, results.ReasonNotListening, false, ""},
	} {
		r, ok := got[port]
		if !ok {
			t.Errorf("%s: no result in\n%s", port, out)
			continue
		}
		if r.State != want.state || r.Reason != want.reason || results.Fails(&r) != want.fails || !strings.Contains(r.Detail, want.detail) {
			t.Errorf("%s: %v %s fails=%v %q; want %v %s fails=%v detail with %q", port, r.State, r.Reason, results.Fails(&r), r.Detail,
				want.state, want.reason, want.fails, want.detail)
		}
	}
	if len(got) != 5 {
		t.Errorf("%d results, want 5:\n%s", len(got), out)
	}

	// The table, as the issue spells it: port, state, reason and the owner.
	_, table, _ := runL("--profile-file", profile, "--profile", "local-test", "-f", "table")
	if !regexp.MustCompile(`(?m)^\s+` + allPort + `\s+open\s+listening\s+-\s+ok: must be open\s+svc ` + allPort + ` \[local-test\]\s+\S+, ` + me).MatchString(table) {
		t.Errorf("table has no listening row for %s:\n%s", allPort, table)
	}

	// Without a profile: every socket, ours among them.
	code, out, _ = runL("-f", "csv")
	if code != exitOK || !strings.Contains(out, ","+strings.TrimSuffix(allPort, "/tcp")+",open,listening,") {
		t.Errorf("listing: exit %d, no row for %s:\n%s", code, allPort, out)
	}
}

func TestLocalUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"198.18.0.1"}, `portreach local: unexpected argument "198.18.0.1": local reads this machine's sockets (to test another host, use portreach scan)`},
		{[]string{"--profile", "no-such-profile"}, "portreach local: --profile: "},
		{[]string{"-f", "yaml"}, `unknown format "yaml"`},
		{[]string{"--timeout", "1s"}, "unknown flag --timeout"},
	} {
		code, _, errOut := runL(c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, exitUsage, c.err)
		}
	}
}
