package msrpc

import (
	"strconv"
	"strings"
)

// Interface identifies an RPC interface: its UUID and version, the name reports
// give it, the [MS-*] specification that defines it, and where the UUID and
// version were taken from. Profiles name interfaces by Key.
type Interface struct {
	Key    string `json:"key,omitempty"` // how profiles and --require name it: "msdtc", "drsuapi"
	Name   string `json:"name"`          // how reports name it: "MSDTC", "DRSUAPI"
	UUID   UUID   `json:"uuid"`
	Major  uint16 `json:"major"`
	Minor  uint16 `json:"minor"`
	Spec   string `json:"spec,omitempty"`   // "MS-CMPO"
	Source string `json:"source,omitempty"` // the specification section (URL) the UUID and version come from
}

// Version is "major.minor".
func (i Interface) Version() string {
	return strconv.Itoa(int(i.Major)) + "." + strconv.Itoa(int(i.Minor))
}

// Label is how a report names the interface: "MSDTC (906b0ce0-…)", or the bare
// UUID for an interface without a name.
func (i Interface) Label() string {
	if i.Name == "" {
		return i.UUID.String()
	}
	return i.Name + " (" + i.UUID.String()[:8] + "-…)"
}

// Microsoft Open Specifications pages the table cites; the section is named in
// each entry's comment when the page is the specification's landing page.
const ms = "https://learn.microsoft.com/en-us/openspecs/windows_protocols/"

// EPM is the endpoint mapper interface ([MS-RPCE] 2.2.1.2, C706 Appendix O).
var EPM = Interface{Key: "epmapper", Name: "Endpoint mapper", UUID: MustParseUUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa"), Major: 3,
	Spec: "MS-RPCE", Source: "C706 Appendix O (ept.idl); Samba librpc/idl/epmapper.idl"}

