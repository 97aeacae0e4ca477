//go:build linux

package scan

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/msrpc"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

var epmCapture = flag.Bool("epm-capture", false, "write the Samba endpoint mapper exchanges to msrpc/testdata")

// recorder keeps every byte the server sent, for the captures in msrpc/testdata.
type recorder struct {
	net.Conn
	got []byte
}

func (r *recorder) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	r.got = append(r.got, b[:n]...)
	return n, err
}

// lookupRecorded runs one exchange with the given max_ents and returns the result
// and the server's bytes.
func lookupRecorded(t *testing.T, addr netip.AddrPort, maxEnts uint32) (*EPMResult, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr.String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	rec := &recorder{Conn: conn}
	lr, err := (&msrpc.Client{MaxEnts: maxEnts}).Lookup(rec)
	if err != nil {
		t.Fatalf("max_ents %d: %v", maxEnts, err)
	}
	return &EPMResult{Addr: addr, LookupResult: *lr}, rec.got
}

func writeCapture(t *testing.T, name, note string, b []byte) {
	t.Helper()
	var sb strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(note), "\n") {
		sb.WriteString("# " + l + "\n")
	}
	for i := 0; i < len(b); i += 32 {
		sb.WriteString(hex.EncodeToString(b[i:min(i+32, len(b))]) + "\n")
	}
	path := filepath.Join("..", "msrpc", "testdata", name)
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(b))
}

