package testnet

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"testing"
)

// A stand-in for the SQL Server Browser service. Debian has no SQL Server and so
// no Browser to start in a test host; this responder implements the server side
// of [MC-SQLR] that the sqlbrowser probe exercises, written from the
// specification, not from observed Microsoft traffic.

// SQLInstance is one instance the stand-in Browser announces.
type SQLInstance struct {
	Server    string // NetBIOS name of the host
	Name      string // instance name (MSSQLSERVER for the default instance)
	Version   string // "15.0.2000.5"
	Clustered bool
	TCPPort   uint16 // 0: TCP not enabled
	Pipe      string // "": named pipes not enabled
}

// sqlInstanceText renders one instance of RESP_DATA ([MC-SQLR] §2.2.5):
// ServerName;…;InstanceName;…;IsClustered;Yes|No;Version;…;[np;…;][tcp;…;];
func sqlInstanceText(in SQLInstance) string {
	var b strings.Builder
	clustered := "No"
	if in.Clustered {
		clustered = "Yes"
	}
	fmt.Fprintf(&b, "ServerName;%s;InstanceName;%s;IsClustered;%s;Version;%s;", in.Server, in.Name, clustered, in.Version)
	if in.Pipe != "" {
		fmt.Fprintf(&b, "np;%s;", in.Pipe)
	}
	if in.TCPPort != 0 {
		fmt.Fprintf(&b, "tcp;%d;", in.TCPPort)
	}
	b.WriteString(";")
	return b.String()
}

// SQLBrowserResponse builds the SVR_RESP datagram ([MC-SQLR] §2.2.5) listing the
// instances: 05, RESP_SIZE (uint16 little-endian), RESP_DATA.
func SQLBrowserResponse(instances []SQLInstance) []byte {
	var data strings.Builder
	for _, in := range instances {
		data.WriteString(sqlInstanceText(in))
	}
	out := []byte{0x05, 0, 0}
	binary.LittleEndian.PutUint16(out[1:], uint16(data.Len()))
	return append(out, data.String()...)
}

// sqlBrowserAnswer is the Browser's reply to one request, nil for silence:
// CLNT_BCAST_EX (02) and CLNT_UCAST_EX (03) get every instance ([MC-SQLR]
// §2.2.1, §2.2.2), CLNT_UCAST_INST (04 name 00, §2.2.4) the named one; the Browser
// says nothing about instances it does not have and ignores what it cannot parse.
func sqlBrowserAnswer(req []byte, instances []SQLInstance) []byte {
	if len(req) == 0 {
		return nil
	}
	switch req[0] {
	case 0x02, 0x03:
		if len(req) != 1 || len(instances) == 0 {
			return nil
		}
		return SQLBrowserResponse(instances)
	case 0x04:
		name, ok := strings.CutSuffix(string(req[1:]), "\x00")
		if !ok || len(name) > 32 {
			return nil
		}
		for _, in := range instances {
			if strings.EqualFold(in.Name, name) {
				return SQLBrowserResponse([]SQLInstance{in})
			}
		}
	}
	return nil
}

// serveSQLBrowser answers [MC-SQLR] requests on c until it is closed, then
// closes done.
func serveSQLBrowser(c *net.UDPConn, instances []SQLInstance, done chan<- struct{}) {
	defer close(done)
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed at cleanup
		}
		if resp := sqlBrowserAnswer(buf[:n], instances); resp != nil {
			_, _ = c.WriteToUDPAddrPort(resp, from)
		}
	}
}

// StartLoopbackSQLBrowser answers [MC-SQLR] requests on 127.0.0.1 at a port of
// its own (the probe is sent there by naming it: "probe": "sqlbrowser") until
// the test ends, and returns the port. It needs no test host, so it runs
// wherever the tests do; a hostile Browser is a list of many instances.
func StartLoopbackSQLBrowser(t testing.TB, instances []SQLInstance) uint16 {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("testnet: SQL Browser stand-in: %v", err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { c.Close(); <-done })
	go serveSQLBrowser(c, instances, done)
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}
