package probes

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// UUID is a DCE UUID in its textual byte order (RFC 4122 §4.1.2). On the wire,
// DCE/RPC writes the first three fields in the sender's byte order (little-endian
// here), so UUIDFromWire and AppendWire convert.
type UUID [16]byte

// UUIDFromWire converts 16 bytes in little-endian NDR order (u32, u16, u16 LE, then
// 8 raw bytes). A short slice yields the zero UUID.
func UUIDFromWire(b []byte) UUID {
	var u UUID
	if len(b) < 16 {
		return u
	}
	binary.BigEndian.PutUint32(u[0:], binary.LittleEndian.Uint32(b[0:]))
	binary.BigEndian.PutUint16(u[4:], binary.LittleEndian.Uint16(b[4:]))
	binary.BigEndian.PutUint16(u[6:], binary.LittleEndian.Uint16(b[6:]))
	copy(u[8:], b[8:16])
	return u
}

// AppendWire appends the UUID in little-endian NDR order.
func (u UUID) AppendWire(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, binary.BigEndian.Uint32(u[0:]))
	b = binary.LittleEndian.AppendUint16(b, binary.BigEndian.Uint16(u[4:]))
	b = binary.LittleEndian.AppendUint16(b, binary.BigEndian.Uint16(u[6:]))
	return append(b, u[8:]...)
}

// IsZero reports whether the UUID is the nil UUID.
func (u UUID) IsZero() bool { return u == UUID{} }

