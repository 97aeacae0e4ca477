package profiles

import (
	"path/filepath"
	"strings"
	"testing"
)

// profileFile wraps entry JSON lines into a one-profile file. The entry starts on
// line 9 of the result, its fields on the following lines.
func profileFile(entry string) string {
	return `{
  "profiles": [
    {
      "slug": "test-role",
      "name": "Test role",
      "description": "A profile for decoder tests.",
      "product": "Test",
      "entries": [
` + entry + `
      ]
    }
  ]
}
`
}

const goodEntry = `        {
          "proto": "tcp",
          "port": 445,
          "service": "SMB",
          "purpose": "File sharing",
          "expect": "open"
        }`

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{"unknown field", profileFile(strings.Replace(goodEntry, `"proto"`, `"prot"`, 1)),
			`t.json:10: unknown field "prot" in entry (fields: proto, port, kind, service, purpose, probe, expect, role, interfaces, require, note, source)`},
		{"backwards range", profileFile(strings.Replace(goodEntry, `445`, `"5-3"`, 1)),
			`t.json:11: "port": range "5-3" runs backwards (write 3-5)`},
		{"port 0", profileFile(strings.Replace(goodEntry, `445`, `0`, 1)),
			`t.json:11: "port": port 0 is out of range (1-65535)`},
		{"port 70000", profileFile(strings.Replace(goodEntry, `445`, `70000`, 1)),
			`t.json:11: "port": port 70000 is out of range (1-65535)`},
		{"range end 70000", profileFile(strings.Replace(goodEntry, `445`, `"50000-70000"`, 1)),
			`t.json:11: "port": port 70000 is out of range (1-65535)`},
		{"port not a number", profileFile(strings.Replace(goodEntry, `445`, `"smb"`, 1)),
			`t.json:11: "port": "smb" is not a port number`},
		{"port is a bool", profileFile(strings.Replace(goodEntry, `445`, `true`, 1)),
			`t.json:11: "port": want a number or a "low-high" string, got a boolean`},
		{"unknown proto", profileFile(strings.Replace(goodEntry, `"tcp"`, `"tpc"`, 1)),
			`t.json:10: proto "tpc": want one of tcp, udp, gre, esp, ah`},
		{"unknown expectation", profileFile(strings.Replace(goodEntry, `"open"`, `"required"`, 1)),
			`t.json:14: expect "required": want one of open, optional, closed, blocked`},
		{"missing expectation", profileFile(strings.Replace(goodEntry, `,
          "expect": "open"`, ``, 1)),
			`t.json:9: expect is required: one of open, optional, closed, blocked`},
		{"probe on gre", profileFile(strings.Replace(strings.Replace(strings.Replace(goodEntry, `"expect"`, `"probe": "dns", "expect"`, 1), `"tcp"`, `"gre"`, 1), `
          "port": 445,`, ``, 1)),
			`t.json:13: probe "dns" on a gre entry: probes are for udp entries (a UDP probe) and tcp entries (the service to confirm)`},
		{"port on gre", profileFile(strings.Replace(goodEntry, `"tcp"`, `"gre"`, 1)),
			`t.json:11: proto gre is an IP protocol and has no port`},
		{"tcp without port", profileFile(strings.Replace(goodEntry, `
          "port": 445,`, ``, 1)),
			`t.json:10: tcp entry needs a port (or kind "dynamic-rpc" / "negotiated")`},
		{"unknown kind", profileFile(strings.Replace(goodEntry, `"service"`, `"kind": "random", "service"`, 1)),
			`t.json:12: kind "random": want "" (a fixed port), "dynamic-rpc" or "negotiated"`},
		{"wrong type", profileFile(strings.Replace(goodEntry, `"SMB"`, `["SMB"]`, 1)),
			`t.json:12: "service": want a string, got an array`},
		{"duplicate field", profileFile(strings.Replace(goodEntry, `"service": "SMB",`, `"service": "SMB", "service": "CIFS",`, 1)),
			`t.json:12: duplicate field "service"`},
		{"syntax error", profileFile(strings.Replace(goodEntry, `"SMB",`, `"SMB"`, 1)),
			`t.json:13: invalid JSON: invalid character '"' after object key:value pair`},
		{"truncated", `{"profiles": [`, `t.json:1: invalid JSON: unexpected end of file`},
		{"trailing data", `{"profiles": []} {}`, `t.json:1: unexpected data after the top-level value`},
		{"undeclared role", profileFile(strings.Replace(goodEntry, `"expect"`, `"role": "sql", "expect"`, 1)),
			`t.json:9: profile "test-role": entry tcp/445 names role "sql", which neither it nor its includes declare`},
		{"missing include", strings.Replace(profileFile(goodEntry), `"product": "Test",`, `"product": "Test", "include": ["nope"],`, 1),
			`t.json:3: profile "test-role" includes "nope", which does not exist`},
		{"bad slug", strings.Replace(profileFile(goodEntry), `"test-role"`, `"Test Role"`, 1),
			`t.json:4: slug "Test Role": want lower-case words joined by hyphens (exchange-2016-mailbox)`},
		{"empty platform", strings.Replace(profileFile(goodEntry), `"product": "Test",`, `"product": "Test", "platforms": ["Windows Server 2022", " "],`, 1),
			`t.json:7: profile "test-role": empty platform`},
		{"platform twice", strings.Replace(profileFile(goodEntry), `"product": "Test",`, `"product": "Test", "platforms": ["Windows Server 2022", "Windows Server 2022"],`, 1),
			`t.json:7: profile "test-role": platform "Windows Server 2022" listed twice`},
		{"platforms not a list", strings.Replace(profileFile(goodEntry), `"product": "Test",`, `"product": "Test", "platforms": "Windows Server 2022",`, 1),
			`t.json:7: "platforms": want an array, got a string`},
		{"name taken", strings.Replace(profileFile(goodEntry), `"Test role"`, `"Domain Controller"`, 1),
			`t.json:3: profile "test-role": name "Domain Controller" is already used by profile "domain-controller" (profiles/data/windows.json:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "t.json")
			before := len(c.Profiles())
			err = c.AddFile(path, []byte(tc.file))
			if err == nil {
				t.Fatalf("no error; want %s", tc.want)
			}
			got := strings.ReplaceAll(err.Error(), path, "t.json")
			if got != tc.want && !(strings.HasSuffix(tc.want, ":") && strings.HasPrefix(got, tc.want)) {
				t.Errorf("error\n got: %s\nwant: %s", got, tc.want)
			}
			if len(c.Profiles()) != before {
				t.Errorf("a failed AddFile changed the catalogue")
			}
		})
	}
}

// TestDecodeCycle checks include cycles are found, with the path.
func TestDecodeCycle(t *testing.T) {
	file := `{"profiles": [
  {"slug": "a", "name": "A", "description": "d", "product": "p", "include": ["b"]},
  {"slug": "b", "name": "B", "description": "d", "product": "p", "include": ["c"]},
  {"slug": "c", "name": "C", "description": "d", "product": "p", "include": ["a", "dns-server"]}
]}`
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cyc.json")
	err = c.AddFile(path, []byte(file))
	want := strings.Join([]string{
		path + `:2: profile "a": include cycle a → b → c → a`,
		path + `:3: profile "b": include cycle b → c → a → b`,
		path + `:4: profile "c": include cycle c → a → b → c`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// TestDecodeSeveralErrors checks one run reports every problem, each on its line.
func TestDecodeSeveralErrors(t *testing.T) {
	entries := goodEntry + ",\n" + strings.Replace(strings.Replace(goodEntry, `445`, `70000`, 1), `"open"`, `"maybe"`, 1)
	_, err := parseCatalogFile("x.json", []byte(profileFile(entries)))
	want := "x.json:18: \"port\": port 70000 is out of range (1-65535)"
	if err == nil || err.Error() != want {
		// The port error stops validation of that entry: one mistake, one message.
		t.Fatalf("got %v\nwant %s", err, want)
	}
	entries = goodEntry + ",\n" + strings.Replace(strings.Replace(goodEntry, `"tcp"`, `"tpc"`, 1), `"SMB"`, `1`, 1)
	_, err = parseCatalogFile("x.json", []byte(profileFile(entries)))
	want = "x.json:19: \"service\": want a string, got a number"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
