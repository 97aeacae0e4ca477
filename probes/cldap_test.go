package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/portreach/portreach/internal/hexdump"
	"github.com/portreach/portreach/msrpc"
)

func TestCLDAPRequestBytes(t *testing.T) {
	want := hexdump.Parse(t, `0000  30 40 02 01 02 63 3b 04 00 0a 01 00 0a 01 00 02
0010  01 00 02 01 00 01 01 00 a0 1c a3 0d 04 05 4e 74
0020  56 65 72 04 04 06 00 00 00 a3 0b 04 03 41 41 43
0030  04 04 00 00 00 00 30 0a 04 08 4e 65 74 6c 6f 67
0040  6f 6e`)
	if got := newCLDAPQueryID(2).Packets()[0]; !bytes.Equal(got, want) {
		t.Errorf("LDAP ping\n got %x\nwant %x", got, want)
	}
	// A random ID changes only the messageID (and the lengths around it).
	q, err := CLDAP.New(bytes.NewReader([]byte{0x12, 0x34, 0x56, 0x78}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := q.Packets()[0]
	if !bytes.HasPrefix(p, []byte{0x30, 0x43, 0x02, 0x04, 0x12, 0x34, 0x56, 0x78, 0x63}) || !bytes.Equal(p[8:], want[5:]) {
		t.Errorf("random ID request %x", p)
	}
	if _, err := CLDAP.New(bytes.NewReader(nil), Options{}); err == nil {
		t.Errorf("no randomness accepted")
	}
}

func TestCLDAPSambaNetlogon(t *testing.T) {
	reply := capture(t, "cldap-samba-netlogon.hex")
	if _, err := newCLDAPQueryID(8).Match(reply); !errors.Is(err, ErrNotMine) {
		t.Errorf("reply to message 7 matched message 8: %v", err)
	}
	det, err := newCLDAPQueryID(7).Match(reply)
	if err != nil {
		t.Fatal(err)
	}
	d := det.(*CLDAPDetail)
	n := d.Netlogon
	if d.ResultCode != 0 || n == nil {
		t.Fatalf("detail %+v", d)
	}
	want := NetlogonResponse{Opcode: 23, Flags: 0x11bd, DNSForest: "lab.example", DNSDomain: "lab.example",
		DNSHost: "labdc.lab.example", NetBIOSDomain: "LAB", NetBIOSComputer: "LABDC",
		DCSite: "Default-First-Site-Name", ClientSite: "Default-First-Site-Name", NtVersion: 5}
	got := *n
	got.FlagNames, got.DomainGUID = nil, msrpc.UUID{}
	if gj, wj := jsonString(t, got), jsonString(t, want); gj != wj {
		t.Errorf("netlogon\n got %s\nwant %s", gj, wj)
	}
	if strings.Join(n.FlagNames, ",") != "PDC,GC,LDAP,DS,KDC,CLOSEST,WRITABLE,FULL_SECRET" {
		t.Errorf("flags %v", n.FlagNames)
	}
	if n.DomainGUID.String() != "609720b3-3ce5-48c2-992e-180f1e440a8b" {
		t.Errorf("domain GUID %s", n.DomainGUID)
	}
	if s := d.Summary(); s != "DC of lab.example (LAB), host labdc.lab.example, PDC, GC, KDC, writable, site Default-First-Site-Name (closest), client site Default-First-Site-Name" {
		t.Errorf("summary %q", s)
	}
}

func TestCLDAPSambaV5EP(t *testing.T) {
	det, err := newCLDAPQueryID(11).Match(capture(t, "cldap-samba-v5ep.hex"))
	if err != nil {
		t.Fatal(err)
	}
	n := det.(*CLDAPDetail).Netlogon
	if n == nil || n.DCAddr.String() != "198.19.255.2" || n.NtVersion != 0xd || n.ClientSite != "Default-First-Site-Name" {
		t.Errorf("V5EP reply: %+v", n)
	}
}

// A server that answers the ping with SearchResultDone and no entry is a CLDAP
// server that did not answer as a DC: the port is open all the same.
func TestCLDAPSambaNoEntry(t *testing.T) {
	reply := capture(t, "cldap-samba-noentry.hex")
	det, err := newCLDAPQueryID(9).Match(reply)
	if err != nil {
		t.Fatal(err)
	}
	d := det.(*CLDAPDetail)
	if d.Netlogon != nil || d.ResultCode != 0 || d.Summary() != "no Netlogon entry (not a DC answer), LDAP result 0" {
		t.Errorf("no-entry reply: %+v %q", d, d.Summary())
	}
	if _, err := newCLDAPQueryID(2).Match(reply); !errors.Is(err, ErrNotMine) {
		t.Errorf("foreign ID: %v", err)
	}
	for _, junk := range [][]byte{nil, {0x30}, []byte("hello"), {0x30, 0x03, 0x02, 0x01, 0x09}} {
		if _, err := newCLDAPQueryID(9).Match(junk); !errors.Is(err, ErrNotMine) {
			t.Errorf("%x: %v", junk, err)
		}
	}
}

func TestNetlogonNames(t *testing.T) {
	blob := capture(t, "cldap-samba-netlogon.hex")
	v, ok := cldapNetlogonValue(mustEntry(t, blob))
	if !ok {
		t.Fatal("no netlogon value")
	}
	for i := range len(v) {
		if _, err := ParseNetlogonResponse(v[:i]); err == nil {
			t.Errorf("value truncated to %d bytes accepted", i)
		}
	}
	// A pointer to itself or forwards is refused rather than followed.
	loop := append(bytes.Clone(v[:24]), 0xc0, 24)
	if _, err := ParseNetlogonResponse(loop); err == nil {
		t.Errorf("self-pointer accepted")
	}
}

func mustEntry(t *testing.T, reply []byte) berTLV {
	t.Helper()
	r := newBERReader(reply)
	msg, err := r.Expect(berTagSequence)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := msg.Children()
	if _, err := c.Expect(berTagInteger); err != nil {
		t.Fatal(err)
	}
	e, err := c.Expect(0x64)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func FuzzCLDAPMatch(f *testing.F) {
	for _, name := range []string{"cldap-samba-netlogon.hex", "cldap-samba-v5ep.hex", "cldap-samba-noentry.hex", "cldap-samba-rootdse.hex", "cldap-samba-othersite.hex"} {
		f.Add(capture(f, name))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		for _, id := range []int64{7, 9, 11} {
			q := newCLDAPQueryID(id)
			q.rootID, q.root = 1, cldapRootDSESearch(1)
			det, err := q.Match(reply)
			if err != nil {
				continue
			}
			_ = det.Summary()
			if _, err := json.Marshal(det); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzParseNetlogonResponse(f *testing.F) {
	for _, name := range []string{"cldap-samba-netlogon.hex", "cldap-samba-v5ep.hex", "cldap-samba-othersite.hex"} {
		reply := capture(f, name)
		r := newBERReader(reply)
		msg, _ := r.Expect(berTagSequence)
		c, _ := msg.Children()
		_, _ = c.Expect(berTagInteger)
		e, _ := c.Expect(0x64)
		if v, ok := cldapNetlogonValue(e); ok {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseNetlogonResponse(b)
		if err != nil {
			return
		}
		for _, s := range []string{n.DNSForest, n.DNSDomain, n.DNSHost, n.NetBIOSDomain, n.NetBIOSComputer, n.User, n.DCSite, n.ClientSite} {
			if len(s) > 255 {
				t.Fatalf("name of %d bytes", len(s))
			}
		}
	})
}

func TestCLDAPRootDSERequestBytes(t *testing.T) {
	want := hexdump.Parse(t, `0000  30 25 02 01 01 63 20 04 00 0a 01 00 0a 01 00 02
0010  01 00 02 01 00 01 01 00 87 0b 6f 62 6a 65 63 74
0020  43 6c 61 73 73 30 00`)
	if got := cldapRootDSESearch(1); !bytes.Equal(got, want) {
		t.Errorf("rootDSE search\n got %x\nwant %x", got, want)
	}
	q, err := CLDAP.New(bytes.NewReader([]byte{0, 0, 0, 7, 0, 0, 0, 1}), Options{CLDAPRootDSE: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := q.Packets(); len(p) != 2 || !bytes.Equal(p[1], want) {
		t.Errorf("packets with the rootDSE option: %x", p)
	}
}

// TestCLDAPRootDSESamba merges the ping's and the rootDSE search's replies from a
// Samba DC into one detail, and is complete only once both have ended.
func TestCLDAPRootDSESamba(t *testing.T) {
	q := newCLDAPQueryID(7) // the Netlogon capture answers messageID 7
	q.rootID, q.root = 1, cldapRootDSESearch(1)
	if _, err := q.Match(capture(t, "cldap-samba-rootdse.hex")); err != nil {
		t.Fatal(err)
	}
	if q.Complete() {
		t.Fatal("complete before the ping's answer")
	}
	det, err := q.Match(capture(t, "cldap-samba-netlogon.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if !q.Complete() {
		t.Fatal("not complete after both answers")
	}
	d := det.(*CLDAPDetail)
	if got := d.RootDSE["defaultNamingContext"]; len(got) != 1 || got[0] != "DC=lab,DC=example" {
		t.Errorf("defaultNamingContext %q", got)
	}
	if d.RootDSE["dnsHostName"] == nil || d.RootDSE["domainControllerFunctionality"] == nil || d.RootDSE["currentTime"] == nil {
		t.Errorf("rootDSE %v", d.RootDSE)
	}
	if _, ok := d.RootDSE["supportedControl"]; ok {
		t.Errorf("OID lists kept: %v", d.RootDSE)
	}
	if s := d.Summary(); !strings.HasPrefix(s, "DC of lab.example (LAB)") || !strings.Contains(s, "DC functional level ") {
		t.Errorf("summary %q", s)
	}
	// Another message ID is not ours, and leaves the merged detail alone.
	if _, err := newCLDAPQueryID(8).Match(capture(t, "cldap-samba-rootdse.hex")); !errors.Is(err, ErrNotMine) {
		t.Errorf("foreign rootDSE reply: %v", err)
	}
}

// The summary names what the DC locator selects by: the time server role, the
// closest site, and the site this machine maps to, or that it maps to none.
func TestCLDAPSummarySites(t *testing.T) {
	for _, tc := range []struct {
		n    NetlogonResponse
		want string
	}{
		{NetlogonResponse{Opcode: 23, Flags: 0x1e5, DNSDomain: "lab.example", DCSite: "Site-A", ClientSite: "Site-A"},
			"DC of lab.example, PDC, GC, KDC, time server, writable, site Site-A (closest), client site Site-A"},
		{NetlogonResponse{Opcode: 23, Flags: 0x820, DNSDomain: "lab.example", DCSite: "Site-B", ClientSite: "Site-A"},
			"DC of lab.example, KDC, RODC, site Site-B, client site Site-A"},
		{NetlogonResponse{Opcode: 23, Flags: 0x124, DNSDomain: "lab.example", DCSite: "Site-B"},
			"DC of lab.example, GC, KDC, writable, site Site-B, no client site"},
	} {
		d := &CLDAPDetail{Netlogon: &tc.n}
		if s := d.Summary(); s != tc.want {
			t.Errorf("Summary() = %q\n        want %q", s, tc.want)
		}
	}
}

// A DC of another site than the client's (testnet.StartADLab's DC2): no
// DS_CLOSEST_FLAG, and the client's site named apart from the DC's.
func TestCLDAPSambaOtherSite(t *testing.T) {
	d, err := newCLDAPQueryID(7).Match(capture(t, "cldap-samba-othersite.hex"))
	if err != nil {
		t.Fatal(err)
	}
	n := d.(*CLDAPDetail).Netlogon
	if n.DCSite != "Site-B" || n.ClientSite != "Site-A" || n.Flags&dsClosest != 0 || n.DNSHost != "labdc2.lab.example" {
		t.Errorf("netlogon %+v", n)
	}
	if s := d.Summary(); s != "DC of lab.example (LAB), host labdc2.lab.example, PDC, GC, KDC, writable, site Site-B, client site Site-A" {
		t.Errorf("summary %q", s)
	}
}