// Interfaces is the table of RPC interfaces an administrator meets behind a
// firewall: one home for their identities. UUIDs and versions come from the
// Microsoft Open Specifications section cited in Source (1.9 Standards
// Assignments or 2.1 Transport, or the IDL appendix); where Samba implements the
// interface its librpc/idl file was checked to agree (December 2026).
var Interfaces = []Interface{
	EPM,
	{Key: "mgmt", Name: "RPC management", UUID: MustParseUUID("afa8bd80-7d8a-11c9-bef4-08002b102989"), Major: 1,
		Spec: "C706", Source: "C706 Appendix Q (mgmt.idl); Samba librpc/idl/mgmt.idl"},
	{Key: "lsarpc", Name: "LSA", UUID: MustParseUUID("12345778-1234-abcd-ef00-0123456789ab"), Major: 0,
		Spec: "MS-LSAD", Source: ms + "ms-lsad/302bc4e1-69fb-48cb-abb2-0d817c8473e5"}, // 1.9; version 0.0 from Samba lsa.idl
	{Key: "samr", Name: "SAMR", UUID: MustParseUUID("12345778-1234-abcd-ef00-0123456789ac"), Major: 1,
		Spec: "MS-SAMR", Source: ms + "ms-samr/084da2e7-0ba0-44fc-8f17-e8a200c69eb5"}, // 2.1
	{Key: "netlogon", Name: "Netlogon", UUID: MustParseUUID("12345678-1234-abcd-ef00-01234567cffb"), Major: 1,
		Spec: "MS-NRPC", Source: ms + "ms-nrpc/592edbc8-f6f1-40c0-9ab3-fe6725ac6d7e"}, // 2.1
	{Key: "drsuapi", Name: "DRSUAPI", UUID: MustParseUUID("e3514235-4b06-11d1-ab04-00c04fc2dcd2"), Major: 4,
		Spec: "MS-DRSR", Source: ms + "ms-drsr/063618ed-b2e2-4983-ab13-3ed056700641"}, // 1.9; version 4.0 in Appendix A
	{Key: "dsaop", Name: "DSAOP", UUID: MustParseUUID("7c44d7d4-31d5-424c-bd5e-2b3e1f323d22"), Major: 1,
		Spec: "MS-DRSR", Source: ms + "ms-drsr/063618ed-b2e2-4983-ab13-3ed056700641"},
	{Key: "dssetup", Name: "DSSETUP", UUID: MustParseUUID("3919286a-b10c-11d0-9ba8-00c04fd92ef5"), Major: 0,
		Spec: "MS-DSSP", Source: ms + "ms-dssp/d9125d4c-eca6-48dd-9d84-be6370033866"}, // 2.1
	{Key: "backupkey", Name: "BackupKey", UUID: MustParseUUID("3dde7c30-165d-11d1-ab8f-00805f14db40"), Major: 1,
		Spec: "MS-BKRP", Source: "[MS-BKRP] 1.9; Samba librpc/idl/backupkey.idl"},
	{Key: "frsrpc", Name: "FRS", UUID: MustParseUUID("f5cc59b4-4264-101a-8c59-08002b2f8426"), Major: 1, Minor: 1,
		Spec: "MS-FRS1", Source: "[MS-FRS1] 1.9; Samba librpc/idl/frsrpc.idl"},
	{Key: "frsapi", Name: "FRS API", UUID: MustParseUUID("d049b186-814f-11d1-9a3c-00c04fc9b232"), Major: 1, Minor: 1,
		Spec: "MS-FRS1", Source: ms + "ms-frs1/fd67a384-d0de-4b81-aab7-930f76b8f7c3"}, // 1.7.1
	{Key: "dfsr", Name: "DFSR", UUID: MustParseUUID("897e2e5f-93f3-4376-9c9c-fd2277495c27"), Major: 1,
		Spec: "MS-FRS2", Source: ms + "ms-frs2/54a89532-1bd4-486b-99ce-fc9488672eeb"}, // 2.1
	{Key: "netdfs", Name: "DFS namespace", UUID: MustParseUUID("4fc742e0-4a10-11cf-8273-00aa004ae673"), Major: 3,
		Spec: "MS-DFSNM", Source: "[MS-DFSNM] 1.9; Samba librpc/idl/dfs.idl"},
	{Key: "trksvr", Name: "Link tracking server", UUID: MustParseUUID("4da1c422-943d-11d1-acae-00c04fc2aa3f"), Major: 1,
		Spec: "MS-DLTM", Source: "[MS-DLTM] 1.9 Standards Assignments"},
	{Key: "msdtc", Name: "MSDTC", UUID: MustParseUUID("906b0ce0-c70b-1067-b317-00dd010662da"), Major: 1,
		Spec: "MS-CMPO", Source: ms + "ms-cmpo/d2403ca5-33fa-4329-97f5-825ad0868bf6"}, // IXnRemote, 1.9 and 2.1
	{Key: "emsmdb", Name: "Exchange store EMSMDB", UUID: MustParseUUID("a4f1db00-ca47-1067-b31f-00dd010662da"), Major: 0, Minor: 81,
		Spec: "MS-OXCRPC", Source: "https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcrpc/ceea14b9-7dff-4076-bf6d-f6af1bc4af5a"}, // 1.9
	{Key: "asyncemsmdb", Name: "Exchange AsyncEMSMDB", UUID: MustParseUUID("5261574a-4572-206e-b268-6b199213b4e4"), Major: 0, Minor: 1,
		Spec: "MS-OXCRPC", Source: "https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcrpc/ceea14b9-7dff-4076-bf6d-f6af1bc4af5a"},
	{Key: "nspi", Name: "NSPI address book", UUID: MustParseUUID("f5cc5a18-4264-101a-8c59-08002b2f8426"), Major: 56,
		Spec: "MS-NSPI", Source: ms + "ms-nspi/4ff2a40f-1657-4dba-a34c-08442be982f6"}, // 1.9
	{Key: "rfr", Name: "Exchange referral RFR", UUID: MustParseUUID("1544f5e0-613c-11d1-93df-00c04fd7bd09"), Major: 1,
		Spec: "MS-OXABREF", Source: "[MS-OXABREF] 1.9 Standards Assignments"},
	{Key: "msmq", Name: "MSMQ qmcomm", UUID: MustParseUUID("fdb3a030-065f-11d1-bb9b-00a024ea5525"), Major: 1,
		Spec: "MS-MQMP", Source: "[MS-MQMP] 1.9 Standards Assignments"},
	{Key: "msmq-qm2qm", Name: "MSMQ qm2qm", UUID: MustParseUUID("1088a980-eae5-11d0-8d9b-00a02453c337"), Major: 1,
		Spec: "MS-MQQP", Source: "[MS-MQQP] 1.9 Standards Assignments"},
	{Key: "msmq-ds", Name: "MSMQ directory", UUID: MustParseUUID("77df7a80-f298-11d0-8358-00a024c480a8"), Major: 1,
		Spec: "MS-MQDS", Source: "[MS-MQDS] 1.9 Standards Assignments"},
	{Key: "icpr", Name: "AD CS ICertPassage", UUID: MustParseUUID("91ae6020-9e3c-11cf-8d7c-00aa00c091be"), Major: 0,
		Spec: "MS-ICPR", Source: "[MS-ICPR] 1.9 Standards Assignments"},
	{Key: "icertrequestd", Name: "AD CS ICertRequestD", UUID: MustParseUUID("d99e6e70-fc88-11d0-b498-00a0c90312f3"), Major: 0,
		Spec: "MS-WCCE", Source: ms + "ms-wcce/10218604-800e-43a9-8c86-ade45479faa8"}, // 1.9; a DCOM interface
	{Key: "clusapi", Name: "Failover cluster", UUID: MustParseUUID("b97db8b2-4c63-11cf-bff6-08002be23f2f"), Major: 3,
		Spec: "MS-CMRP", Source: "[MS-CMRP] 1.9; Samba librpc/idl/clusapi.idl"},
	{Key: "eventlog6", Name: "Event log", UUID: MustParseUUID("f6beaff7-1e19-4fbb-9f8f-b89e2018337c"), Major: 1,
		Spec: "MS-EVEN6", Source: "[MS-EVEN6] 2.1; Samba librpc/idl/eventlog6.idl"},
	{Key: "eventlog", Name: "Event log (legacy)", UUID: MustParseUUID("82273fdc-e32a-18c3-3f78-827929dc23ea"), Major: 0,
		Spec: "MS-EVEN", Source: "[MS-EVEN] 2.1; Samba librpc/idl/eventlog.idl"},
	{Key: "svcctl", Name: "Service Control Manager", UUID: MustParseUUID("367abb81-9844-35f1-ad32-98f038001003"), Major: 2,
		Spec: "MS-SCMR", Source: ms + "ms-scmr/e7a38186-cde2-40ad-90c7-650822bd6333"}, // 1.9; version 2.0 from Samba svcctl.idl
	{Key: "tsch", Name: "Task Scheduler", UUID: MustParseUUID("86d35949-83c9-4044-b424-db363231fd0c"), Major: 1,
		Spec: "MS-TSCH", Source: "[MS-TSCH] 1.9 Standards Assignments (ITaskSchedulerService)"},
	{Key: "atsvc", Name: "Task Scheduler ATSvc", UUID: MustParseUUID("1ff70682-0a51-30e8-076d-740be8cee98b"), Major: 1,
		Spec: "MS-TSCH", Source: "[MS-TSCH] 1.9; Samba librpc/idl/atsvc.idl"},
	{Key: "sasec", Name: "Task Scheduler SASec", UUID: MustParseUUID("378e52b0-c0a9-11cf-822d-00aa0051e40f"), Major: 1,
		Spec: "MS-TSCH", Source: "[MS-TSCH] 1.9 Standards Assignments"},
	{Key: "dcom-activation", Name: "DCOM activation", UUID: MustParseUUID("000001a0-0000-0000-c000-000000000046"), Major: 0,
		Spec: "MS-DCOM", Source: "[MS-DCOM] 1.9 (IRemoteSCMActivator): how WMI and other DCOM servers are activated"},
	{Key: "oxid-resolver", Name: "DCOM OXID resolver", UUID: MustParseUUID("99fcfec4-5260-101b-bbcb-00aa0021347a"), Major: 0,
		Spec: "MS-DCOM", Source: "[MS-DCOM] 1.9 (IObjectExporter); Samba librpc/idl/oxidresolver.idl"},
	{Key: "dcom-activation-legacy", Name: "DCOM IActivation", UUID: MustParseUUID("4d9f4ab8-7d1c-11cf-861e-0020af6e7c57"), Major: 0,
		Spec: "MS-DCOM", Source: "[MS-DCOM] 1.9 (IActivation); Samba librpc/idl/remact.idl"},
	{Key: "spoolss", Name: "Print spooler", UUID: MustParseUUID("12345678-1234-abcd-ef00-0123456789ab"), Major: 1,
		Spec: "MS-RPRN", Source: "[MS-RPRN] 1.9; Samba librpc/idl/spoolss.idl"},
	{Key: "par", Name: "Print spooler async", UUID: MustParseUUID("76f03f96-cdfd-44fc-a22c-64950a001209"), Major: 1,
		Spec: "MS-PAR", Source: "[MS-PAR] 1.9 Standards Assignments"},
	{Key: "dnsserver", Name: "DNS server management", UUID: MustParseUUID("50abc2a4-574d-40b3-9d66-ee4fd5fba076"), Major: 5,
		Spec: "MS-DNSP", Source: "[MS-DNSP] 1.9; Samba librpc/idl/dnsserver.idl"},
	{Key: "dhcpsrv", Name: "DHCP server", UUID: MustParseUUID("6bffd098-a112-3610-9833-46c3f874532d"), Major: 1,
		Spec: "MS-DHCPM", Source: ms + "ms-dhcpm/99fb0873-4e70-4020-aff2-b720c186daef"}, // 2.1
	{Key: "dhcpsrv2", Name: "DHCP server v2", UUID: MustParseUUID("5b821720-f63b-11d0-aad2-00c04fc324db"), Major: 1,
		Spec: "MS-DHCPM", Source: ms + "ms-dhcpm/99fb0873-4e70-4020-aff2-b720c186daef"},
	{Key: "wins", Name: "WINS", UUID: MustParseUUID("45f52c28-7f9f-101a-b52b-08002b2efabe"), Major: 1,
		Spec: "MS-RAIW", Source: "[MS-RAIW] 1.9 Standards Assignments"},
	{Key: "gkdi", Name: "GKDI gMSA keys", UUID: MustParseUUID("b9785960-524f-11df-8b6d-83dcded72085"), Major: 1,
		Spec: "MS-GKDI", Source: "[MS-GKDI] 1.9 Standards Assignments"},
	{Key: "srvsvc", Name: "Server service", UUID: MustParseUUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"), Major: 3,
		Spec: "MS-SRVS", Source: "[MS-SRVS] 1.9; Samba librpc/idl/srvsvc.idl"},
	{Key: "wkssvc", Name: "Workstation service", UUID: MustParseUUID("6bffd098-a112-3610-9833-46c3f87e345a"), Major: 1,
		Spec: "MS-WKST", Source: ms + "ms-wkst/5b1384ee-dad3-4c5f-942a-e35fc89442a2"}, // 1.9
	{Key: "winreg", Name: "Remote registry", UUID: MustParseUUID("338cd001-2244-31f1-aaaa-900038001003"), Major: 1,
		Spec: "MS-RRP", Source: "[MS-RRP] 1.9; Samba librpc/idl/winreg.idl"},
	{Key: "initshutdown", Name: "InitShutdown", UUID: MustParseUUID("894de0c0-0d55-11d3-a322-00c04fa321a1"), Major: 1,
		Spec: "MS-RSP", Source: "[MS-RSP] 1.9; Samba librpc/idl/initshutdown.idl"},
	{Key: "windowsshutdown", Name: "WindowsShutdown", UUID: MustParseUUID("d95afe70-a6d5-4259-822e-2c84da1ddb0d"), Major: 1,
		Spec: "MS-RSP", Source: "[MS-RSP] 1.9 Standards Assignments"},
	{Key: "w32time", Name: "W32Time", UUID: MustParseUUID("8fb6d884-2388-11d0-8c35-00c04fda2795"), Major: 4, Minor: 1,
		Spec: "MS-W32T", Source: "[MS-W32T] 1.9 Standards Assignments"},
	{Key: "efsrpc-lsarpc", Name: "EFSRPC on lsarpc", UUID: MustParseUUID("c681d488-d850-11d0-8c52-00c04fd90f7e"), Major: 1,
		Spec: "MS-EFSR", Source: ms + "ms-efsr/1baaad2f-7a84-4238-b113-f32827a39cd2"},
	{Key: "efsrpc", Name: "EFSRPC", UUID: MustParseUUID("df1941c5-fe89-4e79-bf10-463657acf44d"), Major: 1,
		Spec: "MS-EFSR", Source: ms + "ms-efsr/1baaad2f-7a84-4238-b113-f32827a39cd2"},
	{Key: "witness", Name: "Witness", UUID: MustParseUUID("ccd8c074-d0e5-4a40-92b4-d074faa6ba28"), Major: 1, Minor: 1,
		Spec: "MS-SWN", Source: "[MS-SWN] 1.9; Samba librpc/idl/witness.idl"},
	{Key: "fsrvp", Name: "File server VSS agent", UUID: MustParseUUID("a8e0653c-2744-4389-a61d-7373df8b2292"), Major: 1,
		Spec: "MS-FSRVP", Source: "[MS-FSRVP] 1.9; Samba librpc/idl/fsrvp.idl"},
	{Key: "browser", Name: "Computer Browser", UUID: MustParseUUID("6bffd098-a112-3610-9833-012892020162"), Major: 0,
		Spec: "MS-BRWSA", Source: "[MS-BRWSA] 1.9 Standards Assignments"},
	{Key: "unixinfo", Name: "Samba unixinfo", UUID: MustParseUUID("9c54e310-a955-4885-bd31-78787147dfa6"), Major: 0,
		Source: "Samba librpc/idl/unixinfo.idl"},
}

