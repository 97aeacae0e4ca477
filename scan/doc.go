// Package scan owns sockets, time and concurrency: it turns a Plan (targets and
// ports) into one results.Result per port, over TCP connect scans that need no
// privileges and UDP exchanges driven by the probes in package probes.
//
// One classifier (classify.go) maps every socket error to a state and a reason;
// context cancellation wins over everything. A port that is closed or filtered is a
// result, never an error that stops the scan.
package scan
