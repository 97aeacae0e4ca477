package probes

import "slices"

// all is the explicit list of probes: no init() registration, so the set is visible
// in one place, and TestConformance checks every entry (unique names and ports,
// matchers that refuse their own request and garbage, drift fields that exist).
var all = []*Probe{
	// (entries are added by the probe files' authors, one line each)
	IKE, IKENATT, // ike.go
	L2TP,               // l2tp.go
	RADIUS, RADIUSAcct, // radius.go
	NetBIOSDgm,                            // netbiosdgm.go
	SNMPTrap,                              // snmptrap.go
	DHCP,                                  // dhcp.go
	LLMNR,                                 // llmnr.go
	Echo, Discard, Daytime, QOTD, Chargen, // simple.go
	WINS, MADCAP, TCPOnly, MSRPCUDP, MMS, MSMQUDP, MSTheater, SMSRemote, Cluster, BINL, RTP, // noreply.go
	DNS,               // dns.go
	SNMP,              // snmp.go
	TFTP,              // tftp.go
	SSDP,              // ssdp.go
	Kerberos, Kpasswd, // kerberos.go
	CLDAP,      // cldap.go
	NTP,        // ntp.go
	NBStat,     // nbstat.go
	SQLBrowser, // sqlbrowser.go
	MSMQ,       // msmq.go
}

// All returns every probe.
func All() []*Probe { return append([]*Probe(nil), all...) }

// ByName returns the probe with that name.
func ByName(name string) (*Probe, bool) {
	for _, p := range all {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// ForPort returns the default probe for a UDP port.
func ForPort(port uint16) (*Probe, bool) {
	for _, p := range all {
		for _, q := range p.Ports {
			if q == port {
				return p, true
			}
		}
	}
	return nil, false
}

// services is the explicit list of TCP service confirmations, checked by
// TestConformance like all.
var services = []*Service{
	SMTP, SMTPS, // smtp.go, tls.go
	IMAP, IMAPS, // imap.go, tls.go
	POP3, POP3S, // pop3.go, tls.go
	FTP,         // ftp.go
	NNTP,        // nntp.go
	HTTP, HTTPS, // http.go, tls.go
	WinRM, WinRMS, // http.go, tls.go
	HTTPSEWS,        // tls.go
	TLS,             // tls.go
	SMB, NetBIOSSSN, // smb.go
	LDAP, LDAPS, // ldap.go
	KerberosTCP, // kerberos.go
	DNSTCP,      // dns.go
	RDP,         // rdp.go
	TDS,         // tds.go
}

// Services returns every TCP service confirmation.
func Services() []*Service { return append([]*Service(nil), services...) }

// ServiceByName returns the TCP service with that name.
func ServiceByName(name string) (*Service, bool) {
	for _, s := range services {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// ServiceForPort returns the TCP service a well-known port has.
func ServiceForPort(port uint16) (*Service, bool) {
	for _, s := range services {
		if slices.Contains(s.Ports, port) {
			return s, true
		}
	}
	return nil, false
}
