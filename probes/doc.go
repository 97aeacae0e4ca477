// Package probes holds the wire formats of portreach's UDP service probes and of its
// TCP service confirmations: requests built from random transaction IDs, replies
// matched against them and summarised. It opens no sockets and keeps no clocks;
// package scan does both (and the TLS handshakes).
//
// Each protocol has a file of its own (dns.go, snmp.go, llmnr.go …); probes that
// send nothing protocol-specific, only an empty datagram to draw ICMP from a closed
// port, are declared together in noreply.go. What a probe does when a listening
// service stays silent is a field (Probe.Mute, Probe.Silence), not a file.
//
// # Adding a probe
//
//  1. Write NAME.go: a package variable X = &Probe{...} with its Name (what
//     profiles write in "probe"), its default Ports, and New, which draws every
//     ID from the io.Reader it is given (never from crypto/rand directly, so
//     that tests get byte-exact requests) and returns a Query. Reuse what the
//     package has for shared encodings (BER in ber.go, DNS messages through
//     dnsmessage as dns.go does, NetBIOS names in nbstat.go, datagramQuery for
//     a one-datagram exchange, peerText for strings a peer sent).
//  2. Match returns ErrNotMine for anything that is not the answer (another ID,
//     our own request reflected, garbage) and an error for an answer that is
//     malformed; otherwise a Detail: a JSON-encodable struct with a one-line
//     Summary. Set Probe.Detail to a nil pointer of that type.
//  3. If a change of some detail field matters to an audit (a new server
//     version, another domain), list it in Probe.Drift with why it matters;
//     drift reports compare exactly these.
//  4. If no request can make a listening service answer, set Mute and say why
//     in Silence.
//  5. Add X to the list in all.go: one line.
//  6. Write NAME_test.go: the request byte for byte against the reference dump,
//     replies captured from a real daemon in testdata/NAME_*.hex (with a note
//     on where they came from), and a FuzzNAMEMatch seeded with them.
//     TestConformance checks the rest for every probe in the list: unique names
//     and ports, no reply taken from its own request, nil or garbage, mute
//     probes that explain their silence, construction without randomness
//     failing cleanly, drift fields that exist in the detail type.
//  7. For a real daemon, add scan/probes_NAME_integration_test.go with a test
//     host from internal/testnet, and the Debian package to .ci/packages.txt.
//
// # Adding a TCP service confirmation
//
// The same steps, with a Service instead of a Probe: a Dialog whose Next is
// given the bytes received so far and says what to send, when to run a TLS
// handshake (STARTTLS) and when it is done, returning an error that wraps
// ErrWrongService as soon as the bytes cannot be its service's (Identify names
// what they are). Its findings go in a part of ServiceDetail; Drift paths are
// into ServiceDetail. List it in services in all.go; TestServiceConformance
// checks it, converse in service_test.go replays captured replies byte by byte,
// and FuzzServiceDialogs takes its captures as seeds.
package probes
