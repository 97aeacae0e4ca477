package main

import (
	"flag"
	"strings"
	"testing"
	"time"
)

// commandFlags builds each scanning command's flag set, as its run function does.
func commandFlags() map[string]func() (*cmdFlags, *scannerFlags) {
	return map[string]func() (*cmdFlags, *scannerFlags){
		"scan":  func() (*cmdFlags, *scannerFlags) { c := &scanCmd{}; return scanFlags(c), &c.scanner },
		"rpc":   func() (*cmdFlags, *scannerFlags) { c := &rpcCmd{}; return rpcFlags(c), &c.scanner },
		"serve": func() (*cmdFlags, *scannerFlags) { c := &serveCmd{}; return serveFlags(c), &c.scanner },
	}
}

// The scanner's flags are refused alike by scan, rpc and serve, with the same
// words, before anything is scanned or served.
func TestScannerFlagErrors(t *testing.T) {
	shared := []struct {
		args []string
		err  string
	}{
		{[]string{"--timeout", "0"}, "--timeout 0s: want a duration above zero"},
		{[]string{"--timeout", "-1s"}, "--timeout -1s: want a duration above zero"},
		{[]string{"--timeout", "soon"}, `--timeout "soon": parse error`},
		{[]string{"--retries", "-1"}, "--retries -1: want 0 to 10"},
		{[]string{"--retries", "1000000000"}, "--retries 1000000000: want 0 to 10"},
		{[]string{"--retries", "99999999999999999999"}, `--retries "99999999999999999999": value out of range`},
		{[]string{"--rate", "0"}, "--rate 0: want 1 or more (leave it out for no limit)"},
		{[]string{"--rate", "-5"}, "--rate -5: want 1 or more (leave it out for no limit)"},
		{[]string{"--concurrency", "0"}, "--concurrency 0: want 1 to 65536"},
		{[]string{"--concurrency", "-1"}, "--concurrency -1: want 1 to 65536"},
		{[]string{"--concurrency", "100000"}, "--concurrency 100000: want 1 to 65536"},
		{[]string{"--per-host", "0"}, "--per-host 0: want 1 to 65536"},
		{[]string{"--per-host=70000"}, "--per-host 70000: want 1 to 65536"},
		{[]string{"--timeout"}, "--timeout needs a value"},
		{[]string{"--source", "198.18.0"}, `--source "198.18.0": not an IP address`},
		{[]string{"--source", "192.0.2.1"}, `--source "192.0.2.1": source address 192.0.2.1 is not an address of this machine`},
		{[]string{"--source", "0.0.0.0"}, `--source "0.0.0.0": source address 0.0.0.0: not a unicast address`},
		{[]string{"--nope"}, "unknown flag --nope"},
		{[]string{"-x"}, "unknown flag -x"},
	}
	own := map[string][]struct {
		args []string
		err  string
	}{
		"scan": {
			{[]string{"--confirm", "--no-confirm"}, "--no-confirm: --confirm and --no-confirm cannot be combined"},
			{[]string{"--cert-days", "-1"}, "--cert-days -1: want 0 to 3650"},
			{[]string{"--max-time", "0s"}, "--max-time 0s: want a duration above zero (leave it out for no limit)"},
			{[]string{"--max-time", "-1m"}, "--max-time -1m0s: want a duration above zero (leave it out for no limit)"},
			{[]string{"--max-hosts", "0"}, "--max-hosts 0: want 1 or more"},
			{[]string{"-p", "80", "--max-hosts", "-3"}, "--max-hosts -3: want 1 or more"},
			{[]string{"--max-skew", "-1s"}, "--max-skew -1s: want 0s or more"},
			{[]string{"--domain", "lab.example", "--dns-server", "dc01"}, `--dns-server "dc01": want an IP address, optionally with a port (198.18.1.2, 198.18.1.2:5353, [2001:db8::53]:53)`},
			{[]string{"--domain", "lab.example", "--dns-server", "198.18.1.2:0"}, `--dns-server "198.18.1.2:0": port 0`},
		},
		"serve": {
			{[]string{"--max-time", "0s"}, "--max-time 0s: want a duration above zero"},
			{[]string{"--timeout-offset", "-1s"}, "--timeout-offset -1s: want 0s or more"},
			{[]string{"--max-probes", "0"}, "--max-probes 0: want 1 or more"},
			{[]string{"--max-ports", "-1"}, "--max-ports -1: want 1 or more"},
			{[]string{"--history", "0"}, "--history 0: want 1 or more"},
		},
	}
	for _, cmd := range []string{"scan", "rpc", "serve"} {
		cases := append(shared, own[cmd]...)
		for _, c := range cases {
			// A host first: rpc and scan take flags after it.
			args := append([]string{cmd, "198.18.0.1"}, c.args...)
			if cmd == "serve" {
				args = append([]string{cmd}, c.args...)
			}
			var stdout, stderr strings.Builder
			code := run(args, nil, &stdout, &stderr)
			want := "portreach " + cmd + ": " + c.err + " (see portreach " + cmd + " --help)\n"
			if code != exitUsage || stderr.String() != want || stdout.Len() != 0 {
				t.Errorf("%q: exit %d, stderr %q, stdout %q\nwant exit %d, stderr %q", args, code, stderr.String(), stdout.String(), exitUsage, want)
			}
		}
	}
}

