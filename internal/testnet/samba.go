//go:build linux

package testnet

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// SambaDC is a Samba Active Directory domain controller running inside a test
// host: the one real implementation of the endpoint mapper, CLDAP, NBNS and a
// Heimdal KDC that Debian ships.
type SambaDC struct {
	Realm   string // LAB.EXAMPLE
	Domain  string // NetBIOS domain, LAB
	Host    string // NetBIOS / DNS host name, LABDC
	Dir     string // provisioned tree (smb.conf in etc/, databases in private/)
	Conf    string // path of smb.conf
	Version string // `samba --version`
	Cmd     *exec.Cmd
}

// The Debian packages a Samba AD DC needs: samba (the daemon and samba-tool),
// samba-ad-provision (the schema files provisioning reads), samba-dsdb-modules (the
// directory modules) and samba-vfs-modules (acl_xattr, which provisioning uses to
// set the sysvol ACLs).
var sambaPackages = []string{"samba", "samba-ad-provision", "samba-dsdb-modules", "samba-vfs-modules"}

// StartSambaDC provisions a fresh domain (realm LAB.EXAMPLE, NetBIOS domain LAB,
// internal DNS) in a temporary directory, starts `samba` inside h bound only to
// h.Addr, and returns once the endpoint mapper (135/tcp), CLDAP (389/udp) and the
// KDC (88/udp) listen. The daemon is stopped and its files removed when the test
// ends.
//
// Nothing reaches outside the host: the DNS server gets no forwarder (provisioning
// would copy one from /etc/resolv.conf otherwise), and the services that would try
// to talk to others (winbindd, dnsupdate, ntp_signd) are not started; the host has
// no default route anyway.
//
// Options are extra smb.conf [global] lines, such as
// "rpc server dynamic port range = 50000-50200".
//
// Provisioning takes about five seconds. It is done per call because the host
// address is written into the directory's DNS records and smb.conf.
func StartSambaDC(t testing.TB, h *Host, options ...string) *SambaDC {
	t.Helper()
	var missing []string
	for _, tool := range []string{"samba", "samba-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if _, err := os.Stat("/usr/share/samba/setup/ad-schema"); err != nil {
		missing = append(missing, "samba-ad-provision")
	}
	if len(missing) > 0 {
		msg := "Samba AD DC needs " + strings.Join(missing, ", ") + " (Debian: " + strings.Join(sambaPackages, " ") + ")"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: not skipping)")
		}
		t.Skip(msg)
	}
	dir, err := os.MkdirTemp("", "portreach-samba-")
	if err != nil {
		t.Fatal(err)
	}
	dc := &SambaDC{Realm: "LAB.EXAMPLE", Domain: "LAB", Host: "LABDC", Dir: dir,
		Conf: filepath.Join(dir, "etc", "smb.conf")}
	// An empty configuration keeps provisioning from merging /etc/samba/smb.conf.
	empty := filepath.Join(dir, "empty.conf")
	if err := os.WriteFile(empty, []byte("[global]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("samba", "--version").Output(); err == nil {
		dc.Version = "Samba " + strings.TrimPrefix(strings.TrimSpace(string(out)), "Version ")
	}
	h.Exec(t, "samba-tool", "domain", "provision", "-s", empty,
		"--realm="+dc.Realm, "--domain="+dc.Domain, "--host-name="+strings.ToLower(dc.Host),
		"--server-role=dc", "--dns-backend=SAMBA_INTERNAL",
		"--adminpass=Portreach.Lab1", "--targetdir="+dir, "--host-ip="+h.Addr.String(),
		"--option=interfaces="+h.Addr.String(), "--option=bind interfaces only=yes",
		"--option=dns forwarder=")
	conf, err := os.ReadFile(dc.Conf)
	if err != nil {
		t.Fatal(err)
	}
	extra := strings.Join(append([]string{
		"server services = -winbindd -dnsupdate -ntp_signd",
		"dns forwarder =",
		"pid directory = " + filepath.Join(dir, "run"),
		"log file = " + filepath.Join(dir, "log.%m"),
		"log level = 0",
		"winbindd socket directory = " + filepath.Join(dir, "winbindd"),
		"ntp signd socket directory = " + filepath.Join(dir, "ntp_signd"),
		// Defaults under /run/samba would be shared by concurrent test DCs.
		"ncalrpc dir = " + filepath.Join(dir, "ncalrpc"),
		"usershare path = " + filepath.Join(dir, "usershares"),
	}, options...), "\n\t")
	s := strings.Replace(string(conf), "[global]\n", "[global]\n\t"+extra+"\n", 1)
	if err := os.WriteFile(dc.Conf, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	dc.Cmd = h.Start(t, "samba", "-F", "--debug-stdout", "-s", dc.Conf)
	// Stop the daemon before its directory goes (cleanups run last-in first-out;
	// the host's own cleanup, which would also stop it, runs after this one).
	t.Cleanup(func() {
		stop(dc.Cmd)
		_ = os.RemoveAll(dir)
	})
	h.WaitTCP(t, 135)
	h.WaitUDP(t, 389)
	h.WaitUDP(t, 88)
	return dc
}
