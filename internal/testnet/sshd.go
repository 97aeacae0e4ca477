//go:build linux

package testnet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// SSHD is an OpenSSH server running in a test host (StartSSHD).
type SSHD struct {
	// KnownHosts is a known_hosts file naming the server's host key, for
	// ssh -o UserKnownHostsFile=… -o StrictHostKeyChecking=yes.
	KnownHosts string
	dir        string
}

// StartSSHD runs Debian's sshd in h on port 22, in the foreground, logging to
// the test log: public-key authentication only, with the keys of
// authorizedKeys (authorized_keys lines, whose environment="PATH=…" option it
// honours, so that a key decides what the session finds on its PATH), and a
// fresh host key. Debian package: openssh-server.
func StartSSHD(t testing.TB, h *Host, authorizedKeys ...string) *SSHD {
	t.Helper()
	Need(t, "/usr/sbin/sshd", "ssh-keygen")
	// sshd's privilege separation directory; the package's service makes it
	// at start, which a test host's sshd never goes through.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	s := &SSHD{dir: Dir(t, "")}
	hostKey := filepath.Join(s.dir, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	s.KnownHosts = filepath.Join(s.dir, "known_hosts")
	WriteFile(t, s.KnownHosts, h.Addr.String()+" "+strings.TrimSpace(string(pub))+"\n")
	keys := filepath.Join(s.dir, "authorized_keys")
	WriteFile(t, keys, strings.Join(authorizedKeys, "\n")+"\n")
	conf := filepath.Join(s.dir, "sshd_config")
	WriteFile(t, conf, fmt.Sprintf(`ListenAddress %s:22
HostKey %s
PidFile none
AuthorizedKeysFile %s
StrictModes no
PermitRootLogin prohibit-password
PermitUserEnvironment PATH
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
AllowTcpForwarding no
`, h.Addr, hostKey, keys))
	h.Start(t, "/usr/sbin/sshd", "-D", "-e", "-f", conf)
	h.WaitTCP(t, 22)
	return s
}

// SSHKey makes a client key pair in dir and returns the private key's path
// and the public key's authorized_keys line.
func SSHKey(t testing.TB, dir, name string) (keyFile, public string) {
	t.Helper()
	keyFile = filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(keyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return keyFile, strings.TrimSpace(string(pub))
}
