//go:build linux

package testnet

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// StartOpenSSL runs `openssl s_server` in the host on port, with a self-signed
// RSA certificate for name (RSA key exchange needs an RSA key) that openssl
// itself makes, and args added (a cipher list, a protocol version): a stand-in
// for an older TLS stack such as Windows Server 2003-2008's Schannel, which
// offers TLS 1.0 and RSA key exchange only. -www answers a GET with a status
// page, so an HTTPS dialog reads a status line after the handshake. Debian
// package: openssl.
func StartOpenSSL(t testing.TB, h *Host, port uint16, name string, args ...string) {
	t.Helper()
	Need(t, "openssl")
	dir := Dir(t, "")
	cert, key := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	req := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
		"-subj", "/CN="+name, "-addext", "subjectAltName=DNS:"+name, "-keyout", key, "-out", cert)
	if out, err := req.CombinedOutput(); err != nil {
		t.Fatalf("testnet: openssl req: %v\n%s", err, out)
	}
	h.Start(t, "openssl", append([]string{"s_server", "-accept", strconv.Itoa(int(port)), "-cert", cert, "-key", key, "-www", "-quiet"}, args...)...)
}
