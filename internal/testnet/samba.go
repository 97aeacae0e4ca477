//go:build linux

package testnet

import (
	"cmp"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// SambaDC is a Samba Active Directory domain controller running inside a test
// host: the one real implementation of the endpoint mapper, CLDAP, NBNS and a
// Heimdal KDC that Debian ships.
type SambaDC struct {
	Realm   string     // LAB.EXAMPLE
	Domain  string     // NetBIOS domain, LAB
	Host    string     // NetBIOS / DNS host name, LABDC
	Site    string     // AD site, Default-First-Site-Name
	Addr    netip.Addr // the test host's address, where it serves
	Dir     string     // provisioned tree (smb.conf in etc/, databases in private/)
	Conf    string     // path of smb.conf
	Version string     // `samba --version`
	Cmd     *exec.Cmd
}

// The Debian packages a Samba AD DC needs: samba (the daemon and samba-tool),
// samba-ad-provision (the schema files provisioning reads), samba-dsdb-modules (the
// directory modules) and samba-vfs-modules (acl_xattr, which provisioning uses to
// set the sysvol ACLs).
var sambaPackages = []string{"samba", "samba-ad-provision", "samba-dsdb-modules", "samba-vfs-modules"}

// SambaConfig is one DC for StartSambaDCs to provision. The zero value of every
// field but Host is StartSambaDC's: realm LAB.EXAMPLE, NetBIOS domain LAB, host
// LABDC, site Default-First-Site-Name.
type SambaConfig struct {
	Host   *Host
	Realm  string
	Domain string
	Name   string // the DC's host name
	// Site is the AD site the DC is provisioned in (samba-tool domain provision
	// --site): it registers the site's SRV records and names it in its answers
	// to LDAP pings.
	Site string
	// Subnets maps subnets to sites before the DC starts (samba-tool sites
	// subnet create; a site other than Site is created first), so that its
	// answers to LDAP pings from them name the client's site, and set
	// DS_CLOSEST_FLAG when it is the DC's own.
	Subnets map[netip.Prefix]string
	// Options are extra smb.conf [global] lines, such as
	// "rpc server dynamic port range = 50000-50200".
	Options []string
}

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
// Provisioning takes about five seconds on an idle machine (a minute on a busy
// one). It is done per call because the host address is written into the
// directory's DNS records and smb.conf.
func StartSambaDC(t testing.TB, h *Host, options ...string) *SambaDC {
	t.Helper()
	return StartSambaDCs(t, SambaConfig{Host: h, Options: options})[0]
}

// StartSambaDCs provisions one DC per configuration, side by side (provisioning
// is most of the time), then starts each as StartSambaDC does. Each is a domain
// of its own: two DCs of one realm are two provisionings, not a join.
func StartSambaDCs(t testing.TB, cfgs ...SambaConfig) []*SambaDC {
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
	version := ""
	if out, err := exec.Command("samba", "--version").Output(); err == nil {
		version = "Samba " + strings.TrimPrefix(strings.TrimSpace(string(out)), "Version ")
	}
	dcs := make([]*SambaDC, len(cfgs))
	errs := make([]error, len(cfgs))
	var wg sync.WaitGroup
	for i, c := range cfgs {
		dir, err := os.MkdirTemp("", "portreach-samba-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		dc := &SambaDC{Realm: cmp.Or(c.Realm, "LAB.EXAMPLE"), Domain: cmp.Or(c.Domain, "LAB"), Host: cmp.Or(c.Name, "LABDC"),
			Site: cmp.Or(c.Site, "Default-First-Site-Name"), Addr: c.Host.Addr, Dir: dir, Conf: filepath.Join(dir, "etc", "smb.conf"), Version: version}
		dcs[i] = dc
		wg.Go(func() { errs[i] = dc.provision(c) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, dc := range dcs {
		h := cfgs[i].Host
		dc.Cmd = h.Start(t, "samba", "-F", "--debug-stdout", "-s", dc.Conf)
		// Stop the daemon before its directory goes (cleanups run last-in
		// first-out; the host's own cleanup, which would also stop it, runs
		// after this one).
		t.Cleanup(func() { stop(dc.Cmd) })
	}
	for i := range dcs {
		h := cfgs[i].Host
		h.WaitTCP(t, 135)
		h.WaitUDP(t, 389)
		h.WaitUDP(t, 88)
	}
	return dcs
}

// provision runs samba-tool domain provision (and maps c.Subnets to the site)
// inside c.Host, then writes the test's smb.conf settings.
func (dc *SambaDC) provision(c SambaConfig) error {
	h := c.Host
	// An empty configuration keeps provisioning from merging /etc/samba/smb.conf.
	empty := filepath.Join(dc.Dir, "empty.conf")
	if err := os.WriteFile(empty, []byte("[global]\n"), 0o644); err != nil {
		return err
	}
	run := func(name string, args ...string) error {
		if out, err := h.Command(name, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("testnet %s: %s %s: %v\n%s", h.Name, name, strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("samba-tool", "domain", "provision", "-s", empty,
		"--realm="+dc.Realm, "--domain="+dc.Domain, "--host-name="+strings.ToLower(dc.Host),
		"--site="+dc.Site, "--server-role=dc", "--dns-backend=SAMBA_INTERNAL",
		"--adminpass=Portreach.Lab1", "--targetdir="+dc.Dir, "--host-ip="+h.Addr.String(),
		"--option=interfaces="+h.Addr.String(), "--option=bind interfaces only=yes",
		"--option=dns forwarder="); err != nil {
		return err
	}
	sam := "ldb://" + filepath.Join(dc.Dir, "private", "sam.ldb")
	created := map[string]bool{dc.Site: true}
	for n, site := range c.Subnets {
		if !created[site] {
			if err := run("samba-tool", "sites", "create", site, "-H", sam, "-s", dc.Conf); err != nil {
				return err
			}
			created[site] = true
		}
		if err := run("samba-tool", "sites", "subnet", "create", n.Masked().String(), site, "-H", sam, "-s", dc.Conf); err != nil {
			return err
		}
	}
	conf, err := os.ReadFile(dc.Conf)
	if err != nil {
		return err
	}
	extra := strings.Join(append([]string{
		"server services = -winbindd -dnsupdate -ntp_signd",
		"dns forwarder =",
		"pid directory = " + filepath.Join(dc.Dir, "run"),
		"log file = " + filepath.Join(dc.Dir, "log.%m"),
		"log level = 0",
		"winbindd socket directory = " + filepath.Join(dc.Dir, "winbindd"),
		"ntp signd socket directory = " + filepath.Join(dc.Dir, "ntp_signd"),
		// Defaults under /run/samba would be shared by concurrent test DCs.
		"ncalrpc dir = " + filepath.Join(dc.Dir, "ncalrpc"),
		"usershare path = " + filepath.Join(dc.Dir, "usershares"),
	}, c.Options...), "\n\t")
	s := strings.Replace(string(conf), "[global]\n", "[global]\n\t"+extra+"\n", 1)
	if err := os.WriteFile(dc.Conf, []byte(s), 0o644); err != nil {
		return err
	}
	return os.MkdirAll(filepath.Join(dc.Dir, "run"), 0o755)
}
