package probes

import (
	"encoding/binary"
	"fmt"
	"io"
)

// TDS confirms a SQL Server on 1433 (and on the instance ports the SQL Server
// Browser reports, named by the plan) with a PRELOGIN ([MS-TDS] 2.2.6.5), the
// first message of every connection: the server answers with its version and
// its encryption setting, before any login.
var TDS = &Service{
	Name: "tds", Ports: []uint16{1433},
	Drift: []DriftField{
		{Path: "tds.version", Meaning: "the SQL Server version changed (an update, or another instance answers)"},
		{Path: "tds.encryption", Meaning: "the server's encryption setting changed (ForceEncryption turned on or off)"},
	},
	New: func(io.Reader, string) (Dialog, error) { return &tdsDialog{d: ServiceDetail{Service: "tds"}}, nil },
}

// TDSDetail is a SQL Server's PRELOGIN response.
type TDSDetail struct {
	// Version is the server's product version ("16.0.1000.6") and Product its
	// release ("SQL Server 2022").
	Version string `json:"version"`
	Product string `json:"product,omitempty"`
	// Encryption is the server's B_FENCRYPTION ([MS-TDS] 2.2.6.5): "off",
	// "on", "not supported" or "required".
	Encryption string `json:"encryption,omitempty"`
}

func (t *TDSDetail) summary() string {
	s := "SQL Server " + t.Version
	if t.Product != "" {
		s = t.Product + " (" + t.Version + ")"
	}
	if t.Encryption != "" {
		s += ", encryption " + t.Encryption
	}
	return s
}

// PRELOGIN option tokens ([MS-TDS] 2.2.6.5).
const (
	tdsVersion    = 0x00
	tdsEncryption = 0x01
	tdsInstOpt    = 0x02
	tdsThreadID   = 0x03
	tdsMARS       = 0x04
	tdsTerminator = 0xff
	tdsPrelogin   = 0x12 // packet type of the request
	tdsResponse   = 0x04 // tabular result, which carries the response
)

// tdsPreloginRequest is the PRELOGIN the [MS-TDS] 4.1 example sends, with a
// zero client version and thread ID and ENCRYPT_OFF, so the server answers with
// its own setting: the 8-byte packet header (type 0x12, status EOM, length 47,
// packet 1), five option tokens and the terminator, then their data: VERSION
// (6 bytes), ENCRYPTION, INSTOPT (the default instance, "\x00"), THREADID,
// MARS off.
var tdsPreloginRequest = []byte{
	tdsPrelogin, 0x01, 0x00, 0x2f, 0x00, 0x00, 0x01, 0x00,
	tdsVersion, 0x00, 0x1a, 0x00, 0x06,
	tdsEncryption, 0x00, 0x20, 0x00, 0x01,
	tdsInstOpt, 0x00, 0x21, 0x00, 0x01,
	tdsThreadID, 0x00, 0x22, 0x00, 0x04,
	tdsMARS, 0x00, 0x26, 0x00, 0x01,
	tdsTerminator,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,
	0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00,
}

type tdsDialog struct {
	d    ServiceDetail
	sent bool
}

func (t *tdsDialog) Detail() *ServiceDetail { return &t.d }

func (t *tdsDialog) Next(in []byte) (Step, error) {
	if !t.sent {
		t.sent = true
		return Step{Send: tdsPreloginRequest}, nil
	}
	if len(in) >= 1 && in[0] != tdsResponse {
		return Step{}, wrongService("a TDS PRELOGIN response", in)
	}
	if len(in) < 8 {
		return Step{}, nil
	}
	n := int(binary.BigEndian.Uint16(in[2:]))
	if n < 8 {
		return Step{}, wrongService("a TDS PRELOGIN response", in)
	}
	if len(in) < n {
		return Step{}, nil
	}
	d, err := tdsParsePrelogin(in[8:n])
	if err != nil {
		return Step{}, wrongService("a TDS PRELOGIN response", in)
	}
	t.d.TDS = d
	return Step{Done: true}, nil
}

// tdsParsePrelogin reads the option tokens of a PRELOGIN response: offsets are
// from the start of the packet data, and every option must lie within it.
func tdsParsePrelogin(b []byte) (*TDSDetail, error) {
	d := &TDSDetail{}
	seenVersion := false
	for i := 0; ; i += 5 {
		if i >= len(b) {
			return nil, fmt.Errorf("tds: no terminator")
		}
		if b[i] == tdsTerminator {
			break
		}
		if i+5 > len(b) {
			return nil, fmt.Errorf("tds: truncated option token")
		}
		off, n := int(binary.BigEndian.Uint16(b[i+1:])), int(binary.BigEndian.Uint16(b[i+3:]))
		if off+n > len(b) {
			return nil, fmt.Errorf("tds: option %d beyond the packet", b[i])
		}
		v := b[off : off+n]
		switch b[i] {
		case tdsVersion:
			if n != 6 {
				return nil, fmt.Errorf("tds: VERSION of %d bytes", n)
			}
			// UL_VERSION: major, minor, build (big-endian); then US_SUBBUILD.
			d.Version = fmt.Sprintf("%d.%d.%d.%d", v[0], v[1], binary.BigEndian.Uint16(v[2:]), binary.BigEndian.Uint16(v[4:]))
			d.Product = tdsProducts[v[0]]
			if v[0] == 10 && v[1] == 50 {
				d.Product = "SQL Server 2008 R2"
			}
			seenVersion = true
		case tdsEncryption:
			if n == 1 {
				d.Encryption = map[byte]string{0: "off", 1: "on", 2: "not supported", 3: "required"}[v[0]]
			}
		}
	}
	if !seenVersion {
		return nil, fmt.Errorf("tds: no VERSION option")
	}
	return d, nil
}

// tdsProducts names major versions (Microsoft's "SQL Server versions" list).
var tdsProducts = map[byte]string{
	8: "SQL Server 2000", 9: "SQL Server 2005", 10: "SQL Server 2008", 11: "SQL Server 2012",
	12: "SQL Server 2014", 13: "SQL Server 2016", 14: "SQL Server 2017", 15: "SQL Server 2019",
	16: "SQL Server 2022", 17: "SQL Server 2025",
}
