package exporter

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseAllowList(t *testing.T) {
	bad := map[string]string{
		"198.18.1.7/24":       `allow "198.18.1.7/24": host bits set; write 198.18.1.0/24 for the network or 198.18.1.7/32 for the host`,
		"198.18.0.0/33":       `allow "198.18.0.0/33": want a CIDR block such as 198.18.0.0/15 or an address`,
		"example.com":         `allow "example.com": want a CIDR block such as 198.18.0.0/15 or an address`,
		"fe80::1%eth0":        `allow "fe80::1%eth0": want a CIDR block such as 198.18.0.0/15 or an address`,
		"::ffff:10.0.0.0/104": `allow "::ffff:10.0.0.0/104": write IPv4 networks in IPv4 form`,
	}
	for in, want := range bad {
		if _, err := ParseAllowList(in); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", in, err, want)
		}
	}
	a, err := ParseAllowList("198.18.0.0/15", " 2001:db8::/32 ", "", "192.0.2.7", "fe80::/10", "::ffff:203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 5 || a.String() != "198.18.0.0/15, 2001:db8::/32, 192.0.2.7/32, fe80::/10, 203.0.113.9/32" {
		t.Errorf("list %d %s", a.Len(), a)
	}
	for addr, want := range map[string]bool{
		"198.18.0.1":        true,
		"198.19.255.255":    true,
		"198.20.0.0":        false,
		"::ffff:198.18.3.4": true, // mapped: checked as the IPv4 address
		"2001:db8::1":       true,
		"2001:db9::1":       false,
		"192.0.2.7":         true,
		"192.0.2.8":         false,
		"fe80::1%eth0":      true, // zone ignored
		"203.0.113.9":       true,
		"127.0.0.1":         false,
		"::1":               false,
		"64:ff9b::c612:1":   false, // NAT64 form of 198.18.0.1: another address
	} {
		if got := a.Allows(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allows(%s) = %v, want %v", addr, got, want)
		}
	}
	var none AllowList
	if none.Allows(netip.MustParseAddr("127.0.0.1")) || none.String() != "nothing" {
		t.Error("zero AllowList allows something")
	}
	if none.Allows(netip.Addr{}) || a.Allows(netip.Addr{}) {
		t.Error("invalid address allowed")
	}
}

func TestAllowEverything(t *testing.T) {
	for _, c := range []struct {
		specs []string
		want  string
	}{
		{nil, ""},
		{[]string{"198.18.0.0/15"}, ""},
		{[]string{"0.0.0.0/0"}, "IPv4"},
		{[]string{"::/0"}, "IPv6"},
		{[]string{"0.0.0.0/0", "::/0"}, "IPv4 IPv6"},
		{[]string{"128.0.0.0/1", "10.0.0.0/8", "0.0.0.0/1"}, "IPv4"},
		{[]string{"0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"}, "IPv4"},
		{[]string{"0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"}, ""},     // 224.0.0.0/3 left
		{[]string{"0.0.0.0/1", "128.0.0.0/2", "255.255.255.255"}, ""}, // a gap before the last
		{[]string{"::/1", "8000::/1", "0.0.0.0/1"}, "IPv6"},
		{[]string{"2000::/3"}, ""},
	} {
		a, err := ParseAllowList(c.specs...)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(a.Everything(), " "); got != c.want {
			t.Errorf("%v: %q, want %q", c.specs, got, c.want)
		}
	}
}
