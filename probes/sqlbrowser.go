package probes

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/portreach/portreach/results"
)

// SQLBrowser asks the SQL Server Browser service for every instance on the host
// with CLNT_UCAST_EX, the single byte 03 ([MC-SQLR] §2.2.3), as nmap's mssql.lua
// does. CLNT_BCAST_EX (02) would get the same answer but trips IDS rules (Snort
// SID 2049 "MS-SQL ping attempt"). The answer lists each instance's TCP port,
// which the scanner then tests too.
//
// The protocol has no transaction ID: a reply is ours if it is a well-formed
// SVR_RESP that describes at least one instance. On a failover cluster the reply
// comes from the node's own address instead of the virtual one (KB944390), hence
// AnySource.
var SQLBrowser = &Probe{
	Name:       results.ProbeSQLBrowser,
	Ports:      []uint16{1434},
	AnySource:  true,
	AnyAddress: true,
	Silence:    "SQL Server Browser stays silent when there is no visible instance to describe (hidden instances are omitted)",
	New:        newSQLBrowserQuery,
	Detail:     (*SQLBrowserDetail)(nil),
	Drift: []DriftField{
		{Path: "instances[].name", Meaning: "a SQL Server instance appeared or disappeared"},
		{Path: "instances[name].tcp_port", Meaning: "a SQL Server instance moved to another TCP port ([MC-SQLR] 2.2.5): rules for the old port no longer apply"},
	},
}

const (
	sqlClntUcastEx = 0x03 // CLNT_UCAST_EX, [MC-SQLR] §2.2.3
	sqlSvrResp     = 0x05 // SVR_RESP, [MC-SQLR] §2.2.5
)

// SQLInstance is one instance a SQL Server Browser describes ([MC-SQLR] §2.2.5).
type SQLInstance struct {
	// Server is the host's NetBIOS name (ServerName).
	Server string `json:"server"`
	// Name is the instance name (MSSQLSERVER for the default instance).
	Name string `json:"name"`
	// Version is the product version ("15.0.2000.5").
	Version string `json:"version,omitempty"`
	// Release is the SQL Server release that Version's major number belongs to
	// ("SQL Server 2019"), "" if unknown.
	Release string `json:"release,omitempty"`
	// Clustered is IsClustered=Yes: a failover cluster instance.
	Clustered bool `json:"clustered"`
	// TCPPort is the instance's TCP port, 0 if TCP is not enabled.
	TCPPort uint16 `json:"tcp_port,omitempty"`
	// Pipe is the named pipe (\\SQL01\pipe\sql\query), "" if not enabled.
	Pipe string `json:"pipe,omitempty"`
	// Other holds the remaining protocol tokens (via, rpc, spx, adsp, bv) and any
	// key this parser does not know, by key.
	Other map[string]string `json:"other,omitempty"`
}

// SQLBrowserDetail is the list of instances in one reply.
type SQLBrowserDetail struct {
	Instances []SQLInstance `json:"instances"`
	// Truncated is set when RESP_SIZE promised more bytes than the datagram held;
	// the instances read from what arrived are still reported.
	Truncated bool `json:"truncated,omitempty"`
}

// Summary reads `MSSQLSERVER 15.0.2000.5 tcp/1433, SQLEXPRESS 15.0.2000.5 tcp/49733`.
func (d *SQLBrowserDetail) Summary() string {
	parts := make([]string, 0, len(d.Instances))
	for _, in := range d.Instances {
		s := in.Name
		if in.Version != "" {
			s += " " + in.Version
		}
		if in.Clustered {
			s += " clustered"
		}
		if in.TCPPort != 0 {
			s += " tcp/" + strconv.Itoa(int(in.TCPPort))
		} else if in.Pipe != "" {
			s += " pipe only"
		}
		parts = append(parts, s)
	}
	s := strings.Join(parts, ", ")
	if d.Truncated {
		s += " (reply truncated)"
	}
	return s
}

// FollowUps returns each instance's TCP port, once per port, labelled with the
// first instance that uses it.
func (d *SQLBrowserDetail) FollowUps() []FollowUp {
	var out []FollowUp
	seen := map[uint16]bool{}
	for _, in := range d.Instances {
		if in.TCPPort == 0 || seen[in.TCPPort] {
			continue
		}
		seen[in.TCPPort] = true
		out = append(out, FollowUp{Port: in.TCPPort, Label: results.InstanceLabel(in.Name)})
	}
	return out
}

