package probes

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The SQL Browser seeds are built from [MC-SQLR] and protocols.md, not captured:
// Debian has no SQL Server Browser (see the files' notes). The integration test
// in package scan runs the [MC-SQLR] responder of internal/testnet.
var sqlBrowserSeeds = []string{
	"sqlbrowser_spec_two_instances.hex",
	"sqlbrowser_spec_cluster.hex",
}

func sqlResp(data string) []byte {
	n := len(data)
	return append([]byte{0x05, byte(n), byte(n >> 8)}, data...)
}

func TestSQLBrowserRequestBytes(t *testing.T) {
	q, err := SQLBrowser.New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// CLNT_UCAST_EX only: never 02 (CLNT_BCAST_EX), which IDSs flag.
	if p := q.Packets(); len(p) != 1 || len(p[0]) != 1 || p[0][0] != 0x03 {
		t.Fatalf("request %x, want 03", p)
	}
	if !SQLBrowser.AnySource {
		t.Error("SQL Browser on clusters answers from the node address: AnySource must be set")
	}
}

func TestSQLBrowserSpecReplies(t *testing.T) {
	q, _ := SQLBrowser.New(nil, Options{})
	for _, tc := range []struct {
		file    string
		want    []SQLInstance
		follow  []FollowUp
		summary string
	}{
		{
			file: "sqlbrowser_spec_two_instances.hex",
			want: []SQLInstance{
				{Server: "SQL01", Name: "MSSQLSERVER", Version: "15.0.2000.5", Release: "SQL Server 2019", TCPPort: 1433, Pipe: `\\SQL01\pipe\sql\query`},
				{Server: "SQL01", Name: "SQLEXPRESS", Version: "15.0.2000.5", Release: "SQL Server 2019", TCPPort: 49733},
			},
			follow:  []FollowUp{{1433, "instance MSSQLSERVER"}, {49733, "instance SQLEXPRESS"}},
			summary: "MSSQLSERVER 15.0.2000.5 tcp/1433, SQLEXPRESS 15.0.2000.5 tcp/49733",
		},
		{
			file: "sqlbrowser_spec_cluster.hex",
			want: []SQLInstance{
				{Server: "SQLNODE1", Name: "FCI01", Version: "13.0.5026.0", Release: "SQL Server 2016", Clustered: true, TCPPort: 1435,
					Pipe: `\\SQLVS01\pipe\MSSQL$FCI01\sql\query`, Other: map[string]string{"via": "SQLNODE1,0:1433", "rpc": "SQLNODE1"}},
				{Server: "SQLNODE1", Name: "PIPEONLY", Version: "10.50.6000.34", Release: "SQL Server 2008 R2"},
			},
			follow:  []FollowUp{{1435, "instance FCI01"}},
			summary: "FCI01 13.0.5026.0 clustered tcp/1435, PIPEONLY 10.50.6000.34",
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			d, err := q.Match(capture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got := d.(*SQLBrowserDetail)
			if !reflect.DeepEqual(got.Instances, tc.want) || got.Truncated {
				t.Errorf("instances\n got %+v\nwant %+v", got.Instances, tc.want)
			}
			fu, ok := d.(FollowUpper)
			if !ok || !reflect.DeepEqual(fu.FollowUps(), tc.follow) {
				t.Errorf("follow-ups %+v, want %+v", fu, tc.follow)
			}
			if d.Summary() != tc.summary {
				t.Errorf("summary %q, want %q", d.Summary(), tc.summary)
			}
		})
	}
}

