package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v2"

	"github.com/portreach/portreach/exporter"
)

// webConfig is serve's --web.config.file: the Prometheus exporter-toolkit's
// web configuration (TLS, client certificates, basic auth with bcrypt hashes),
// read and checked at start, and served by the toolkit, which rereads it on
// every connection as every Prometheus exporter does. A nil *webConfig is
// plain HTTP.
type webConfig struct {
	path      string
	tls, auth bool
	// certs: clients must present a certificate the client CA signed
	// (client_auth_type RequireAndVerifyClientCert).
	certs bool
}

// readWebConfig reads and checks the file (size-capped, interruptible, as
// every file a user names), then lets the toolkit check it as it will serve
// it: certificates that load, users' passwords as bcrypt hashes.
func readWebConfig(ctx context.Context, path string) (*webConfig, error) {
	if path == "" {
		return nil, nil
	}
	b, err := readInput(ctx, "--web.config.file", path, limitInput)
	if err != nil {
		return nil, err
	}
	var c web.Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("--web.config.file %s: %v", path, err)
	}
	if err := web.Validate(path); err != nil {
		return nil, fmt.Errorf("--web.config.file %s: %v", path, err)
	}
	return &webConfig{path: path, tls: c.TLSConfig.IsEnabled(), auth: len(c.Users) > 0,
		certs: c.TLSConfig.IsEnabled() && c.TLSConfig.ClientAuth == "RequireAndVerifyClientCert"}, nil
}

// scheme is the URL scheme clients use.
func (w *webConfig) scheme() string {
	if w != nil && w.tls {
		return "https"
	}
	return "http"
}

// authenticates reports whether clients must prove who they are: basic auth
// users, or client certificates the client CA signed. TLS alone keeps the
// answers from eavesdroppers, not the probes from strangers.
func (w *webConfig) authenticates() bool { return w != nil && (w.auth || w.certs) }

// defaultListen is --listen's default: every address when clients must
// authenticate, else this machine only (loopbackListen).
func (w *webConfig) defaultListen() string {
	if w.authenticates() {
		return ":" + strconv.Itoa(exporter.DefaultPort)
	}
	return loopbackListen
}

// exposure is serve's start-up warning for a listener that other machines can
// reach without authenticating their clients, or "".
func (w *webConfig) exposure(addr net.Addr) string {
	if w.authenticates() {
		return ""
	}
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsLoopback() {
		return ""
	}
	what := "neither TLS nor authentication"
	switch {
	case w != nil && w.tls:
		what = "TLS but no authentication (basic_auth_users or client_auth_type RequireAndVerifyClientCert) in --web.config.file"
	case w != nil:
		what = "neither TLS nor authentication in --web.config.file"
	}
	return fmt.Sprintf("listening on %s with %s: anyone who reaches this port can make it scan the --allow networks and read what it finds; give --web.config.file (TLS, basic auth) or listen on a loopback address", addr, what)
}

// serve serves srv on l, through the toolkit when a configuration is given.
func (w *webConfig) serve(srv *http.Server, l net.Listener, stderr io.Writer) error {
	if w == nil {
		return srv.Serve(l)
	}
	// The toolkit logs at info level once at start ("Listening on", "TLS is
	// enabled"); serve has said so already.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return web.Serve(l, srv, &web.FlagConfig{WebConfigFile: &w.path}, log)
}

// hostName is --name's default: this machine's host name, without its domain.
func hostName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "portreach"
	}
	h, _, _ = strings.Cut(h, ".")
	return h
}
