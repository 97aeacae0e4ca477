package probes

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/portreach/portreach/msrpc"
)

// SMB confirms an SMB server on 445 (SMB2/3 over direct TCP, [MS-SMB2] 2.1) with
// an SMB2 NEGOTIATE ([MS-SMB2] 2.2.3) offering every dialect from 2.0.2 to
// 3.1.1: the server picks its best, and says whether it requires signing
// ([MS-SMB2] 2.2.4 SecurityMode). No session is set up.
var SMB = &Service{
	Name: "smb", Ports: []uint16{445},
	Drift:    smbDrift,
	New:      newSMBDialog("smb", false),
	Requires: []*Requirement{SMBSigning},
}

// NetBIOSSSN confirms SMB over NetBIOS on 139: a NetBIOS session request
// (RFC 1002 §4.3.2) to the name *SMBSERVER, which Windows and Samba accept for
// any server, then the same NEGOTIATE.
var NetBIOSSSN = &Service{
	Name: "netbios-ssn", Ports: []uint16{139},
	Drift:    smbDrift,
	New:      newSMBDialog("netbios-ssn", true),
	Requires: []*Requirement{SMBSigning},
}

// SMBSigning requires an SMB server to require signing: its NEGOTIATE response
// sets SMB2_NEGOTIATE_SIGNING_REQUIRED ([MS-SMB2] 2.2.4), as Windows domain
// controllers do by default ("Microsoft network server: Digitally sign
// communications (always)"), which defeats NTLM relaying to them. An SMB1
// answer says nothing of it here.
var SMBSigning = &Requirement{
	Name:    "smb-signing",
	Meaning: "the SMB server requires signing ([MS-SMB2] 2.2.4 SMB2_NEGOTIATE_SIGNING_REQUIRED)",
	Met: func(d *ServiceDetail) (met, known bool) {
		if d == nil || d.SMB == nil || d.SMB.Status != "" || d.SMB.Dialect == "SMB1" {
			return false, false
		}
		return d.SMB.SigningRequired, true
	},
}

var smbDrift = []DriftField{
	{Path: "smb.dialect", Meaning: "the SMB dialect the server picks changed (an SMB1-only or downgraded server, or another server answers)"},
	{Path: "smb.signing_required", Meaning: "SMB signing is no longer (or now) required: relaying attacks depend on it"},
}

// SMBDetail is an SMB server's NEGOTIATE response.
type SMBDetail struct {
	// Dialect is the dialect the server chose ("3.1.1"), or "SMB1" when it
	// answered with an SMB1 header (it speaks no SMB2).
	Dialect string `json:"dialect"`
	// SigningRequired is SMB2_NEGOTIATE_SIGNING_REQUIRED in SecurityMode.
	SigningRequired bool `json:"signing_required"`
	// ServerGUID is the server's GUID, as [MS-DTYP] 2.3.4.3 writes it.
	ServerGUID string `json:"server_guid,omitempty"`
	// Capabilities names the SMB2_GLOBAL_CAP_ bits ([MS-SMB2] 2.2.4).
	Capabilities []string `json:"capabilities,omitempty"`
	// Status is the response's NTSTATUS when it is not STATUS_SUCCESS.
	Status string `json:"status,omitempty"`
}

func (s *SMBDetail) summary() string {
	if s.Status != "" {
		return "SMB NEGOTIATE refused: " + s.Status
	}
	sig := "signing not required"
	if s.SigningRequired {
		sig = "signing required"
	}
	return fmt.Sprintf("SMB %s, %s", s.Dialect, sig)
}

const (
	smbCommandNegotiate = 0x0000
	smbFlagsResponse    = 0x00000001
	smbSigningEnabled   = 0x0001
	smbSigningRequired  = 0x0002
	// smbDialects are offered in this order ([MS-SMB2] 2.2.3: the server picks
	// the highest it supports).
	smbPreauthContext = 0x0001 // SMB2_PREAUTH_INTEGRITY_CAPABILITIES, [MS-SMB2] 2.2.3.1.1
	smbSHA512         = 0x0001
)

var smbDialects = []uint16{0x0202, 0x0210, 0x0300, 0x0302, 0x0311}

