package probes

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// HTTP confirms a web server (RFC 9112) on 80: the status of GET /, the Server
// header, and the authentication schemes a 401 offers (RFC 9110 §11.6.1;
// Exchange's EWS, MAPI and Autodiscover answer with Negotiate and NTLM).
var HTTP = &Service{
	Name: "http", Ports: []uint16{80, 8080},
	Drift: []DriftField{{Path: "http.server", Meaning: "the HTTP Server header changed: other software or another server answers"}},
	New:   newHTTPDialog("http", "/"),
}

// WinRM confirms Windows Remote Management over HTTP on 5985 ([MS-WSMV]): a
// GET of its /wsman endpoint, which the listener answers (401 with the
// authentication schemes it accepts) where a plain web server has no such path.
var WinRM = &Service{
	Name: "winrm", Ports: []uint16{5985},
	Drift: []DriftField{{Path: "http.auth_schemes[]", Meaning: "the authentication schemes WinRM accepts changed (Basic turned on, Negotiate off)"}},
	New:   newHTTPDialog("winrm", "/wsman"),
}

// HTTPDetail is an HTTP server's answer to GET /.
type HTTPDetail struct {
	// Status is the status code and Reason its reason phrase.
	Status int    `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Server is the Server header.
	Server string `json:"server,omitempty"`
	// AuthSchemes are the schemes of every WWW-Authenticate header
	// ("Negotiate", "NTLM", "Basic").
	AuthSchemes []string `json:"auth_schemes,omitempty"`
	// Location is a redirect's target.
	Location string `json:"location,omitempty"`
}

func (h *HTTPDetail) summary() string {
	s := fmt.Sprintf("HTTP %d", h.Status)
	if h.Server != "" {
		s += fmt.Sprintf(" %q", h.Server)
	}
	if len(h.AuthSchemes) > 0 {
		s += " auth " + strings.Join(h.AuthSchemes, "/")
	}
	return s
}

func newHTTPDialog(name, path string) func(io.Reader, string) (Dialog, error) {
	return func(_ io.Reader, host string) (Dialog, error) {
		if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
			host = "[" + host + "]"
		}
		return &httpDialog{d: ServiceDetail{Service: name}, host: host, path: path}, nil
	}
}

type httpDialog struct {
	d    ServiceDetail
	host string
	path string
	sent bool
	seen int // the reply's bytes searched for the end of its header
}

func (h *httpDialog) Detail() *ServiceDetail { return &h.d }

// httpRequest is a GET of path with the headers RFC 9112 §3.2 requires (Host)
// and Connection: close, so the server sends nothing after the one answer.
func httpRequest(host, path string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: portreach\r\nAccept: */*\r\nConnection: close\r\n\r\n")
}

func (h *httpDialog) Next(in []byte) (Step, error) {
	if !h.sent {
		h.sent = true
		return Step{Send: httpRequest(h.host, h.path)}, nil
	}
	if len(in) >= identifyAfter && !bytes.HasPrefix(in, []byte("HTTP/")) {
		return Step{}, wrongService("an HTTP response", in)
	}
	if h.seen > len(in) {
		h.seen = 0 // a new reply
	}
	from := max(0, h.seen-3) // the end may straddle two reads
	end := bytes.Index(in[from:], []byte("\r\n\r\n"))
	if end < 0 {
		h.seen = len(in)
		if len(in) >= MaxReply {
			return Step{}, fmt.Errorf("%w: an HTTP header of more than %d bytes", ErrTooLong, MaxReply)
		}
		return Step{}, nil
	}
	end += from
	d, err := httpParse(in[:end+4])
	if err != nil {
		return Step{}, wrongService("an HTTP response", in)
	}
	h.d.HTTP = d
	return Step{Done: true}, nil
}

// httpParse reads a response's status line and headers.
func httpParse(head []byte) (*HTTPDetail, error) {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(head)), nil)
	if err != nil {
		return nil, err
	}
	d := &HTTPDetail{
		Status:   resp.StatusCode,
		Reason:   peerText([]byte(strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode))))),
		Server:   peerText([]byte(resp.Header.Get("Server"))),
		Location: peerText([]byte(resp.Header.Get("Location"))),
	}
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		scheme, _, _ := strings.Cut(strings.TrimSpace(v), " ")
		if scheme = peerText([]byte(scheme)); scheme != "" {
			d.AuthSchemes = append(d.AuthSchemes, scheme)
		}
	}
	return d, nil
}