// waitRegistered retries the lookup until Samba's RPC server has registered its
// ncacn_ip_tcp endpoints: the endpoint mapper listens a moment before the
// interfaces are all in.
func waitRegistered(t *testing.T, addr netip.AddrPort) *EPMResult {
	t.Helper()
	var res *EPMResult
	for range 100 {
		var err error
		res, err = LookupEndpoints(t.Context(), addr, 10*time.Second)
		if err == nil && hasInterface(res, "Netlogon") && hasInterface(res, "DRSUAPI") {
			return res
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Samba never registered Netlogon and DRSUAPI: %+v", res)
	return nil
}

func hasInterface(res *EPMResult, prefix string) bool {
	if res == nil {
		return false
	}
	for _, p := range res.TCPPorts() {
		for _, e := range p.Interfaces {
			if strings.HasPrefix(e.Name, prefix) {
				return true
			}
		}
	}
	return false
}

func TestEPMSambaIntegration(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	dc := testnet.StartSambaDC(t, h)
	addr := netip.AddrPortFrom(h.Addr, msrpc.EPMPort)
	res := waitRegistered(t, addr)

	// The same DC answers the CLDAP Netlogon ping (389/udp) through the scanner.
	var cl []results.Result
	cplan := Plan{Targets: slices.Values([]Target{{Name: "dc", Addr: h.Addr}}),
		Ports: []Port{{Proto: results.UDP, Lo: 389, Probe: "cldap"}}}
	if err := (&Scanner{Timeout: 2 * time.Second}).Scan(t.Context(), cplan, func(r results.Result) { cl = append(cl, r) }); err != nil {
		t.Fatal(err)
	}
	if len(cl) != 1 || cl[0].State != results.Open || cl[0].Probe != "cldap" {
		t.Fatalf("CLDAP: %+v", cl)
	}
	nl, ok := cl[0].Details.(*probes.CLDAPDetail)
	if !ok || nl.Netlogon == nil || nl.Netlogon.DNSDomain != "lab.example" || nl.Netlogon.NetBIOSDomain != dc.Domain ||
		nl.Netlogon.DNSHost != "labdc.lab.example" || nl.Netlogon.Flags&0x125 != 0x125 { // PDC, GC, KDC, WRITABLE
		t.Errorf("CLDAP details %#v", cl[0].Details)
	}
	t.Logf("CLDAP: %s", cl[0].Detail)

	// With the rootDSE option the same probe also reads the rootDSE.
	cl = nil
	s := &Scanner{Timeout: 2 * time.Second, Probes: probes.Options{CLDAPRootDSE: true}}
	if err := s.Scan(t.Context(), cplan, func(r results.Result) { cl = append(cl, r) }); err != nil {
		t.Fatal(err)
	}
	rd, ok := cl[0].Details.(*probes.CLDAPDetail)
	if !ok || rd.Netlogon == nil || len(rd.RootDSE["defaultNamingContext"]) != 1 ||
		rd.RootDSE["defaultNamingContext"][0] != "DC=lab,DC=example" || !strings.Contains(cl[0].Detail, "DC functional level") {
		t.Errorf("CLDAP with rootDSE: %s %#v", cl[0].Detail, cl[0].Details)
	}

	ports := res.TCPPorts()
	for _, p := range ports {
		var names []string
		for _, e := range p.Interfaces {
			names = append(names, e.Label()+" v"+e.Version)
		}
		t.Logf("%d/tcp: %s", p.Port, strings.Join(names, ", "))
	}
	// The interfaces a Samba AD DC registers on ncacn_ip_tcp, with their versions.
	want := map[string]string{
		"12345678-1234-abcd-ef00-01234567cffb": "1.0", // Netlogon
		"12345778-1234-abcd-ef00-0123456789ab": "0.0", // LSA
		"12345778-1234-abcd-ef00-0123456789ac": "1.0", // SAMR
		"e3514235-4b06-11d1-ab04-00c04fc2dcd2": "4.0", // DRSUAPI
	}
	for uuid, ver := range want {
		found := false
		for _, p := range ports {
			for _, e := range p.Interfaces {
				if e.Interface.String() == uuid && e.Version == ver && e.Protocol == "ncacn_ip_tcp" {
					found = p.Port != 0 && p.Port != msrpc.EPMPort || found
				}
			}
		}
		if !found {
			t.Errorf("%s v%s (%s) not registered on a TCP port", uuid, ver, msrpc.InterfaceName(msrpc.MustParseUUID(uuid)))
		}
	}
	if res.Calls != 2 || res.Truncated || res.BadTowers != 0 {
		t.Errorf("calls %d truncated %v bad towers %d; want Samba's 2 calls (entries, then an empty reply)", res.Calls, res.Truncated, res.BadTowers)
	}
	for _, e := range res.Endpoints {
		if e.Interface == msrpc.MustParseUUID("afa8bd80-7d8a-11c9-bef4-08002b102989") {
			t.Errorf("mgmt interface listed: %+v", e)
		}
	}

	// Small batches must give the same endpoints: the loop follows the handle.
	small, stream2 := lookupRecorded(t, addr, 2)
	if fmt.Sprint(small.Endpoints) != fmt.Sprint(res.Endpoints) || small.Entries != res.Entries {
		t.Errorf("max_ents 2: %d entries in %d calls, %d endpoints; max_ents 500: %d entries, %d endpoints",
			small.Entries, small.Calls, len(small.Endpoints), res.Entries, len(res.Endpoints))
	}
	if want := (res.Entries+1)/2 + 1; small.Calls != want {
		t.Errorf("max_ents 2: %d calls for %d entries, want %d", small.Calls, small.Entries, want)
	}

	// Stopping early releases the handle with ept_lookup_handle_free; Samba must
	// accept it (status 0).
	trunc, err := (&EPMClient{MaxEnts: 3, MaxCalls: 2}).Lookup(t.Context(), addr)
	if err != nil || !trunc.Truncated || trunc.Entries != 6 {
		t.Errorf("truncated lookup: %+v, %v", trunc, err)
	}

	if *epmCapture {
		full, stream500 := lookupRecorded(t, addr, 500)
		note := fmt.Sprintf(`Server-to-client byte stream of one endpoint mapper exchange over TCP 135:
bind_ack, then the ept_lookup responses (max_ents %%d), PDUs back to back.
Captured from %s AD DC (Debian bookworm package), provisioned with
samba-tool domain provision --realm=LAB.EXAMPLE --domain=LAB --dns-backend=SAMBA_INTERNAL,
running in a network namespace at %s, by
go test ./scan -run TestEPMSambaIntegration -epm-capture (%s).
%d entries, %d ept_lookup calls.`, dc.Version, h.Addr, time.Now().UTC().Format("2006-01-02"), full.Entries, full.Calls)
		writeCapture(t, "epm-samba-lookup500.hex", fmt.Sprintf(note, 500), stream500)
		note2 := strings.Replace(note, fmt.Sprintf("%d entries, %d ept_lookup calls.", full.Entries, full.Calls),
			fmt.Sprintf("%d entries, %d ept_lookup calls.", small.Entries, small.Calls), 1)
		writeCapture(t, "epm-samba-lookup2.hex", fmt.Sprintf(note2, 2), stream2)
	}

	// Block one registered port and one port of a declared range inside the host:
	// a scan with a dynamic-rpc entry must report the blocked registered port
	// filtered with the interfaces behind it, the others open, and the range port
	// by port.
	var blocked msrpc.PortEndpoints
	for _, p := range ports {
		if p.Port >= 49152 {
			blocked = p
		}
	}
	if blocked.Port == 0 {
		t.Fatalf("no dynamic port registered: %+v", ports)
	}
	h.NFT(t, fmt.Sprintf(`table inet epmtest {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport { %d, 49150 } drop
	}
}`, blocked.Port))
	check := &results.Check{Profiles: []string{"ad-dc"}, Service: "RPC dynamic ports", Expect: results.ExpectOpen}
	plan := Plan{
		Targets: slices.Values([]Target{{Name: "dc", Addr: h.Addr}}),
		Ports: []Port{
			{Proto: results.TCP, Kind: KindDynamicRPC, Check: check},
			{Proto: results.TCP, Lo: 49148, Hi: 49151},
		},
	}
	var got []results.Result
	if err := (&Scanner{Timeout: 500 * time.Millisecond}).Scan(t.Context(), plan, func(r results.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	seen := map[uint16]bool{}
	for _, r := range got {
		t.Logf("%d/%s %s %s probe=%q under=%q detail=%q", r.Port, r.Proto, r.State, r.Reason, r.Probe, r.Under, r.Detail)
		switch {
		case r.Probe == ProbeEPM && r.Port == 135 && r.Via == "":
			if r.State != results.Open || r.Reason != results.ReasonEPMListed || !r.Met() {
				t.Errorf("endpoint mapper: %+v", r)
			}
		case r.Probe == ProbeEPM && r.Port == blocked.Port:
			seen[r.Port] = true
			if r.State != results.Filtered || r.Met() || r.Under != EPMLabels(blocked.Interfaces) ||
				!strings.Contains(r.Under, blocked.Interfaces[0].Name) || !strings.HasPrefix(r.Detail, "registered (dynamic)") || r.Via != "135/tcp" {
				t.Errorf("blocked registered port: %+v", r)
			}
		case r.Probe == ProbeEPM && r.Port >= 49152:
			seen[r.Port] = true
			if r.State != results.Open {
				t.Errorf("registered port %d (%s): %s", r.Port, r.Under, r.State)
			}
		case r.Probe == "" && r.Port >= 49148 && r.Port <= 49151:
			want := results.Closed
			if r.Port == 49150 {
				want = results.Filtered
			}
			if r.State != want {
				t.Errorf("range port %d: %s, want %s", r.Port, r.State, want)
			}
		}
	}
	for _, p := range ports {
		if p.Port >= 49152 && !seen[p.Port] {
			t.Errorf("registered port %d not reported", p.Port)
		}
	}
}

// bindRecorded binds to id on addr and returns the answer and the server's bytes.
func bindRecorded(t *testing.T, addr netip.AddrPort, id msrpc.Interface) (*msrpc.BindAck, error, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr.String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	rec := &recorder{Conn: conn}
	ack, err := (&msrpc.Client{}).Bind(rec, id)
	return ack, err, rec.got
}

// Named interfaces against a Samba AD DC: the domain controller's interfaces are
// registered, reachable and bind; MSDTC is not registered; a UUID Samba does not
// serve is refused on a port Samba serves; a dropped DRSUAPI port fails the
// DRSUAPI check and names it. The profiles' own endpoint-mapper entry and the
// dynamic-rpc entry share one 135/tcp row.
func TestRPCInterfacesSamba(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	dc := testnet.StartSambaDC(t, h)
	addr := netip.AddrPortFrom(h.Addr, msrpc.EPMPort)
	res := waitRegistered(t, addr)
	portOf := func(key string) uint16 {
		i, _ := msrpc.LookupInterface(key)
		for _, e := range res.Endpoints {
			if e.Interface == i.UUID && e.Protocol == "ncacn_ip_tcp" {
				return e.Port
			}
		}
		t.Fatalf("%s not registered on TCP", key)
		return 0
	}

	// Samba binds its own interfaces and refuses one it does not serve.
	lsa, _ := msrpc.LookupInterface("lsarpc")
	lsaPort := netip.AddrPortFrom(h.Addr, portOf("lsarpc"))
	ack, err, ackBytes := bindRecorded(t, lsaPort, lsa)
	if err != nil || ack == nil {
		t.Fatalf("bind to LSA on %s: %v", lsaPort, err)
	}
	dtc, _ := msrpc.LookupInterface("msdtc")
	_, err, rejBytes := bindRecorded(t, lsaPort, dtc)
	var re *msrpc.Error
	if !errors.As(err, &re) {
		t.Fatalf("bind to MSDTC on Samba's LSA port: %v, want a refusal", err)
	}
	t.Logf("MSDTC on %s: %v", lsaPort, err)
	if *epmCapture {
		note := fmt.Sprintf(`Server-to-client bytes of one DCE/RPC bind over TCP, captured from %s AD DC
(Debian bookworm package) in a network namespace at %s by
go test ./scan -run TestRPCInterfacesSamba -epm-capture (%s).
%%s`, dc.Version, h.Addr, time.Now().UTC().Format("2006-01-02"))
		writeCapture(t, "bind-samba-ack.hex", fmt.Sprintf(note, "Bind to LSA 12345778-1234-abcd-ef00-0123456789ab v0.0 on its registered port: bind_ack, context accepted."), ackBytes)
		writeCapture(t, "bind-samba-reject.hex", fmt.Sprintf(note, "Bind to MSDTC 906b0ce0-c70b-1067-b317-00dd010662da v1.0 on LSA's port: "+err.Error()+"."), rejBytes)
	}

	drsPort := portOf("drsuapi")
	epmCheck := &results.Check{Profiles: []string{"rpc"}, Service: "RPC endpoint mapper", Expect: results.ExpectOpen}
	dynCheck := &results.Check{Profiles: []string{"domain-controller", "msdtc"}, Service: "Dynamic RPC", Expect: results.ExpectOpen}
	var sets []InterfaceSet
	for _, k := range []string{"lsarpc", "samr", "netlogon", "drsuapi", "msdtc"} {
		i, _ := msrpc.LookupInterface(k)
		sets = append(sets, InterfaceSet{i})
	}
	frs, _ := msrpc.LookupInterface("frsrpc")
	dfsr, _ := msrpc.LookupInterface("dfsr")
	sets = append(sets, InterfaceSet{frs, dfsr})
	plan := Plan{
		Targets: slices.Values([]Target{{Name: "dc", Addr: h.Addr}}),
		Ports: []Port{
			{Proto: results.TCP, Lo: 135, Check: epmCheck},
			{Proto: results.TCP, Kind: KindDynamicRPC, Interfaces: sets, Check: dynCheck},
		},
	}
	scan := func() map[string]results.Result {
		t.Helper()
		var got []results.Result
		if err := (&Scanner{Timeout: 500 * time.Millisecond}).Scan(t.Context(), plan, func(r results.Result) { got = append(got, r) }); err != nil {
			t.Fatal(err)
		}
		rows := map[string]results.Result{}
		epmRows := 0
		for _, r := range got {
			t.Logf("%d/%s %s %s outcome=%v via=%q under=%q detail=%q", r.Port, r.Proto, r.State, r.Reason, results.Judge(&r), r.Via, r.Under, r.Detail)
			if r.Port == 135 && r.Via == "" {
				epmRows++
				if r.Check != epmCheck || r.Reason != results.ReasonEPMListed || results.Fails(&r) {
					t.Errorf("endpoint mapper row: %+v", r)
				}
				continue
			}
			if r.Check != dynCheck || r.Via != "135/tcp" {
				t.Errorf("interface row without the entry's check or via: %+v", r)
			}
			rows[strings.Fields(r.Detail)[0]] = r
		}
		if epmRows != 1 {
			t.Errorf("%d rows for 135/tcp, want 1", epmRows)
		}
		return rows
	}

	rows := scan()
	for _, name := range []string{"LSA", "SAMR", "Netlogon", "DRSUAPI"} {
		r, ok := rows[name]
		if !ok || r.State != results.Open || r.Reason != results.ReasonRPCBindAck || results.Fails(&r) {
			t.Errorf("%s: %+v, want open with a bind_ack, met", name, r)
		}
	}
	for _, name := range []string{"MSDTC", "FRS"} {
		r := rows[name]
		if r.Reason != results.ReasonNotRegistered || !results.Fails(&r) || results.Judge(&r).Why != results.ReasonNotRegistered {
			t.Errorf("%s: %+v, want failed, not-registered", name, r)
		}
	}
	if r := rows["MSDTC"]; !strings.Contains(r.Detail, "MSDTC (906b0ce0-…) is not registered") {
		t.Errorf("MSDTC detail %q", r.Detail)
	}

	h.NFT(t, fmt.Sprintf(`table inet rpctest {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport %d drop
	}
}`, drsPort))
	rows = scan()
	r := rows["DRSUAPI"]
	want := fmt.Sprintf("DRSUAPI (e3514235-…) registered on %d/tcp: filtered", drsPort)
	if r.State != results.Filtered || !results.Fails(&r) || r.Port != drsPort || !strings.HasPrefix(r.Detail, want) {
		t.Errorf("dropped DRSUAPI port: %+v, want %q", r, want)
	}
}
