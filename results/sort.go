package results

import (
	"cmp"
	"slices"
)

// Sort orders results so that every output is the same whatever order the ports
// finished in. The order is:
//
//  0. in a policy run, source, then rule (HostKey.Compare);
//  1. address (netip.Addr order: IPv4 before IPv6, numerically; targets that failed
//     to resolve, whose address is invalid, come first);
//  2. target as given (two names for one address stay two hosts);
//  3. protocol: tcp, then udp, then IP protocols by name;
//  4. port;
//  5. Under, then Via (a follow-up after a plain result for the same port).
//
// The sort is stable, so results equal in all of these keep their relative order.
func Sort(rs []Result) {
	slices.SortStableFunc(rs, compareResults)
}

// Sorted returns rs in Sort order: rs itself when it already is, else a sorted
// copy (rs is not modified). A caller that sorts its results once (the command
// does) spares every format a copy of every result.
func Sorted(rs []Result) []Result {
	if slices.IsSortedFunc(rs, compareResults) {
		return rs
	}
	c := slices.Clone(rs)
	Sort(c)
	return c
}

func compareResults(a, b Result) int {
	if c := a.Key().Compare(b.Key()); c != 0 {
		return c
	}
	return CompareInHost(&a, &b)
}

// CompareInHost is Sort's order of two results of one host (their target and
// address are not compared): negative when a comes first, zero when Sort
// keeps them in the order they came.
func CompareInHost(a, b *Result) int {
	if c := CompareProto(a.Proto, b.Proto); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Under, b.Under); c != 0 {
		return c
	}
	return cmp.Compare(a.Via, b.Via)
}

// protoRank puts the two transports the scanner tests before IP protocols, which
// are only ever reported as not tested.
func protoRank(p Proto) int {
	switch p {
	case TCP:
		return 0
	case UDP:
		return 1
	}
	return 2
}

// CompareProto is Sort's order of protocols: tcp, udp, then IP protocols by
// name.
func CompareProto(a, b Proto) int {
	if c := cmp.Compare(protoRank(a), protoRank(b)); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}
