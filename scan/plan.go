package scan

import (
	"cmp"
	"fmt"
	"iter"
	"net/netip"
	"slices"
	"strings"

	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// InterfaceSet is one RPC service a dynamic-rpc entry requires: any one of its
// interfaces answers for it (SYSVOL replication is FRS on older domain
// controllers, DFSR on newer ones).
type InterfaceSet []msrpc.Interface

// Label names the set as reports do: "FRS (f5cc59b4-…) or DFSR (897e2e5f-…)".
func (s InterfaceSet) Label() string {
	var parts []string
	for _, i := range s {
		parts = append(parts, i.Label())
	}
	return strings.Join(parts, " or ")
}

// Plan is what to scan: plain data, built and checked before anything is sent.
type Plan struct {
	// Targets yields the hosts to scan. It is consumed once, as the scan goes, so a
	// /16 is never held in memory.
	Targets iter.Seq[Target]
	// Ports are scanned on every target, in order.
	Ports []Port
	// MaxPorts caps the ports the scan tests, over all its targets: those
	// planned (PortCount of each target's ports) and those the scan adds as
	// it goes (the TCP ports a SQL Browser lists, the ports an endpoint
	// mapper registers, the further addresses of a target scanned on every
	// address, the DCs of Domains with their LDAP pings). Zero means no limit. With a limit, Targets is read whole
	// before anything is sent (a limited plan is small): a plan whose planned
	// ports pass the limit is refused with a *TooManyPortsError. The ports
	// added as the scan goes share what the planned ones leave; those that
	// do not fit are not tested, and each reply or address that had more is
	// one result saying how many (state Unknown, reason
	// results.ReasonPortLimit, failing the check it carries): a limit is never
	// a silent truncation, never a pass, and never the service's fault.
	MaxPorts int
	// Domains are Active Directory domains whose domain controllers the scan
	// finds first, the way the Windows DC locator does (see Domain), and then
	// scans, before Targets.
	Domains []Domain
}

// TooManyPortsError is the refusal of a plan whose planned ports pass
// Plan.MaxPorts (from Scan, or from a planner that checks first).
type TooManyPortsError struct {
	Ports, Max int
}

func (e *TooManyPortsError) Error() string {
	return fmt.Sprintf("%d ports to test, more than %d", e.Ports, e.Max)
}

// Target is one host. Name is what the user wrote (a host name, an address, or an
// address from a range); Addr is the address to probe. When Addr is the zero
// value, the scanner resolves Name once and reports the address it used.
type Target struct {
	Name string
	Addr netip.Addr
	// Ports, when set, replace the plan's ports for this target: profiles whose
	// destination roles map to other hosts check different ports on each.
	Ports []Port
	// AllAddresses, for a Name to resolve, scans every address it resolves to
	// (IPv4 and IPv6, several A records: DNS round robin, a multi-subnet
	// availability group listener), each as a host of its own with its own
	// results; false scans the first, the one a client would try first.
	AllAddresses bool
	// Located, when set, says the DC locator found the target (a Domain of the
	// plan): every result of it carries the records that named it, and its LDAP
	// ping must answer for the domain.
	Located *Located
}

// Domain is an Active Directory domain whose domain controllers a scan finds by
// asking DNS what the Windows DC locator asks ([MS-ADTS] 6.3.6.1), and pinging
// each DC it names over CLDAP ([MS-ADTS] 6.3.3), before it checks each one on
// Ports. The questions and the pings are checks of their own (locator.go).
type Domain struct {
	// Name is the domain's DNS name ("lab.example").
	Name string
	// Site is the AD site whose DCs are asked for first
	// (_ldap._tcp.SITE._sites.dc._msdcs.NAME), as a client in that site does.
	// "" asks for the site the DCs' answers to the LDAP ping say this machine's
	// address maps to, if they name one.
	Site string
	// DNSServer is the DNS server to ask, over UDP and, for a reply that came
	// truncated, over TCP (the DC itself, or the site's DNS). The zero value
	// asks this machine's resolver (Scanner.Resolver).
	DNSServer netip.AddrPort
	// Ports are checked on every DC found; nil means the plan's Ports. The
	// entry among them that checks 389/udp with the cldap probe, if any, gives
	// its check to the locator's LDAP ping, which is its result.
	Ports []Port
	// Allow, when set, says which addresses the locator may send anything to:
	// the DNS server, and the DCs it finds (an exporter's allow-list). A DC
	// outside it is reported, never pinged or scanned; a DNS server outside
	// it, never asked.
	Allow func(netip.Addr) bool
}

// Located is what the DC locator knows of a target it found.
type Located struct {
	// Domain is the domain whose records named the target; its LDAP ping must
	// answer for it.
	Domain string
	// Forest, when set, is the forest the LDAP ping must answer for instead: the
	// target is a global catalog named only by _gc._tcp.FOREST, a DC of any
	// domain of the forest.
	Forest string
	// Site is the site the user asked for (Domain.Site), "" if none.
	Site string
	// Records are the SRV records that named the target, in the order asked.
	Records []string
}

// Kinds of Port.
const (
	KindPort       = ""            // test every port from Lo to Hi
	KindDynamicRPC = "dynamic-rpc" // ask the RPC endpoint mapper on 135/tcp which ports are in use, then test those
)

// Port is a port, or a range of ports, to test on every target.
type Port struct {
	Proto  results.Proto
	Lo, Hi uint16 // inclusive; Hi == 0 means Hi = Lo
	// Probe names the UDP probe to send, or for TCP the service to confirm
	// (probes.ServiceByName; see Scanner.Confirm); "" means the port's default.
	Probe string
	// Kind is KindPort or KindDynamicRPC. For KindDynamicRPC, Lo-Hi is the range
	// the RPC runtime was restricted to (Rpc\Internet Ports, BizTalk's
	// 50000-50200), 0 when none was declared: registered ports outside it are
	// pointed out, since a firewall rule for the range will not cover them.
	Kind string
	// EPM is the endpoint mapper's port for KindDynamicRPC; 0 means 135.
	EPM uint16
	// Interfaces, for KindDynamicRPC, are the RPC services the entry stands for:
	// each must be registered with the endpoint mapper on a TCP port that is
	// reachable and accepts a bind to it, and each gets a result of its own.
	// Without Interfaces, every registered TCP port is tested (any service).
	Interfaces []InterfaceSet
	// Check, when set, is copied into every result of this entry.
	Check *results.Check
	// Instances, on a SQL Browser port (1434/udp), are the SQL Server named
	// instances a check requires (--role sql=HOST\INSTANCE): the Browser must list
	// each, and each one's TCP port is tested with its Check. Without Instances,
	// a Browser port whose Check must be open, reachable or blocked gives that check to
	// every instance port its reply lists.
	Instances []Instance
	// epm, set by planEPM, is how this dynamic-rpc entry shares the endpoint
	// mapper with the host's other entries.
	epm *epmShare
	// udpProbe is the UDP probe Probe names, looked up once per scan
	// (resolveProbes); nil when Probe is "" or names no probe.
	udpProbe *probes.Probe
	// Why, when set, says why the entry cannot be tested (ports negotiated per
	// session, say): it is reported NotTested with Why as the reason, and nothing
	// is sent.
	Why results.Reason
	// Trace traces the entry's filtered ports (Scanner.Trace) even when the
	// scan does not trace every port: a plan item that asks for it.
	Trace bool
}

// Instance is a SQL Server named instance that a check requires.
type Instance struct {
	Name  string         // as the SQL Browser lists it; compared without regard to case
	Check *results.Check // the check of the instance's TCP port
}

func (p Port) hi() uint16 {
	if p.Hi < p.Lo {
		return p.Lo
	}
	return p.Hi
}

// Count is how many results a Port yields per target (one per port; one for an IP
// protocol or a dynamic-RPC entry before the endpoint mapper is asked).
func (p Port) Count() int {
	if p.Kind == KindDynamicRPC || p.Why != "" || (p.Proto != results.TCP && p.Proto != results.UDP) {
		return 1
	}
	return int(p.hi()) - int(p.Lo) + 1
}

// resolveProbes looks up what each entry's Probe names, once for a scan: the
// UDP probe is stored on the entry (udpProbe), in a copy of ports when there is
// any to store, since the caller's plan may be shared by other scans. err names
// the first name that is no UDP probe or, on a TCP entry, no service
// (probes.ServiceByName; the confirmation looks it up when it needs it).
func resolveProbes(ports []Port) (resolved []Port, err error) {
	resolved = ports
	for i, p := range ports {
		if p.Probe == "" {
			continue
		}
		if p.Proto == results.TCP {
			if _, ok := probes.ServiceByName(p.Probe); !ok && err == nil {
				err = fmt.Errorf("scan: unknown TCP service %q", p.Probe)
			}
			continue
		}
		pr, ok := probes.ByName(p.Probe)
		if !ok {
			if err == nil {
				err = fmt.Errorf("scan: unknown UDP probe %q", p.Probe)
			}
			continue
		}
		if &resolved[0] == &ports[0] {
			resolved = slices.Clone(ports)
		}
		resolved[i].udpProbe = pr
	}
	return resolved, err
}

// udpProbeFor is the UDP probe sent to port of the entry: the one the entry
// names, or else the port's default; nil when no probe knows the port.
func (p Port) udpProbeFor(port uint16) (*probes.Probe, error) {
	if p.Probe != "" {
		if p.udpProbe == nil {
			return nil, fmt.Errorf("unknown UDP probe %q", p.Probe)
		}
		return p.udpProbe, nil
	}
	pr, _ := probes.ForPort(port)
	return pr, nil
}

// PortCount is how many results ports yield per target before what replies
// reveal (registered RPC endpoints beyond one an entry, SQL instances nobody
// required, further addresses): Port.Count summed, except that the endpoint
// mapper's row is one per endpoint-mapper port (a fixed entry on that port
// is reported in it: planEPM), a dynamic-rpc entry yields a row per
// interface set (at least one: the registered port, or why there is none)
// and a SQL Browser entry a row per instance it requires. It is the one
// count of a plan's ports: the scanner's, the progress bar's and
// Plan.MaxPorts'.
func PortCount(ports []Port) int {
	n := 0
	epm := map[uint16]bool{} // endpoint-mapper ports with a row
	for _, p := range ports {
		if p.Kind == KindDynamicRPC && p.Why == "" {
			epm[cmp.Or(p.EPM, msrpc.EPMPort)] = true
		}
	}
	folded := map[uint16]bool{}
	for _, p := range ports {
		switch {
		case p.Kind == KindDynamicRPC && p.Why == "":
			n += max(1, len(p.Interfaces))
		case p.Kind == KindPort && p.Why == "" && p.Proto == results.TCP && p.hi() == p.Lo && epm[p.Lo] && !folded[p.Lo]:
			folded[p.Lo] = true // reported in the endpoint mapper's row
		default:
			n += p.Count() + len(p.Instances)
		}
	}
	return n + len(epm)
}
