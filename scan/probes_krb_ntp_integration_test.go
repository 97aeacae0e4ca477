//go:build linux

package scan

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// These tests run real Debian daemons inside test hosts and scan them with the
// Kerberos, kpasswd, NTP and NBSTAT probes: MIT krb5kdc and kadmind (krb5-kdc,
// krb5-admin-server), chronyd (chrony) and Samba's nmbd (samba). SQL Server
// Browser has no Debian implementation, so its test runs the [MC-SQLR] stand-in
// of internal/testnet. Debian packages are listed in .ci/packages.txt.

// TestKerberosMITIntegration: MIT krb5kdc answers the AS-REQ on 88 with
// C_PRINCIPAL_UNKNOWN for the probe's realm; kadmind's kpasswd service answers
// the RFC 3244 frame on 464 with a framed KRB-ERROR naming its own realm.
func TestKerberosMITIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "krb5kdc", "kadmind", "kdb5_util")
	h := testnet.NewHost(t)
	dir := testnet.Dir(t, "")
	const realm = "PORTREACH.TEST"
	testnet.WriteFile(t, filepath.Join(dir, "krb5.conf"), fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
[realms]
	%[1]s = {
		kdc = %[2]s
		admin_server = %[2]s
	}
`, realm, h.Addr))
	testnet.WriteFile(t, filepath.Join(dir, "kdc.conf"), fmt.Sprintf(`[kdcdefaults]
	kdc_ports = 88
	kdc_tcp_ports = 88
[realms]
	%[1]s = {
		database_name = %[2]s/principal
		key_stash_file = %[2]s/stash
		acl_file = %[2]s/kadm5.acl
		kadmind_port = 749
		kpasswd_port = 464
	}
[logging]
	kdc = FILE:%[2]s/kdc.log
	admin_server = FILE:%[2]s/kadmind.log
`, realm, dir))
	testnet.WriteFile(t, filepath.Join(dir, "kadm5.acl"), "*/admin@"+realm+" *\n")
	t.Setenv("KRB5_CONFIG", filepath.Join(dir, "krb5.conf"))
	t.Setenv("KRB5_KDC_PROFILE", filepath.Join(dir, "kdc.conf"))
	if out, err := exec.Command("kdb5_util", "create", "-s", "-r", realm, "-P", "throwaway-master-key").CombinedOutput(); err != nil {
		t.Fatalf("kdb5_util create: %v\n%s", err, out)
	}
	h.Start(t, "krb5kdc", "-n", "-P", filepath.Join(dir, "krb5kdc.pid"))
	h.Start(t, "kadmind", "-nofork", "-P", filepath.Join(dir, "kadmind.pid"))
	h.WaitUDP(t, 88)
	h.WaitUDP(t, 464)

	got := scanDaemon(t, nil, h.Addr, Port{Proto: results.UDP, Lo: 88}, Port{Proto: results.UDP, Lo: 464})

	r := expectResult(t, got, results.UDP, 88, "kerberos", "", results.Open)
	d, ok := r.Details.(*probes.KerberosDetail)
	// The KDC echoes the probe's realm, which says nothing about it: no realm
	// is shown (issue 18 item 11); kpasswd names its own.
	if !ok || d.Message != "KRB-ERROR" || d.ErrorCode != 6 || d.Realm != "" || d.Service != "krbtgt/PROBE.INVALID" || d.Kpasswd || d.KDCTime == nil {
		t.Errorf("88/udp details %#v", r.Details)
	}
	if r.Detail == "" || strings.Contains(r.Detail, "realm") {
		t.Errorf("88/udp: summary %q", r.Detail)
	}
	r = expectResult(t, got, results.UDP, 464, "kpasswd", "", results.Open)
	d, ok = r.Details.(*probes.KerberosDetail)
	if !ok || !d.Kpasswd || d.Realm != realm || d.Service != "kadmin/changepw" || d.KpasswdResult == nil {
		t.Errorf("464/udp details %#v", r.Details)
	}
}

// TestNTPChronyIntegration: chronyd serving its local clock at stratum 10, with
// no upstream, answers the client request; 464/udp, where nothing listens in this
// host, is closed.
func TestNTPChronyIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "chronyd")
	h := testnet.NewHost(t)
	dir := testnet.Dir(t, "")
	// No server or pool lines: chronyd talks to nobody. bindcmdaddress / turns
	// off the command socket so instances in parallel tests do not collide.
	testnet.WriteFile(t, filepath.Join(dir, "chrony.conf"), fmt.Sprintf(`local stratum 10
allow 198.18.0.0/15
bindaddress %s
port 123
cmdport 0
bindcmdaddress /
pidfile %s/chronyd.pid
`, h.Addr, dir))
	h.Start(t, "chronyd", "-f", filepath.Join(dir, "chrony.conf"), "-x", "-d")
	h.WaitUDP(t, 123)

	got := scanDaemon(t, nil, h.Addr, Port{Proto: results.UDP, Lo: 123}, Port{Proto: results.UDP, Lo: 464})
	r := expectResult(t, got, results.UDP, 123, "ntp", "", results.Open)
	d, ok := r.Details.(*probes.NTPDetail)
	if !ok || d.Stratum != 10 || d.RefID != "127.127.1.1" || d.Version != 4 || d.KissCode != "" || d.ServerTime.IsZero() {
		t.Errorf("123/udp details %#v", r.Details)
	}
	expectResult(t, got, results.UDP, 464, "kpasswd", "", results.Closed)
}

// TestNBStatNmbdIntegration: Samba's nmbd, standalone, answers the node status
// query with its names once it has registered them.
func TestNBStatNmbdIntegration(t *testing.T) {
	testnet.Require(t)
	testnet.Need(t, "nmbd")
	h := testnet.NewHost(t)
	dir := testnet.Dir(t, "")
	for _, sub := range []string{"lock", "state", "cache", "pid", "private", "log"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "smb.conf")
	testnet.WriteFile(t, conf, fmt.Sprintf(`[global]
	workgroup = PROBEWG
	netbios name = PROBEHOST
	server role = standalone server
	interfaces = %s/30
	bind interfaces only = yes
	wins support = no
	dns proxy = no
	lock directory = %[2]s/lock
	state directory = %[2]s/state
	cache directory = %[2]s/cache
	pid directory = %[2]s/pid
	private dir = %[2]s/private
	log file = %[2]s/log/nmbd.log
`, h.Addr, dir))
	h.Start(t, "nmbd", "-F", "--no-process-group", "--debug-stdout", "-s", conf)
	h.WaitUDP(t, 137)

	// nmbd lists a name only once it has registered it (a few broadcast rounds
	// after start), so rescan until the computer name shows: a readiness wait,
	// bounded so a broken setup fails rather than hangs.
	var r results.Result
	var d *probes.NBStatDetail
	for deadline := time.Now().Add(90 * time.Second); ; {
		got := scanDaemon(t, nil, h.Addr, Port{Proto: results.UDP, Lo: 137})
		r = expectResult(t, got, results.UDP, 137, "nbstat", "", results.Open)
		d, _ = r.Details.(*probes.NBStatDetail)
		if d != nil && d.ComputerName == "PROBEHOST" && slices.Contains(d.Roles, "file service") || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if d == nil || d.ComputerName != "PROBEHOST" || d.Domain != "PROBEWG" || !slices.Contains(d.Roles, "file service") || d.MAC != "none" {
		t.Errorf("137/udp details %#v (summary %q)", r.Details, r.Detail)
	}
}

// TestSQLBrowserStandInIntegration: the [MC-SQLR] stand-in lists two instances;
// the scanner follows up on their TCP ports on the scanned address: one has a
// listener (open), the other none (closed).
func TestSQLBrowserStandInIntegration(t *testing.T) {
	testnet.Require(t)
	h := testnet.NewHost(t)
	testnet.StartSQLBrowser(t, h, []testnet.SQLInstance{
		{Server: "SQL01", Name: "MSSQLSERVER", Version: "15.0.2000.5", TCPPort: 1433, Pipe: `\\SQL01\pipe\sql\query`},
		{Server: "SQL01", Name: "SQLEXPRESS", Version: "16.0.1000.6", TCPPort: 49733},
	})
	testnet.ServeTCP(t, h, 49733)

	got := scanDaemon(t, nil, h.Addr, Port{Proto: results.UDP, Lo: 1434})
	r := expectResult(t, got, results.UDP, 1434, "sqlbrowser", "", results.Open)
	d, ok := r.Details.(*probes.SQLBrowserDetail)
	if !ok || len(d.Instances) != 2 || d.Instances[0].Name != "MSSQLSERVER" || d.Instances[1].TCPPort != 49733 {
		t.Errorf("1434/udp details %#v", r.Details)
	}
	expectResult(t, got, results.TCP, 49733, "sqlbrowser", "instance SQLEXPRESS", results.Open)
	expectResult(t, got, results.TCP, 1433, "sqlbrowser", "instance MSSQLSERVER", results.Closed)
}
