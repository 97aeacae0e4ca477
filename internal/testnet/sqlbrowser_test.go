//go:build linux

package testnet

import (
	"reflect"
	"testing"

	"github.com/portreach/portreach/probes"
)

// The stand-in must speak [MC-SQLR] as the sqlbrowser probe reads it: answer 03
// (and 02, and 04 with a known name) with SVR_RESP, and stay silent otherwise.
func TestSQLBrowserStandIn(t *testing.T) {
	instances := []SQLInstance{
		{Server: "SQL01", Name: "MSSQLSERVER", Version: "15.0.2000.5", TCPPort: 1433, Pipe: `\\SQL01\pipe\sql\query`},
		{Server: "SQL01", Name: "SQLEXPRESS", Version: "16.0.1000.6", Clustered: true, TCPPort: 49733},
	}
	const wantData = `ServerName;SQL01;InstanceName;MSSQLSERVER;IsClustered;No;Version;15.0.2000.5;np;\\SQL01\pipe\sql\query;tcp;1433;;` +
		`ServerName;SQL01;InstanceName;SQLEXPRESS;IsClustered;Yes;Version;16.0.1000.6;tcp;49733;;`
	resp := sqlBrowserAnswer([]byte{0x03}, instances)
	if len(resp) < 3 || resp[0] != 0x05 || int(resp[1])|int(resp[2])<<8 != len(wantData) || string(resp[3:]) != wantData {
		t.Fatalf("03 answer %q", resp)
	}
	q, err := probes.SQLBrowser.New(nil, probes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := q.Match(resp)
	if err != nil {
		t.Fatal(err)
	}
	got := d.(*probes.SQLBrowserDetail).Instances
	if len(got) != 2 || got[0].Name != "MSSQLSERVER" || got[0].TCPPort != 1433 || got[0].Pipe != instances[0].Pipe ||
		got[1].Name != "SQLEXPRESS" || !got[1].Clustered || got[1].TCPPort != 49733 || got[1].Release != "SQL Server 2022" {
		t.Errorf("probe read %+v", got)
	}
	if a := sqlBrowserAnswer([]byte{0x02}, instances); !reflect.DeepEqual(a, resp) {
		t.Errorf("02 answer %q", a)
	}
	if a := sqlBrowserAnswer(append([]byte{0x04}, "sqlexpress\x00"...), instances); string(a[3:]) != wantData[len(wantData)-len("ServerName;SQL01;InstanceName;SQLEXPRESS;IsClustered;Yes;Version;16.0.1000.6;tcp;49733;;"):] {
		t.Errorf("04 answer %q", a)
	}
	for _, req := range [][]byte{nil, {0x04, 'X', 0}, {0x04, 'A'}, {0x03, 0x00}, {0x0f, 0x01, 'A', 0}, {0x05}} {
		if a := sqlBrowserAnswer(req, instances); a != nil {
			t.Errorf("request %q answered %q", req, a)
		}
	}
	if a := sqlBrowserAnswer([]byte{0x03}, nil); a != nil {
		t.Errorf("no instances, answered %q", a)
	}
}
