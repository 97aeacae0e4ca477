//go:build linux

package testnet

import (
	"crypto/x509"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// ADLab is a domain, lab.example, of two domain controllers in two AD sites,
// for the DC locator's tests: DC1 (labdc.lab.example, site Site-A, whose
// internal DNS serves the domain's records) and DC2 (labdc2.lab.example, site
// Site-B). This machine's address on each DC's link maps to Site-A in both
// DCs' directories, so DC1 is the closest.
//
// Each is a Samba AD DC provisioned on its own (a join would need the test
// hosts to route to each other, and a replication that takes minutes): the two
// are one domain by name, and DC1's DNS names both, as a domain's DNS names
// all its DCs. Their domain GUIDs differ, which nothing the locator asks
// compares. DC1's DNS also has the records DC2 would register: its A record and
// _ldap._tcp.dc._msdcs, _kerberos._tcp.dc._msdcs, _ldap._tcp.Site-B._sites.dc._msdcs,
// _kerberos._tcp, _kpasswd._tcp and _gc._tcp records.
//
// Each DC's host answers NTP (ServeNTP) with the offset given: Samba's own
// KDC keeps this machine's clock. DC2's SMB server does not require signing
// (server signing = auto), as a DC whose "Digitally sign communications
// (always)" policy was turned off; DC1's does, as a DC's does by default. Each DC serves LDAPS (636, 3269, StartTLS on
// 389) with a certificate from the lab's CA for its name (subject CN and SAN
// dNSName, Server Authentication EKU), as an enterprise CA issues them: the
// certificate Samba makes itself has a negative serial number, which Go's
// crypto/x509 refuses to parse.
type ADLab struct {
	DC1, DC2 *SambaDC
	H1, H2   *Host
	CA       *CA
	CAFile   string // the CA's certificate, for --ca-file
}

// ADLabOptions are the smb.conf lines every lab DC runs with: SambaDNSUpdates,
// so that tests can add records.
var ADLabOptions = []string{SambaDNSUpdates}

// StartADLab builds the lab; ntp1 and ntp2 are how far each DC's NTP server
// is from this machine's clock. Both DCs are provisioned side by side.
func StartADLab(t testing.TB, ntp1, ntp2 time.Duration, options ...string) *ADLab {
	t.Helper()
	h1, h2 := NewHost(t), NewHost(t)
	client := func(h *Host) map[netip.Prefix]string {
		return map[netip.Prefix]string{netip.PrefixFrom(h.Peer, 30).Masked(): "Site-A"}
	}
	ca := NewCA(t)
	dir := Dir(t, "")
	caFile := filepath.Join(dir, "lab-ca.pem")
	WriteFile(t, caFile, string(ca.PEM))
	tlsOptions := func(name string, more ...string) []string {
		cert, key := ca.IssueCert(t, dir, Cert{CN: name, DNSNames: []string{name}, NotAfter: time.Now().Add(365 * 24 * time.Hour),
			EKU: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err := os.Chmod(key, 0o600); err != nil { // Samba refuses a key others can read
			t.Fatal(err)
		}
		return slices.Concat([]string{"tls enabled = yes", "tls keyfile = " + key, "tls certfile = " + cert, "tls cafile = " + caFile},
			more, ADLabOptions, options)
	}
	dcs := StartSambaDCs(t,
		SambaConfig{Host: h1, Name: "LABDC", Site: "Site-A", Subnets: client(h1), Options: tlsOptions("labdc.lab.example")},
		SambaConfig{Host: h2, Name: "LABDC2", Site: "Site-B", Subnets: client(h2), Options: tlsOptions("labdc2.lab.example", "server signing = auto")})
	lab := &ADLab{DC1: dcs[0], DC2: dcs[1], H1: h1, H2: h2, CA: ca, CAFile: caFile}
	dc2 := "labdc2.lab.example"
	lab.DC1.AddDNS(t, "lab.example",
		A(dc2, h2.Addr),
		SRV("_kerberos._tcp.lab.example", 88, dc2),
		SRV("_kpasswd._tcp.lab.example", 464, dc2),
		SRV("_gc._tcp.lab.example", 3268, dc2))
	lab.DC1.AddDNS(t, "_msdcs.lab.example",
		SRV("_ldap._tcp.dc._msdcs.lab.example", 389, dc2),
		SRV("_kerberos._tcp.dc._msdcs.lab.example", 88, dc2),
		SRV("_ldap._tcp.Site-B._sites.dc._msdcs.lab.example", 389, dc2))
	ServeNTP(t, h1, ntp1)
	ServeNTP(t, h2, ntp2)
	// StartSambaDCs waits for the endpoint mapper, CLDAP and the KDC; LDAP,
	// LDAPS, the global catalog and SMB come up a moment later.
	for _, h := range []*Host{h1, h2} {
		for _, port := range []uint16{389, 636, 3268, 3269, 445} {
			h.WaitTCP(t, port)
		}
	}
	return lab
}

// DNS is the address of the domain's DNS server, DC1's.
func (l *ADLab) DNS() netip.AddrPort { return netip.AddrPortFrom(l.DC1.Addr, 53) }
