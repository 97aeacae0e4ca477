package exporter_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/portreach/portreach/exporter"
)

// An exporter that may scan only the loopback network, asked to check that a
// port is open; with a Catalog it would take profile= too.
func Example() {
	l, _ := net.Listen("tcp4", "127.0.0.1:0") // something listening
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	allow, _ := exporter.ParseAllowList("127.0.0.0/8")
	e, err := exporter.New(exporter.Config{Allow: allow})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()

	port := l.Addr().(*net.TCPAddr).Port
	resp, err := http.Get(fmt.Sprintf("%s/probe?target=127.0.0.1&ports=T:%d&expect=open", srv.URL, port))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, exporter.MetricProbeSuccess+" ") {
			fmt.Println(line)
		}
	}

	resp, err = http.Get(srv.URL + "/probe?target=192.0.2.1&ports=T:80")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// portreach_probe_success 1
	// 403 Forbidden
}
