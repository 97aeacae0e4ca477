//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/results"
)

func dnsRefused(req []byte) []byte {
	var m dnsmessage.Message
	if m.Unpack(req) != nil {
		return nil
	}
	m.Header.Response, m.Header.RCode = true, dnsmessage.RCodeRefused
	b, _ := m.Pack()
	return b
}

// TestScanFormats is issue 2's acceptance run: -p T:22,80,443,U:53 against a
// test host gives the right verdict, reason and RTT in all four formats.
func TestScanFormats(t *testing.T) {
	h := testnet.NewHost(t)
	testnet.ServeTCP(t, h, 22)
	testnet.ServeTCP(t, h, 80)
	testnet.ServeUDP(t, h, 53, dnsRefused)
	addr := h.Addr.String()
	want := map[string][2]string{ // port/proto -> state, reason
		"22/tcp": {"open", "syn-ack"}, "80/tcp": {"open", "syn-ack"},
		"443/tcp": {"closed", "conn-refused"}, "53/udp": {"open", "udp-response"},
	}
	check := func(format, key, state, reason, rtt string) {
		t.Helper()
		w, ok := want[key]
		if !ok {
			t.Errorf("%s: unexpected row %s", format, key)
			return
		}
		if state != w[0] || reason != w[1] || rtt == "" || rtt == "0" {
			t.Errorf("%s: %s = %s %s rtt %q, want %s %s with an RTT", format, key, state, reason, rtt, w[0], w[1])
		}
	}
	scan := func(format string) string {
		code, out, errOut := runBin(t, "scan", "-p", "T:22,80,443,U:53", "-f", format, addr)
		if code != exitOK {
			t.Fatalf("-f %s: exit %d\n%s", format, code, errOut)
		}
		return out
	}

	rep := decodeReport(t, scan("json"))
	if len(rep.Results) != 4 {
		t.Errorf("json: %d results", len(rep.Results))
	}
	// Every format says which local address the host was scanned from: this
	// machine's end of the link, the address the host's firewall sees.
	from := h.Peer.String()
	for _, r := range rep.Results {
		if r.Source != h.Peer {
			t.Errorf("json: %d/%s scanned from %v, want %s", r.Port, r.Proto, r.Source, from)
		}
		check("json", results.PortName(r.Proto, r.Port), r.State.String(), string(r.Reason), r.RTT.String())
		if r.Port == 53 && !strings.Contains(r.Detail, "REFUSED") {
			t.Errorf("json: DNS detail %q", r.Detail)
		}
	}

	sc := bufio.NewScanner(strings.NewReader(scan("jsonl")))
	n := 0
	for sc.Scan() {
		var r results.Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("jsonl line %q: %v", sc.Text(), err)
		}
		check("jsonl", results.PortName(r.Proto, r.Port), r.State.String(), string(r.Reason), r.RTT.String())
		if r.Source != h.Peer {
			t.Errorf("jsonl: scanned from %v, want %s", r.Source, from)
		}
		n++
	}
	if n != 4 {
		t.Errorf("jsonl: %d lines", n)
	}

	rows, err := csv.NewReader(strings.NewReader(scan("csv"))).ReadAll()
	if err != nil || len(rows) != 5 {
		t.Fatalf("csv: %v, %d rows", err, len(rows))
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, row := range rows[1:] {
		check("csv", row[col["port"]]+"/"+row[col["proto"]], row[col["state"]], row[col["reason"]], row[col["rtt_ms"]])
		if row[col["source_address"]] != from {
			t.Errorf("csv: source_address %q, want %s", row[col["source_address"]], from)
		}
	}

	table := scan("table")
	if !strings.Contains(table, addr+"  from "+from) {
		t.Errorf("table: no host line %q:\n%s", addr+"  from "+from, table)
	}
	for _, f := range []string{"junit", "prometheus"} {
		if out := scan(f); !strings.Contains(out, from) {
			t.Errorf("%s does not name the source address %s:\n%s", f, from, out)
		}
	}
	for key, w := range want {
		if !regexpFind(table, `(?m)^\s+`+key+`\s+`+w[0]+`\s+`+w[1]+`\s+[0-9.]+m?s`) {
			t.Errorf("table: no row %q %s %s with an RTT:\n%s", key, w[0], w[1], table)
		}
	}
}

