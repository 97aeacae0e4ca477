//go:build linux

package testnet

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a throw-away certificate authority for test hosts' TLS services.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// PEM is the CA certificate, for --ca-file.
	PEM []byte
}

// NewCA makes a CA valid from an hour ago for a year.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "portreach test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{Cert: cert, key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// Issue writes a server certificate for name (and ips) that expires at
// notAfter, and its key, as PEM files in dir; it returns their paths. The files
// are world-readable, for daemons that drop privileges.
func (ca *CA) Issue(t testing.TB, dir, name string, notAfter time.Time, ips ...net.IP) (certFile, keyFile string) {
	t.Helper()
	return ca.IssueCert(t, dir, Cert{CN: name, DNSNames: []string{name}, IPs: ips, NotAfter: notAfter,
		EKU: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
}

// Cert is what IssueCert puts in a certificate: the subject's common name, the
// subject alternative names, the extended key usages (none: no EKU extension at
// all) and the expiry.
type Cert struct {
	CN       string
	DNSNames []string
	IPs      []net.IP
	EKU      []x509.ExtKeyUsage
	NotAfter time.Time
}

// IssueCert writes a certificate made as c says, signed by ca, and its key,
// as Issue does (a daemon that refuses a key others can read, as Samba does,
// needs it chmod 0600).
func (ca *CA) IssueCert(t testing.TB, dir string, c Cert) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	notBefore := time.Now().Add(-time.Hour)
	if c.NotAfter.Before(notBefore) {
		notBefore = c.NotAfter.Add(-30 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: c.CN},
		DNSNames:     c.DNSNames,
		IPAddresses:  c.IPs,
		NotBefore:    notBefore,
		NotAfter:     c.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  c.EKU,
	}
	name := c.CN
	if name == "" && len(c.DNSNames) > 0 {
		name = c.DNSNames[0]
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, name+"-"+serial.Text(16))
	certFile, keyFile = base+".crt", base+".key"
	// The chain: leaf then CA, as servers send it.
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ca.PEM...)
	for f, b := range map[string][]byte{certFile: chain, keyFile: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})} {
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// ServeTLS accepts connections on a TCP port at h.Addr, completes a TLS
// handshake with the certificate (and chain) in certFile and the key in
// keyFile, and closes: a TLS port, such as LDAPS's, whose certificate a test
// chooses. It serves until the test ends.
func ServeTLS(t testing.TB, h *Host, port uint16, certFile, keyFile string) {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	h.serveTCPConns(t, port, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_ = tls.Server(c, cfg).Handshake()
	})
}
