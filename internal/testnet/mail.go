//go:build linux

package testnet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StartNginx runs nginx in the host, in the foreground without a master
// process, with the given server blocks ("server { listen 443 ssl; … }").
// Debian package: nginx-light.
func StartNginx(t testing.TB, h *Host, servers ...string) {
	t.Helper()
	Need(t, "/usr/sbin/nginx")
	dir := Dir(t, "")
	conf := filepath.Join(dir, "nginx.conf")
	var b strings.Builder
	fmt.Fprintf(&b, "daemon off;\nmaster_process off;\npid %s/nginx.pid;\nerror_log stderr;\nevents {}\n", dir)
	fmt.Fprintf(&b, "http {\n access_log off;\n client_body_temp_path %[1]s/body;\n proxy_temp_path %[1]s/proxy;\n fastcgi_temp_path %[1]s/fastcgi;\n", dir)
	for _, s := range servers {
		b.WriteString(" " + s + "\n")
	}
	b.WriteString("}\n")
	WriteFile(t, conf, b.String())
	h.Start(t, "/usr/sbin/nginx", "-c", conf, "-e", "stderr")
}

// StartDovecot runs Dovecot's IMAP and POP3 (143, 993, 110, 995) in the host
// with the certificate and key given, no users, logging to the test log.
// Debian packages: dovecot-imapd, dovecot-pop3d.
func StartDovecot(t testing.TB, h *Host, certFile, keyFile string) {
	t.Helper()
	Need(t, "/usr/sbin/dovecot")
	dir := Dir(t, "")
	conf := filepath.Join(dir, "dovecot.conf")
	WriteFile(t, conf, fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
protocols = imap pop3
listen = *
log_path = /dev/stderr
ssl = yes
ssl_cert = <%[2]s
ssl_key = <%[3]s
mail_location = maildir:%[1]s/mail/%%u
passdb {
  driver = static
  args = password=never-used-%[4]d
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%[1]s/mail/%%u
}
`, dir, certFile, keyFile, os.Getpid()))
	for _, d := range []string{"run", "state", "mail"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.Start(t, "/usr/sbin/dovecot", "-F", "-c", conf)
}

// StartPostfix runs Postfix in the host (postfix start-fg, its own configuration
// and queue directories) with SMTP on 25 and submission on 587, STARTTLS on both
// with the certificate and key given, delivering nowhere. Debian package:
// postfix.
func StartPostfix(t testing.TB, h *Host, hostname, certFile, keyFile string) {
	t.Helper()
	startPostfix(t, h, hostname, certFile, keyFile, "", "smtp       inet  n - n - - smtpd\n")
}

// StartPostscreen runs Postfix as StartPostfix does, with postscreen(8) in
// front of smtpd on 25: it sends the greeting's first line at once ("220-HOST
// ESMTP …") and hands the client to smtpd, which ends the greeting, only after
// wait, turning away a client that spoke before (the pregreet test). No DNSBL
// is asked: nothing leaves the host.
func StartPostscreen(t testing.TB, h *Host, hostname, certFile, keyFile string, wait time.Duration) {
	t.Helper()
	startPostfix(t, h, hostname, certFile, keyFile,
		fmt.Sprintf("postscreen_greet_wait = %ds\npostscreen_greet_action = enforce\npostscreen_dnsbl_sites =\n", int(wait.Seconds())),
		`smtp       inet  n - n - 1 postscreen
smtpd      pass  - - n - - smtpd
tlsproxy   unix  - - n - 0 tlsproxy
dnsblog    unix  - - n - 0 dnsblog
`)
}

// startPostfix runs Postfix with main.cf's common settings and more, and
// master.cf's common services after smtp (the services on 25).
func startPostfix(t testing.TB, h *Host, hostname, certFile, keyFile, more, smtp string) {
	t.Helper()
	Need(t, "/usr/sbin/postfix")
	dir := Dir(t, "")
	data := Dir(t, "postfix") // master's lock and the TLS session cache
	conf := filepath.Join(dir, "etc")
	for _, d := range []string{conf, filepath.Join(dir, "queue")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	WriteFile(t, filepath.Join(conf, "main.cf"), fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[5]s
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = %[2]s
mydestination =
relay_domains =
local_recipient_maps =
inet_interfaces = all
inet_protocols = ipv4
maillog_file = /dev/stdout
smtpd_tls_cert_file = %[3]s
smtpd_tls_key_file = %[4]s
smtpd_tls_security_level = may
smtpd_banner = $myhostname ESMTP portreach test
`, dir, hostname, certFile, keyFile, data)+more)
	WriteFile(t, filepath.Join(conf, "master.cf"), smtp+`submission inet  n - n - - smtpd -o smtpd_tls_security_level=encrypt
cleanup    unix  n - n - 0 cleanup
qmgr       unix  n - n 300 1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n - - trivial-rewrite
bounce     unix  - - n - 0 bounce
defer      unix  - - n - 0 bounce
trace      unix  - - n - 0 bounce
verify     unix  - - n - 1 verify
proxymap   unix  - - n - - proxymap
anvil      unix  - - n - 1 anvil
scache     unix  - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
`)
	h.Start(t, "/usr/sbin/postfix", "-c", conf, "start-fg")
	// start-fg runs master -s, a session leader outside the started process
	// group, so stopping the group would leave it running: stop it by its PID
	// file first (cleanups run last-registered first).
	t.Cleanup(func() { _ = h.Command("/usr/sbin/postfix", "-c", conf, "stop").Run() })
}