func TestSQLBrowserParsing(t *testing.T) {
	q, _ := SQLBrowser.New(nil, Options{})
	// An empty value in the middle ("Version;;") must not end the instance.
	d, err := q.Match(sqlResp("ServerName;H;InstanceName;A;IsClustered;No;Version;;tcp;1500;;"))
	if err != nil {
		t.Fatal(err)
	}
	if in := d.(*SQLBrowserDetail).Instances; len(in) != 1 || in[0].TCPPort != 1500 || in[0].Version != "" {
		t.Errorf("empty version: %+v", in)
	}
	// Trailing bytes beyond RESP_SIZE are ignored; a RESP_SIZE beyond the datagram
	// keeps what arrived and says so.
	r := sqlResp("ServerName;H;InstanceName;A;tcp;1500;;")
	d, err = q.Match(append(r, "junk;tcp;1;"...))
	if err != nil || d.(*SQLBrowserDetail).Instances[0].TCPPort != 1500 {
		t.Errorf("trailing bytes: %v %v", d, err)
	}
	r[1] += 20
	d, err = q.Match(r)
	if err != nil || !d.(*SQLBrowserDetail).Truncated || !strings.HasSuffix(d.Summary(), "(reply truncated)") {
		t.Errorf("short datagram: %v %v", d, err)
	}
	// Two instances on one port yield one follow-up; port 0 and junk yield none.
	d, _ = q.Match(sqlResp("ServerName;H;InstanceName;A;tcp;1500;;ServerName;H;InstanceName;B;tcp;1500;;ServerName;H;InstanceName;C;tcp;0;;ServerName;H;InstanceName;D;tcp;99999;;"))
	if f := d.(*SQLBrowserDetail).FollowUps(); len(f) != 1 || f[0] != (FollowUp{1500, "instance A"}) {
		t.Errorf("follow-ups %+v", f)
	}
	// Control bytes are escaped.
	d, _ = q.Match(sqlResp("ServerName;H\n;InstanceName;A\x1b[2J;;"))
	if in := d.(*SQLBrowserDetail).Instances[0]; in.Server != `H\x0a` || in.Name != `A\x1b[2J` {
		t.Errorf("escaping: %+v", in)
	}
}

func TestSQLBrowserMatchRejects(t *testing.T) {
	q, _ := SQLBrowser.New(nil, Options{})
	for name, reply := range map[string][]byte{
		"empty":                 nil,
		"our request reflected": {0x03},
		"not SVR_RESP":          append([]byte{0x04}, sqlResp("ServerName;H;;")[1:]...),
		"no instance":           sqlResp(""),
		"no ServerName":         sqlResp("InstanceName;A;tcp;1433;;"),
		"DAC reply":             {0x05, 0x06, 0x00, 0x01, 0x9a, 0x05},
		"header only":           {0x05, 0x00},
	} {
		if _, err := q.Match(reply); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: err %v, want ErrNotMine", name, err)
		}
	}
	for _, f := range sqlBrowserSeeds {
		b := capture(t, f)
		// Cut before the first ServerName value: not an instance yet.
		for n := 0; n < 3+len("ServerName;"); n++ {
			if d, err := q.Match(b[:n]); err == nil {
				t.Fatalf("%s cut to %d bytes: accepted as %+v", f, n, d)
			}
		}
		for n := range b { // must not panic, and a cut reply is marked truncated
			if d, err := q.Match(b[:n]); err == nil && !d.(*SQLBrowserDetail).Truncated {
				t.Fatalf("%s cut to %d bytes: not marked truncated", f, n)
			}
		}
	}
}

func FuzzSQLBrowserMatch(f *testing.F) {
	for _, name := range sqlBrowserSeeds {
		f.Add(capture(f, name))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		q, _ := SQLBrowser.New(nil, Options{})
		d, err := q.Match(reply)
		if err != nil {
			return
		}
		sd := d.(*SQLBrowserDetail)
		if len(sd.Instances) == 0 {
			t.Fatal("accepted without instances")
		}
		for _, fu := range sd.FollowUps() {
			if fu.Port == 0 || !strings.HasPrefix(fu.Label, "instance ") {
				t.Fatalf("follow-up %+v", fu)
			}
		}
		if strings.ContainsAny(d.Summary(), "\x00\n\r") {
			t.Fatalf("unescaped summary %q", d.Summary())
		}
	})
}