type sqlBrowserQuery struct{}

func newSQLBrowserQuery(_ io.Reader, _ Options) (Query, error) { return sqlBrowserQuery{}, nil }

func (sqlBrowserQuery) Packets() [][]byte { return [][]byte{{sqlClntUcastEx}} }

// Match reads SVR_RESP: 05, RESP_SIZE (uint16 LE), RESP_DATA. nmap insists on
// RESP_SIZE == len−3; we accept trailing bytes after RESP_DATA and a RESP_SIZE
// beyond the datagram (marked Truncated), and rely on the content instead: the
// data must describe at least one instance.
func (sqlBrowserQuery) Match(reply []byte) (Detail, error) {
	if len(reply) < 3 || reply[0] != sqlSvrResp {
		return nil, ErrNotMine
	}
	size := int(binary.LittleEndian.Uint16(reply[1:3]))
	data := reply[3:]
	d := &SQLBrowserDetail{}
	if size > len(data) {
		d.Truncated = true
	} else {
		data = data[:size]
	}
	d.Instances = parseSQLInstances(string(data))
	if len(d.Instances) == 0 {
		return nil, ErrNotMine
	}
	return d, nil
}

// parseSQLInstances reads RESP_DATA as `key;value;` pairs. It does not split on
// ";;": an instance ends with ";;", but an empty value also yields ";;" (nmap's
// mssql.lua notes the same). So tokens are read in pairs, an empty token where a
// key is due ends the instance, and a ServerName key starts a new one. Pairs
// before the first ServerName and a key left without a value at the end of a
// truncated reply are dropped.
func parseSQLInstances(data string) []SQLInstance {
	tokens := strings.Split(data, ";")
	var out []SQLInstance
	var cur *SQLInstance
	for i := 0; i < len(tokens); i++ {
		key := tokens[i]
		if key == "" {
			continue // end of an instance, or of the data
		}
		if i+1 >= len(tokens) {
			break // a key without its value
		}
		i++
		val := sqlText(tokens[i])
		if strings.EqualFold(key, "ServerName") {
			out = append(out, SQLInstance{Server: val})
			cur = &out[len(out)-1]
			continue
		}
		if cur == nil {
			continue
		}
		switch strings.ToLower(key) {
		case "instancename":
			cur.Name = val
		case "isclustered":
			cur.Clustered = strings.EqualFold(val, "Yes")
		case "version":
			cur.Version = val
			cur.Release = sqlRelease(val)
		case "tcp":
			if p, err := strconv.ParseUint(val, 10, 16); err == nil && p != 0 {
				cur.TCPPort = uint16(p)
			}
		case "np":
			cur.Pipe = val
		default:
			if cur.Other == nil {
				cur.Other = map[string]string{}
			}
			cur.Other[sqlText(key)] = val
		}
	}
	return out
}

// sqlReleases maps a version's major (and for 10, minor) number to the release
// name, from Microsoft's "Determine the version, edition, and update level of
// SQL Server" (KB321185).
var sqlReleases = map[string]string{
	"8": "SQL Server 2000", "9": "SQL Server 2005", "10.0": "SQL Server 2008",
	"10.50": "SQL Server 2008 R2", "11": "SQL Server 2012", "12": "SQL Server 2014",
	"13": "SQL Server 2016", "14": "SQL Server 2017", "15": "SQL Server 2019",
	"16": "SQL Server 2022", "17": "SQL Server 2025",
}

func sqlRelease(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) >= 2 {
		if r, ok := sqlReleases[parts[0]+"."+parts[1]]; ok {
			return r
		}
	}
	return sqlReleases[parts[0]]
}

// sqlText escapes bytes outside printable ASCII (RESP_DATA is MBCS in the
// server's code page, [MC-SQLR] §2.2.5), so a reply cannot forge report lines.
func sqlText(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			var b strings.Builder
			for j := 0; j < len(s); j++ {
				if c := s[j]; c < 0x20 || c > 0x7e {
					fmt.Fprintf(&b, `\x%02x`, c)
				} else {
					b.WriteByte(c)
				}
			}
			return b.String()
		}
	}
	return s
}