// The flags reach the Scanner the same way from every command, as typed:
// --retries 0 is no retry; left out, the Scanner's defaults.
func TestScannerFlagsApply(t *testing.T) {
	for cmd, build := range commandFlags() {
		f, s := build()
		pos, err := f.Parse([]string{"198.18.0.1", "--timeout", "250ms", "--retries", "0", "--rate", "100", "198.18.0.2",
			"--concurrency", "4096", "--per-host", "8"})
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		if len(pos) != 2 || pos[0] != "198.18.0.1" || pos[1] != "198.18.0.2" {
			t.Errorf("%s: positional %q", cmd, pos)
		}
		got := s.scanner()
		if got.Timeout != 250*time.Millisecond || got.Retries == nil || *got.Retries != 0 || got.Rate != 100 || got.Concurrency != 4096 || got.PerHost != 8 {
			t.Errorf("%s: %+v", cmd, got)
		}

		f, s = build()
		if _, err := f.Parse(nil); err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		got = s.scanner()
		// Concurrency 0: sized from the descriptor limit (serve: the one
		// engine's, for every probe).
		if got.Timeout != time.Second || got.Retries == nil || *got.Retries != 1 || got.Rate != 0 || got.Concurrency != 0 || got.PerHost != 0 {
			t.Errorf("%s defaults: %+v", cmd, got)
		}
	}
}

// "--" ends the flags; a later "-p" is a target (and refused as one).
func TestParseDoubleDash(t *testing.T) {
	f := rpcFlags(&rpcCmd{})
	pos, err := f.Parse([]string{"-f", "json", "--", "-weird", "--timeout"})
	if err != nil || strings.Join(pos, " ") != "-weird --timeout" {
		t.Errorf("got %q, %v", pos, err)
	}
}

// Every flag sits under a help topic; every limit is on a number; the help
// spells long flags with two dashes and puts the short form beside the long.
func TestFlagHelp(t *testing.T) {
	for _, c := range commands {
		cmd := c.value
		f := commandFlagSet(cmd)
		if f == nil {
			continue
		}
		f.VisitAll(func(fl *flag.Flag) {
			if !f.alias[fl.Name] && f.group[fl.Name] == "" {
				t.Errorf("%s: --%s is defined before any Group", cmd, fl.Name)
			}
		})
		for name := range f.limits {
			fl := f.Lookup(name)
			if fl == nil {
				t.Errorf("%s: limit on undefined flag %s", cmd, name)
				continue
			}
			switch fl.Value.(flag.Getter).Get().(type) {
			case int, time.Duration:
			default:
				t.Errorf("%s: limit on %s, which is not an int or a duration", cmd, name)
			}
		}
		var b strings.Builder
		f.printHelp(&b)
		help := b.String()
		wants := []string{"\nTiming and load:\n      --timeout DURATION\n", "      --retries N\n"}
		switch cmd {
		case "profiles", "local":
			wants = nil
		}
		if cmd == "scan" || cmd == "rpc" || cmd == "local" {
			wants = append(wants, "\nOutput:\n  -f, --format FORMAT\n")
		}
		for _, want := range wants {
			if !strings.Contains(help, want) {
				t.Errorf("%s help lacks %q:\n%s", cmd, want, help)
			}
		}
		for _, line := range strings.Split(help, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "-") && !strings.HasPrefix(strings.TrimSpace(line), "--") {
				name := strings.Fields(line)[0]
				if n := strings.TrimSuffix(strings.TrimPrefix(name, "-"), ","); len(n) > 2 {
					t.Errorf("%s help: %q has one dash", cmd, line)
				}
			}
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap("longest DURATION to wait for one answer; hosts that answer get a shorter, adaptive one (default 1s)", "    ", 40)
	want := "    longest DURATION to wait for one\n    answer; hosts that answer get a\n    shorter, adaptive one (default 1s)"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := wrap("x", "  ", 1); got != "  x" {
		t.Errorf("a word longer than the width: %q", got)
	}
}

// rpc takes its flags after the host, as scan does, and its help is printed once.
func TestRPCFlagsAfterHost(t *testing.T) {
	c := &rpcCmd{}
	pos, err := rpcFlags(c).Parse([]string{"dc01", "-f", "json", "--range", "50000-50200"})
	if err != nil || len(pos) != 1 || pos[0] != "dc01" || c.format != "json" || c.rangeSpec != "50000-50200" {
		t.Errorf("got %q %v, format %q range %q", pos, err, c.format, c.rangeSpec)
	}
	var stdout, stderr strings.Builder
	if code := run([]string{"help", "rpc"}, nil, &stdout, &stderr); code != exitOK ||
		strings.Count(stdout.String(), "Usage:") != 1 || stderr.Len() != 0 {
		t.Errorf("help rpc: exit %d, %d usages, stderr %q", code, strings.Count(stdout.String(), "Usage:"), stderr.String())
	}
}

// --cert-days reaches the Scanner as typed: 0 fails only expired certificates;
// left out, the Scanner's default.
func TestCertDaysApply(t *testing.T) {
	for cmd, build := range commandFlags() {
		if cmd == "rpc" {
			continue // confirms nothing
		}
		for _, tt := range []struct {
			args []string
			want int
		}{{[]string{"--cert-days", "0"}, 0}, {[]string{"--cert-days", "30"}, 30}, {nil, 14}} {
			f, s := build()
			if _, err := f.Parse(tt.args); err != nil {
				t.Fatalf("%s %q: %v", cmd, tt.args, err)
			}
			if got := s.scanner().Confirm.CertDays; got == nil || *got != tt.want {
				t.Errorf("%s %q: CertDays %v, want %d", cmd, tt.args, got, tt.want)
			}
		}
	}
}