func (u UUID) String() string {
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// MarshalText writes the canonical lower-case form.
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText parses the canonical form.
func (u *UUID) UnmarshalText(b []byte) error {
	v, err := ParseUUID(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// ParseUUID parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case).
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("probes: bad UUID %q", s)
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return UUID{}, fmt.Errorf("probes: bad UUID %q", s)
	}
	return u, nil
}

// MustParseUUID is ParseUUID for constants in this package's tables; it panics on a
// typo, which the package's tests catch at once.
func MustParseUUID(s string) UUID {
	u, err := ParseUUID(s)
	if err != nil {
		panic(err)
	}
	return u
}

// rpcInterfaces names the RPC interfaces an administrator meets behind a firewall.
// Sources: protocols.md §10.8 (Impacket MSRPC_UUID_* constants and observed Samba
// data) and the Microsoft Open Specifications named in each entry.
var rpcInterfaces = map[UUID]string{
	MustParseUUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa"): "Endpoint mapper",
	MustParseUUID("afa8bd80-7d8a-11c9-bef4-08002b102989"): "RPC management (mgmt)",
	MustParseUUID("12345778-1234-abcd-ef00-0123456789ab"): "LSA (MS-LSAD/LSAT)",
	MustParseUUID("12345778-1234-abcd-ef00-0123456789ac"): "SAMR (MS-SAMR)",
	MustParseUUID("12345678-1234-abcd-ef00-01234567cffb"): "Netlogon (MS-NRPC)",
	MustParseUUID("e3514235-4b06-11d1-ab04-00c04fc2dcd2"): "DRSUAPI AD replication (MS-DRSR)",
	MustParseUUID("7c44d7d4-31d5-424c-bd5e-2b3e1f323d22"): "DSAOP AD replication options (MS-DRSR)",
	MustParseUUID("3919286a-b10c-11d0-9ba8-00c04fd92ef5"): "DSSETUP (MS-DSSP)",
	MustParseUUID("3dde7c30-165d-11d1-ab8f-00805f14db40"): "BackupKey (MS-BKRP)",
	MustParseUUID("f5cc59b4-4264-101a-8c59-08002b2f8426"): "FRS (MS-FRS1)",
	MustParseUUID("d049b186-814f-11d1-9a3c-00c04fc9b232"): "FRS API (MS-FRS1)",
	MustParseUUID("897e2e5f-93f3-4376-9c9c-fd2277495c27"): "DFSR (MS-FRS2)",
	MustParseUUID("4fc742e0-4a10-11cf-8273-00aa004ae673"): "DFS namespace (MS-DFSNM)",
	MustParseUUID("906b0ce0-c70b-1067-b317-00dd010662da"): "MSDTC (MS-CMPO)",
	MustParseUUID("a4f1db00-ca47-1067-b31f-00dd010662da"): "Exchange store EMSMDB (MS-OXCRPC)",
	MustParseUUID("5261574a-4572-206e-b268-6b199213b4e4"): "Exchange AsyncEMSMDB (MS-OXCRPC)",
	MustParseUUID("f5cc5a18-4264-101a-8c59-08002b2f8426"): "NSPI address book (MS-NSPI)",
	MustParseUUID("1544f5e0-613c-11d1-93df-00c04fd7bd09"): "Exchange RFR (MS-OXABREF)",
	MustParseUUID("fdb3a030-065f-11d1-bb9b-00a024ea5525"): "MSMQ qmcomm (MS-MQMP)",
	MustParseUUID("1088a980-eae5-11d0-8d9b-00a02453c337"): "MSMQ qm2qm (MS-MQQP)",
	MustParseUUID("77df7a80-f298-11d0-8358-00a024c480a8"): "MSMQ directory (MS-MQDS)",
	MustParseUUID("91ae6020-9e3c-11cf-8d7c-00aa00c091be"): "AD CS ICertPassage (MS-ICPR)",
	MustParseUUID("d99e6e70-fc88-11d0-b498-00a0c90312f3"): "AD CS ICertRequestD (MS-WCCE)",
	MustParseUUID("367abb81-9844-35f1-ad32-98f038001003"): "Service Control Manager (MS-SCMR)",
	MustParseUUID("86d35949-83c9-4044-b424-db363231fd0c"): "Task Scheduler (MS-TSCH)",
	MustParseUUID("1ff70682-0a51-30e8-076d-740be8cee98b"): "Task Scheduler ATSvc (MS-TSCH)",
	MustParseUUID("378e52b0-c0a9-11cf-822d-00aa0051e40f"): "Task Scheduler SASec (MS-TSCH)",
	MustParseUUID("12345678-1234-abcd-ef00-0123456789ab"): "Print spooler (MS-RPRN)",
	MustParseUUID("76f03f96-cdfd-44fc-a22c-64950a001209"): "Print spooler async (MS-PAR)",
	MustParseUUID("50abc2a4-574d-40b3-9d66-ee4fd5fba076"): "DNS server management (MS-DNSP)",
	MustParseUUID("6bffd098-a112-3610-9833-46c3f874532d"): "DHCP server (MS-DHCPM)",
	MustParseUUID("5b821720-f63b-11d0-aad2-00c04fc324db"): "DHCP server v2 (MS-DHCPM)",
	MustParseUUID("45f52c28-7f9f-101a-b52b-08002b2efabe"): "WINS (MS-RAIW)",
	MustParseUUID("f6beaff7-1e19-4fbb-9f8f-b89e2018337c"): "Event log (MS-EVEN6)",
	MustParseUUID("82273fdc-e32a-18c3-3f78-827929dc23ea"): "Event log (MS-EVEN)",
	MustParseUUID("b9785960-524f-11df-8b6d-83dcded72085"): "GKDI gMSA keys (MS-GKDI)",
	MustParseUUID("99fcfec4-5260-101b-bbcb-00aa0021347a"): "DCOM IObjectExporter (MS-DCOM)",
	MustParseUUID("000001a0-0000-0000-c000-000000000046"): "DCOM IRemoteSCMActivator (MS-DCOM)",
	MustParseUUID("4d9f4ab8-7d1c-11cf-861e-0020af6e7c57"): "DCOM IActivation (MS-DCOM)",
	MustParseUUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"): "Server service srvsvc (MS-SRVS)",
	MustParseUUID("6bffd098-a112-3610-9833-46c3f87e345a"): "Workstation service wkssvc (MS-WKST)",
	MustParseUUID("338cd001-2244-31f1-aaaa-900038001003"): "Remote registry (MS-RRP)",
	MustParseUUID("894de0c0-0d55-11d3-a322-00c04fa321a1"): "InitShutdown (MS-RSP)",
	MustParseUUID("d95afe70-a6d5-4259-822e-2c84da1ddb0d"): "WindowsShutdown (MS-RSP)",
	MustParseUUID("8fb6d884-2388-11d0-8c35-00c04fda2795"): "W32Time (MS-W32T)",
	MustParseUUID("c681d488-d850-11d0-8c52-00c04fd90f7e"): "EFSRPC (MS-EFSR)",
	MustParseUUID("df1941c5-fe89-4e79-bf10-463657acf44d"): "EFSRPC (MS-EFSR)",
	MustParseUUID("ccd8c074-d0e5-4a40-92b4-d074faa6ba28"): "Witness (MS-SWN)",
	MustParseUUID("a8e0653c-2744-4389-a61d-7373df8b2292"): "File server VSS agent (MS-FSRVP)",
	MustParseUUID("b97db8b2-4c63-11cf-bff6-08002be23f2f"): "Failover cluster (MS-CMRP)",
	MustParseUUID("6bffd098-a112-3610-9833-012892020162"): "Computer Browser (MS-BRWSA)",
	MustParseUUID("9c54e310-a955-4885-bd31-78787147dfa6"): "Samba unixinfo",
}

// InterfaceName returns the well-known name of an RPC interface, or "" when it is
// not one this package knows (reports then show the raw UUID).
func InterfaceName(u UUID) string { return rpcInterfaces[u] }
