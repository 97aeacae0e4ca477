// Samba's self-made LDAPS certificates (and some old appliances') carry a
// negative serial number, which Go refuses to parse since 1.23: the handshake
// would fail before the certificate could be reported. Service confirmation
// reads certificates to report on them, not to trust them.
//
//go:debug x509negativeserial=1

// Command portreach tells whether the network ports a Windows, Active Directory,
// Exchange, SQL Server or BizTalk server role needs are reachable from here: open,
// closed, filtered or open|filtered, port by port, with the reason, the round-trip
// time and, for UDP, what the service said.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
)

// Exit statuses, documented in usage and README.md.
const (
	exitOK          = 0   // every expectation held (or none was set)
	exitFailed      = 1   // an expectation failed: a required port not open, a must-be-closed port open
	exitUsage       = 2   // bad flags, targets, ports, profiles or files; nothing useful was scanned
	exitIncomplete  = 3   // --max-time was reached: unfinished ports are reported as unknown
	exitLocked      = 4   // another run holds the --lock file
	exitWrite       = 5   // an output could not be written (disk full, I/O error): the run's report is not all there
	exitInterrupted = 130 // Ctrl-C or SIGTERM: what was measured is reported, the rest marked unknown
)

const usage = `portreach: are the ports a server role needs reachable from here?

Usage:
  portreach scan [flags] TARGET...    test ports or role profiles on hosts
  portreach profiles [WORD]           list the role profiles (Exchange, AD, SQL, BizTalk …)
  portreach profiles show NAME        every port of a profile, with its source document
  portreach rpc [flags] HOST...       list RPC endpoints (135/tcp) and test their ports
  portreach local [--profile NAME]    on the server: what listens here, checked against a profile
  portreach serve --allow CIDR ...    Prometheus exporter: /probe?target=HOST&profile=SLUG
  portreach service install|uninstall|start|stop [serve flags]   serve as a Windows service
  portreach completion SHELL          shell completion: bash, zsh, fish or powershell
  portreach version                   print the version
  portreach help [COMMAND]            this text, or a command's flags

Examples:
  portreach scan --profile "Domain controller" dc01.example.com
  portreach scan --profile exchange-2016-mailbox -f json -o mail01.json mail01
  portreach scan -p T:135,445,50000-50200,U:53,88,123,389 198.18.1.0/28
  portreach scan --profile biztalk-send-server --role sql=sql01 --role smtp=mail01
  portreach rpc --range 50000-50200 sql01

States: open (a service answered), closed (the host refused: RST or ICMP port
unreachable), filtered (dropped, or refused by an ICMP unreachable other than
port unreachable), open|filtered (UDP silence: open but silent, or dropped),
not-tested (IP protocols such as GRE/ESP/AH, ports negotiated per session),
skipped (a destination role you did not map), error (the target did not resolve
or cannot be routed), unknown (the run stopped before the port finished).

Exit status: 0 all expectations held; 1 an expectation failed; 2 bad input;
3 --max-time reached; 4 another run holds the --lock file; 5 an output could
not be written (disk full, I/O error); 130 interrupted.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	// The first Ctrl-C or SIGTERM cancels the scan, which then reports what it
	// measured; a second one ends the process the default way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)

	cmd, rest := args[0], args[1:]
	switch cmd {
	case "scan":
		return runScan(ctx, rest, stdin, stdout, stderr)
	case "profiles", "profile":
		return runProfiles(ctx, rest, stdout, stderr)
	case "rpc":
		return runRPC(ctx, rest, stdout, stderr)
	case "local":
		return runLocal(ctx, rest, stdout, stderr)
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "service":
		return runServiceCommand(rest, stdout, stderr)
	case "completion":
		return runCompletion(rest, stdout, stderr)
	case "__complete": // hidden: the completion scripts ask this (complete.go)
		return runComplete(rest, stdout)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionText(linked(), readBuildInfo(), runtime.GOOS+"/"+runtime.GOARCH))
		return exitOK
	case "help", "-h", "-help", "--help":
		// "help scan" is "scan --help"; "help --help" and "--help -h" are help
		// (they recursed without end).
		if len(rest) > 0 && rest[0] != "help" && !strings.HasPrefix(rest[0], "-") {
			return run([]string{rest[0], "--help"}, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "portreach: unknown command %q (try: portreach help)\n", cmd)
	return exitUsage
}