// TestScanInterrupted: SIGINT mid-scan stops at once, still writes what was
// measured, marks the rest unknown (interrupted) and exits 130.
func TestScanInterrupted(t *testing.T) {
	h := testnet.NewHost(t)
	testnet.ServeTCP(t, h, 22)
	h.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 1000-1999 drop
	}
}`)
	// The dropped ports in flight wait up to --timeout for an answer: 30 minutes,
	// so that a run that finished only when they timed out cannot pass.
	report := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(portreachBin(t), "scan", "-p", "22,1000-1999", "--timeout", "30m",
		"-o", "jsonl:-", "-o", "json:"+report, h.Addr.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil { // a t.Fatal before Wait
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	// Interrupt once 22's verdict is out (the JSONL output streams): the scan is
	// under way, and the one port that answers has been measured. A fixed sleep
	// could interrupt a slow start before either.
	// The kill only keeps a run that never decides 22 from hanging the test.
	hung := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	sc := bufio.NewScanner(stdout)
	var measured bool
	for !measured && sc.Scan() {
		var r results.Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("jsonl line %q: %v", sc.Text(), err)
		}
		measured = r.Port == 22
	}
	if !hung.Stop() || !measured {
		t.Fatalf("no verdict for 22/tcp on standard output (killed after 2 minutes)\n%s", errOut.String())
	}
	cmd.Process.Signal(syscall.SIGINT)
	go io.Copy(io.Discard, stdout)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running 2 minutes after SIGINT: waiting for in-flight timeouts\n%s", errOut.String())
	}
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v, want %d\n%s", err, exitInterrupted, errOut.String())
	}
	rep := readReport(t, report)
	if !rep.Interrupted {
		t.Error("report not marked interrupted")
	}
	var open, unknown int
	for _, r := range rep.Results {
		switch {
		case r.Port == 22 && r.State == results.Open:
			open++
		case r.State == results.Unknown && r.Reason == "interrupted":
			unknown++
		default:
			t.Errorf("unexpected result %+v", r)
		}
	}
	if open != 1 || unknown != 1000 {
		t.Errorf("open %d (want 1), unknown %d (want 1000)", open, unknown)
	}
}

// TestScanIPv6Unavailable runs portreach inside a namespace without IPv6: an IPv6
// target is one clear per-target error, and the IPv4 target is still scanned.
func TestScanIPv6Unavailable(t *testing.T) {
	h := testnet.NewHost(t)
	h.Exec(t, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
	h.Exec(t, "sysctl", "-q", "-w", "net.ipv6.conf.lo.disable_ipv6=1")
	cmd := h.Command(portreachBin(t), "scan", "-p", "9", "-f", "jsonl", "::1", "127.0.0.1")
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.Output()
	// A target that cannot be scanned fails the run, as an unresolved name does.
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitFailed {
		t.Fatalf("exit: %v, want %d", err, exitFailed)
	}
	var v6, v4 bool
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r results.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		switch r.Target {
		case "::1":
			v6 = r.State == results.Error && r.Reason == "no-route" && strings.Contains(r.Detail, "::1")
		case "127.0.0.1":
			v4 = r.State == results.Closed
		}
	}
	if !v6 || !v4 {
		t.Errorf("want ::1 error no-route and 127.0.0.1 closed, got:\n%s", out)
	}
}

// --source sends from the address given; one that is not this machine's is
// refused before anything is sent.
func TestScanSource(t *testing.T) {
	h := testnet.NewHost(t)
	testnet.ServeTCP(t, h, 22)
	code, out, errOut := runBin(t, "scan", "-p", "22", "-f", "json", "--source", h.Peer.String(), h.Addr.String())
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if rep := decodeReport(t, out); len(rep.Results) != 1 || rep.Results[0].Source != h.Peer || rep.Results[0].State != results.Open {
		t.Errorf("--source %s: %+v", h.Peer, rep.Results)
	}
	code, _, errOut = runBin(t, "scan", "-p", "22", "--source", "192.0.2.1", h.Addr.String())
	if want := `--source "192.0.2.1": source address 192.0.2.1 is not an address of this machine`; code != exitUsage || !strings.Contains(errOut, want) {
		t.Errorf("foreign --source: exit %d, stderr %q, want %d and %q", code, errOut, exitUsage, want)
	}
}

func regexpFind(s, pattern string) bool { return regexp.MustCompile(pattern).MatchString(s) }