var byUUID = func() map[UUID]*Interface {
	m := make(map[UUID]*Interface, len(Interfaces))
	for i := range Interfaces {
		m[Interfaces[i].UUID] = &Interfaces[i]
	}
	return m
}()

// InterfaceName returns the well-known name of an RPC interface, or "" when it is
// not one this package knows (reports then show the raw UUID).
func InterfaceName(u UUID) string {
	if i := byUUID[u]; i != nil {
		return i.Name
	}
	return ""
}

// LookupInterface finds an interface by key ("msdtc"), by name ("MSDTC"), either
// case, or by UUID. A UUID the table does not know is returned with that UUID and
// no name or version (a bind then asks for the version the endpoint mapper
// registered). The second result is false for a key or name nobody knows and for
// text that is neither.
func LookupInterface(s string) (Interface, bool) {
	s = strings.TrimSpace(s)
	if u, err := ParseUUID(s); err == nil {
		if i := byUUID[u]; i != nil {
			return *i, true
		}
		return Interface{UUID: u}, true
	}
	for _, i := range Interfaces {
		if strings.EqualFold(i.Key, s) {
			return i, true
		}
	}
	for _, i := range Interfaces {
		if strings.EqualFold(i.Name, s) {
			return i, true
		}
	}
	return Interface{}, false
}
