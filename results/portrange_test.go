package results

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePortRange(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "65535": "65535", "50000-50200": "50000-50200", "7-7": "7", "0445": "445"} {
		r, err := ParsePortRange(in)
		if err != nil || r.String() != want {
			t.Errorf("ParsePortRange(%q) = %v, %v; want %s", in, r, err, want)
		}
	}
}

func TestParsePortList(t *testing.T) {
	tcp := func(lo, hi uint16) ProtoRange { return ProtoRange{TCP, PortRange{lo, hi}} }
	udp := func(lo, hi uint16) ProtoRange { return ProtoRange{UDP, PortRange{lo, hi}} }
	for _, tt := range []struct {
		spec string
		want []ProtoRange
	}{
		{"22", []ProtoRange{tcp(22, 22)}},
		{"T:135,445,50000-50200,U:53,161,1434", []ProtoRange{tcp(135, 135), tcp(445, 445), tcp(50000, 50200), udp(53, 53), udp(161, 161), udp(1434, 1434)}},
		{"80,81,82,80", []ProtoRange{tcp(80, 82)}},
		{"u:53,t:53", []ProtoRange{tcp(53, 53), udp(53, 53)}},
		{" 80 , 443 ", []ProtoRange{tcp(80, 80), tcp(443, 443)}},
		{"-", []ProtoRange{tcp(1, 65535)}},
		{"65000-", []ProtoRange{tcp(65000, 65535)}},
		{"-3", []ProtoRange{tcp(1, 3)}},
		{"U:1-10,5-20,T:9", []ProtoRange{tcp(9, 9), udp(1, 20)}},
	} {
		got, err := ParsePortList(tt.spec)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParsePortList(%q) = %v, %v; want %v", tt.spec, got, err, tt.want)
		}
	}
}

// Every error a port, a range or a port list can give, word for word: -p, the
// exporter's ports=, profiles, plan files and rpc --range all say these.
func TestPortErrors(t *testing.T) {
	for _, tt := range []struct {
		parse, in, want string
	}{
		{"port", "", `"" is not a port number`},
		{"port", "smb", `"smb" is not a port number`},
		{"port", "+5", `"+5" is not a port number`},
		{"port", " 5", `" 5" is not a port number`},
		{"port", "445.0", `"445.0" is not a port number`},
		{"port", "-1", `"-1" is not a port number`},
		{"port", "0", `port 0 is out of range (1-65535)`},
		{"port", "65536", `port 65536 is out of range (1-65535)`},
		{"port", "99999999999999999999", `port 99999999999999999999 is out of range (1-65535)`},

		{"range", "", `"" is not a port number`},
		{"range", "5-3", `range "5-3" runs backwards (write 3-5)`},
		{"range", "50000-70000", `port 70000 is out of range (1-65535)`},
		{"range", "0-10", `port 0 is out of range (1-65535)`},
		{"range", "a-b", `"a" is not a port number`},
		{"range", "1-2-3", `"2-3" is not a port number`},
		{"range", "1 - 2", `"1 " is not a port number`},
		{"range", "5-", `range "5-" needs both ends (LO-HI)`},
		{"range", "-5", `range "-5" needs both ends (LO-HI)`},
		{"range", "-", `range "-" needs both ends (LO-HI)`},

		{"list", "", `empty port list`},
		{"list", " ", `empty port list`},
		{"list", "80,,81", `port list "80,,81": empty item`},
		{"list", "T:", `port list "T:": empty item`},
		{"list", "X:1", `port list "X:1": unknown protocol prefix "X:" (use T: for TCP or U: for UDP)`},
		{"list", "http", `port list "http": "http" is not a port number`},
		{"list", "0", `port list "0": port 0 is out of range (1-65535)`},
		{"list", "70000", `port list "70000": port 70000 is out of range (1-65535)`},
		{"list", "5-3", `port list "5-3": range "5-3" runs backwards (write 3-5)`},
		{"list", "T: 80", `port list "T: 80": " 80" is not a port number`},
	} {
		var err error
		switch tt.parse {
		case "port":
			_, err = ParsePort(tt.in)
		case "range":
			_, err = ParsePortRange(tt.in)
		case "list":
			_, err = ParsePortList(tt.in)
		}
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s %q: error %v, want %q", tt.parse, tt.in, err, tt.want)
		}
	}
}

// FuzzParsePortList: the exporter reads port lists from HTTP queries. Any
// input gives a list or an error, never a panic, and every item of a list
// reads back as itself.
func FuzzParsePortList(f *testing.F) {
	for _, s := range []string{"T:135,445,50000-50200,U:53,161,1434", "-", "65000-", "-3", "u:53,t:53", "80,,81", "X:1", "5-3", "1-2-3", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		list, err := ParsePortList(spec)
		if err != nil {
			if len(list) != 0 {
				t.Fatalf("%q: a list and an error", spec)
			}
			return
		}
		if len(list) == 0 {
			t.Fatalf("%q: no ports and no error", spec)
		}
		for _, p := range list {
			r, err := ParsePortRange(p.PortRange.String())
			if err != nil || r != p.PortRange || p.Lo == 0 || p.Lo > p.Hi {
				t.Fatalf("%q: item %v reads back as %v, %v", spec, p, r, err)
			}
			if !strings.HasPrefix(p.String(), string(p.Proto)+"/") {
				t.Fatalf("%q: item %v", spec, p)
			}
		}
	})
}
