// Package scan owns sockets, time and concurrency: it turns a Plan (targets and
// ports) into one results.Result per port, over TCP connect scans that need no
// privileges and UDP exchanges driven by the probes in package probes.
//
// A Scanner runs each Scan on an Engine (engine.go): the event loops that own
// the sockets, the budget of sockets open at once and the caps towards one
// host. Scans may share one, as the exporter's concurrent probes do.
//
// With Scanner.Trace, a filtered port also gets a trace of where its own packets
// stop (trace.go): its TCP SYN or UDP request with TTL 1, 2, 3 …, the ICMP
// errors read from the socket's error queue, without privileges.
//
// One classifier (classify.go) maps every socket error to a state and a reason;
// context cancellation wins over everything. A port that is closed or filtered is a
// result, never an error that stops the scan.
package scan
