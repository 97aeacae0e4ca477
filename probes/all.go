package probes

// all is the explicit list of probes: no init() registration, so the set is visible
// in one place and a test can check that names and default ports are unique.
var all = []*Probe{
	// (entries are added by the probe files' authors, one line each)
	IKE, IKENATT, // ike.go
	L2TP,               // l2tp.go
	RADIUS, RADIUSAcct, // radius.go
	NetBIOSDgm, SNMPTrap, DHCP, LLMNR, WINS, MADCAP, // silent.go
	Echo, Discard, Daytime, QOTD, Chargen, // simple.go
	TCPOnly, MSRPCUDP, MMS, MSMQUDP, MSTheater, SMSRemote, Cluster, BINL, RTP, // silent_ports.go
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