func smbDialectName(d uint16) string {
	switch d {
	case 0x0202:
		return "2.0.2"
	case 0x0210:
		return "2.1"
	case 0x0300:
		return "3.0"
	case 0x0302:
		return "3.0.2"
	case 0x0311:
		return "3.1.1"
	case 0x02ff:
		return "2.??" // the SMB2 wildcard, answered only to an SMB1 multi-protocol negotiate
	}
	return fmt.Sprintf("0x%04x", d)
}

var smbCapNames = []string{"DFS", "LEASING", "LARGE_MTU", "MULTI_CHANNEL", "PERSISTENT_HANDLES", "DIRECTORY_LEASING", "ENCRYPTION"}

// smbNegotiate builds the NEGOTIATE request with its direct-TCP header: the
// 64-byte SMB2 header ([MS-SMB2] 2.2.1.2), the request with the five dialects,
// and, because 3.1.1 is offered, a preauth integrity context (SHA-512 and a
// 32-byte salt), 8-byte aligned ([MS-SMB2] 2.2.3.1).
func smbNegotiate(guid [16]byte, salt [32]byte) []byte {
	b := make([]byte, 64, 200)
	copy(b, "\xfeSMB")
	binary.LittleEndian.PutUint16(b[4:], 64) // StructureSize
	binary.LittleEndian.PutUint16(b[12:], smbCommandNegotiate)
	binary.LittleEndian.PutUint16(b[14:], 1) // CreditRequest
	b = binary.LittleEndian.AppendUint16(b, 36)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(smbDialects)))
	b = binary.LittleEndian.AppendUint16(b, smbSigningEnabled)
	b = binary.LittleEndian.AppendUint16(b, 0) // Reserved
	b = binary.LittleEndian.AppendUint32(b, 0) // Capabilities
	b = append(b, guid[:]...)                  // ClientGuid
	offAt := len(b)                            // NegotiateContextOffset, filled below
	b = binary.LittleEndian.AppendUint32(b, 0) //
	b = binary.LittleEndian.AppendUint16(b, 1) // NegotiateContextCount
	b = binary.LittleEndian.AppendUint16(b, 0) // Reserved2
	for _, d := range smbDialects {
		b = binary.LittleEndian.AppendUint16(b, d)
	}
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	binary.LittleEndian.PutUint32(b[offAt:], uint32(len(b)))
	b = binary.LittleEndian.AppendUint16(b, smbPreauthContext)
	b = binary.LittleEndian.AppendUint16(b, 38) // DataLength
	b = binary.LittleEndian.AppendUint32(b, 0)  // Reserved
	b = binary.LittleEndian.AppendUint16(b, 1)  // HashAlgorithmCount
	b = binary.LittleEndian.AppendUint16(b, 32) // SaltLength
	b = binary.LittleEndian.AppendUint16(b, smbSHA512)
	b = append(b, salt[:]...)
	frame := []byte{0, byte(len(b) >> 16), byte(len(b) >> 8), byte(len(b))}
	return append(frame, b...)
}

// smbSessionRequest is the NetBIOS SESSION REQUEST (RFC 1002 §4.3.2) to
// *SMBSERVER<20> from PORTREACH<00>.
func smbSessionRequest() []byte {
	var called, calling [16]byte
	copy(called[:15], "*SMBSERVER     ")
	called[15] = 0x20
	copy(calling[:15], "PORTREACH      ")
	names := netbiosName(netbiosName(nil, called), calling)
	return append([]byte{0x81, 0, byte(len(names) >> 8), byte(len(names))}, names...)
}

func newSMBDialog(name string, netbios bool) func(io.Reader, string) (Dialog, error) {
	return func(rnd io.Reader, _ string) (Dialog, error) {
		var r [48]byte
		if _, err := io.ReadFull(rnd, r[:]); err != nil {
			return nil, fmt.Errorf("%s: random client GUID and salt: %w", name, err)
		}
		d := &smbDialog{d: ServiceDetail{Service: name}, req: smbNegotiate([16]byte(r[:16]), [32]byte(r[16:])), netbios: netbios}
		return d, nil
	}
}

