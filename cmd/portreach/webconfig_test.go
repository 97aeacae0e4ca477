package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// writeWebConfig writes a self-signed certificate for 127.0.0.1 (and ips), its key, and
// a web configuration serving TLS with basic auth for user with password;
// it returns the configuration's path and a pool that trusts the certificate.
func writeWebConfig(t *testing.T, user, password string, ips ...net.IP) (string, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "portreach test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: append([]net.IP{net.IPv4(127, 0, 0, 1)}, ips...), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for name, b := range map[string][]byte{
		"cert.pem": certPEM,
		"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "web.yml")
	text := fmt.Sprintf("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  %s: %s\n", user, hash)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return cfg, pool
}

// TestServeWebConfig: with --web.config.file, serve answers over TLS, only to
// the user whose password matches the bcrypt hash, and names itself (--name)
// in its JSON Lines answer.
func TestServeWebConfig(t *testing.T) {
	cfg, pool := writeWebConfig(t, "audit", "s3cret")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, w := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- runServe(ctx, []string{"--listen", "127.0.0.1:0", "--allow", "127.0.0.1", "--timeout", "300ms",
			"--web.config.file", cfg, "--name", "vault"}, io.Discard, w)
		w.Close()
	}()
	addr := readListenAddr(t, r)
	go io.Copy(io.Discard, r)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	url := fmt.Sprintf("https://%s/probe?target=127.0.0.1&ports=%d&format=jsonl", addr, loopbackListener(t))
	ask := func(user, pass string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, _ := ask("", ""); status != http.StatusUnauthorized {
		t.Errorf("no credentials: %d", status)
	}
	if status, _ := ask("audit", "wrong"); status != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", status)
	}
	if status, body := ask("audit", "s3cret"); status != http.StatusOK || !strings.Contains(body, `"source":{"name":"vault","address":"127.0.0.1"}`) {
		t.Errorf("right password: %d %s", status, body)
	}
	if resp, err := http.Get("http://" + addr + "/"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest { // Go's TLS server: "Client sent an HTTP request to an HTTPS server"
			t.Errorf("plain HTTP: %d", resp.StatusCode)
		}
	}
	cancel()
	if c := <-code; c != exitOK {
		t.Errorf("exit %d after the signal", c)
	}
}

// A bad --web.config.file is exit 2 before serve listens, naming the file.
func TestServeWebConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ text, want string }{
		{"tls_server_config:\n  cert_file: nope.pem\n  key_file: nope.pem\n", "nope.pem"},
		{"basic_auth_users:\n  audit: plain-text\n", "hashedSecret too short"},
		{"tls_server_config:\n  cert: x\n  tyop: 1\n", "field tyop not found"},
	} {
		p := filepath.Join(dir, "web.yml")
		if err := os.WriteFile(p, []byte(c.text), 0o600); err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		code := runServe(context.Background(), []string{"--listen", "127.0.0.1:0", "--web.config.file", p}, io.Discard, &stderr)
		if code != exitUsage || !strings.HasPrefix(stderr.String(), "portreach serve: --web.config.file "+p+": ") || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d %q, want 2 and %q", c.text, code, stderr.String(), c.want)
		}
	}
}

// The start-up warning: a listener other machines reach, with neither TLS
// nor authentication.
func TestServeExposure(t *testing.T) {
	any := &net.TCPAddr{IP: net.IPv6unspecified, Port: 9469}
	lo := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9469}
	for _, c := range []struct {
		w    *webConfig
		addr net.Addr
		warn bool
	}{
		{nil, any, true}, {nil, lo, false}, {&webConfig{}, any, true},
		// TLS alone lets anyone ask for probes (#18.9): it warns.
		{&webConfig{tls: true}, any, true}, {&webConfig{tls: true}, lo, false},
		{&webConfig{auth: true}, any, false}, {&webConfig{tls: true, certs: true}, any, false},
	} {
		got := c.w.exposure(c.addr)
		if (got != "") != c.warn || c.warn && !strings.Contains(got, "--web.config.file") {
			t.Errorf("%+v on %s: %q", c.w, c.addr, got)
		}
		if c.w != nil && c.w.tls && !c.w.certs && c.warn && !strings.Contains(got, "with TLS but no authentication") {
			t.Errorf("%+v on %s: %q", c.w, c.addr, got)
		}
	}
}

// serve's default listen address matches its exposure (#18.9): this machine
// only, unless --web.config.file makes clients authenticate.
func TestServeDefaultListen(t *testing.T) {
	for _, c := range []struct {
		w    *webConfig
		want string
	}{
		{nil, "127.0.0.1:9469"}, {&webConfig{}, "127.0.0.1:9469"}, {&webConfig{tls: true}, "127.0.0.1:9469"},
		{&webConfig{auth: true}, ":9469"}, {&webConfig{tls: true, certs: true}, ":9469"},
	} {
		if got := c.w.defaultListen(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.w, got, c.want)
		}
	}
}