type smbDialog struct {
	d       ServiceDetail
	req     []byte
	netbios bool
	state   int
}

func (s *smbDialog) Detail() *ServiceDetail { return &s.d }

func (s *smbDialog) Next(in []byte) (Step, error) {
	switch s.state {
	case 0:
		if s.netbios {
			s.state = 1
			return Step{Send: smbSessionRequest()}, nil
		}
		s.state = 2
		return Step{Send: s.req}, nil
	case 1:
		if len(in) < 4 {
			return Step{}, nil
		}
		switch in[0] {
		case 0x82: // POSITIVE SESSION RESPONSE
			s.state = 2
			return Step{Send: s.req}, nil
		case 0x83: // NEGATIVE SESSION RESPONSE, §4.3.4: an error code follows
			if len(in) < 5 {
				return Step{}, nil
			}
			s.d.Note = fmt.Sprintf("NetBIOS session refused: error 0x%02x", in[4])
			return Step{Done: true}, nil
		}
		return Step{}, wrongService("a NetBIOS session response", in)
	}
	msg, ok, err := smbFrame(in)
	if len(in) >= 8 && string(in[5:8]) != "SMB" {
		err = errNotReply // neither \xfeSMB nor \xffSMB: no need to wait for the frame
	}
	if err != nil {
		return Step{}, wrongService("an SMB NEGOTIATE response", in)
	}
	if !ok {
		return Step{}, nil
	}
	d, err := smbParseNegotiate(msg)
	if err != nil {
		return Step{}, wrongService("an SMB NEGOTIATE response", in)
	}
	s.d.SMB = d
	return Step{Done: true}, nil
}

// smbFrame returns the first message of a direct-TCP stream ([MS-SMB2] 2.1: a
// zero byte and a 24-bit length), ok false while it is incomplete.
func smbFrame(in []byte) ([]byte, bool, error) {
	if len(in) == 0 {
		return nil, false, nil
	}
	if in[0] != 0 {
		return nil, false, errNotReply
	}
	if len(in) < 4 {
		return nil, false, nil
	}
	n := int(in[1])<<16 | int(in[2])<<8 | int(in[3])
	if n > 1<<16 {
		return nil, false, errNotReply // a NEGOTIATE response is a few hundred bytes
	}
	if len(in) < 4+n {
		return nil, false, nil
	}
	return in[4 : 4+n], true, nil
}

// smbParseNegotiate reads a NEGOTIATE response ([MS-SMB2] 2.2.4), or notes an
// SMB1 answer.
func smbParseNegotiate(b []byte) (*SMBDetail, error) {
	if len(b) >= 4 && string(b[:4]) == "\xffSMB" {
		return &SMBDetail{Dialect: "SMB1"}, nil
	}
	if len(b) < 64 || string(b[:4]) != "\xfeSMB" || binary.LittleEndian.Uint16(b[4:]) != 64 {
		return nil, errNotReply
	}
	if binary.LittleEndian.Uint16(b[12:]) != smbCommandNegotiate || binary.LittleEndian.Uint32(b[16:])&smbFlagsResponse == 0 {
		return nil, errNotReply
	}
	if st := binary.LittleEndian.Uint32(b[8:]); st != 0 {
		return &SMBDetail{Status: fmt.Sprintf("NTSTATUS 0x%08x", st)}, nil
	}
	r := b[64:]
	if len(r) < 64 || binary.LittleEndian.Uint16(r) != 65 {
		return nil, errNotReply
	}
	d := &SMBDetail{
		SigningRequired: binary.LittleEndian.Uint16(r[2:])&smbSigningRequired != 0,
		Dialect:         smbDialectName(binary.LittleEndian.Uint16(r[4:])),
		ServerGUID:      msrpc.UUIDFromWire(r[8:24]).String(), // [MS-DTYP] 2.3.4.3 GUID, registry form
	}
	caps := binary.LittleEndian.Uint32(r[24:])
	for i, n := range smbCapNames {
		if caps&(1<<i) != 0 {
			d.Capabilities = append(d.Capabilities, n)
		}
	}
	return d, nil
}
