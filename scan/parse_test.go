package scan

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/portreach/portreach/results"
)

func TestParsePorts(t *testing.T) {
	tests := []struct {
		spec string
		want []Port
	}{
		{"22", []Port{{Proto: results.TCP, Lo: 22, Hi: 22}}},
		{"T:135,445,50000-50200,U:53,161,1434", []Port{
			{Proto: results.TCP, Lo: 135, Hi: 135}, {Proto: results.TCP, Lo: 445, Hi: 445},
			{Proto: results.TCP, Lo: 50000, Hi: 50200},
			{Proto: results.UDP, Lo: 53, Hi: 53}, {Proto: results.UDP, Lo: 161, Hi: 161}, {Proto: results.UDP, Lo: 1434, Hi: 1434}}},
		{"80,81,82,80", []Port{{Proto: results.TCP, Lo: 80, Hi: 82}}},
		{"u:53,t:53", []Port{{Proto: results.TCP, Lo: 53, Hi: 53}, {Proto: results.UDP, Lo: 53, Hi: 53}}},
		{"-", []Port{{Proto: results.TCP, Lo: 1, Hi: 65535}}},
		{"65000-", []Port{{Proto: results.TCP, Lo: 65000, Hi: 65535}}},
		{"-3", []Port{{Proto: results.TCP, Lo: 1, Hi: 3}}},
	}
	for _, tt := range tests {
		got, err := ParsePorts(tt.spec)
		if err != nil {
			t.Errorf("ParsePorts(%q): %v", tt.spec, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("ParsePorts(%q) = %+v, want %+v", tt.spec, got, tt.want)
			continue
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], tt.want[i]) {
				t.Errorf("ParsePorts(%q)[%d] = %+v, want %+v", tt.spec, i, got[i], tt.want[i])
			}
		}
	}
}

func TestParsePortsErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"0", `port list "0": port 0 is out of range (1-65535)`},
		{"70000", `port list "70000": port 70000 is out of range (1-65535)`},
		{"5-3", `port list "5-3": range "5-3" runs backwards (write 3-5)`},
		{"X:1", `port list "X:1": unknown protocol prefix "X:" (use T: for TCP or U: for UDP)`},
		{"http", `port list "http": "http" is not a port number`},
		{"80,,81", `port list "80,,81": empty item`},
		{"", `empty port list`},
	}
	for _, tt := range tests {
		_, err := ParsePorts(tt.spec)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParsePorts(%q) error = %v, want %q", tt.spec, err, tt.want)
		}
	}
}

func names(ts *Targets) []string {
	var out []string
	for t := range ts.All() {
		if t.Addr.IsValid() {
			out = append(out, t.Addr.String())
		} else {
			out = append(out, "name:"+t.Name)
		}
	}
	return out
}

func TestTargets(t *testing.T) {
	var ts Targets
	if err := ts.Add("198.18.1.1-3", "198.18.2.0/30", "[::1]", "mail01.example", "198.18.3,4.7"); err != nil {
		t.Fatal(err)
	}
	if err := ts.Exclude("198.18.1.2", "198.18.2.0/31"); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(names(&ts), " ")
	want := "198.18.1.1 198.18.1.3 198.18.2.2 198.18.2.3 ::1 name:mail01.example 198.18.3.7 198.18.4.7"
	if got != want {
		t.Errorf("targets:\n got %s\nwant %s", got, want)
	}
	if n := ts.Count(100); n != 8 {
		t.Errorf("Count = %d, want 8", n)
	}
}

func TestTargetsCountStopsAtLimit(t *testing.T) {
	var ts Targets
	if err := ts.Add("198.18.0.0/15"); err != nil {
		t.Fatal(err)
	}
	if n := ts.Count(65536); n != 65537 {
		t.Errorf("Count(65536) of a /15 = %d, want 65537 (limit+1)", n)
	}
}

func TestTargetErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"198.18.1.300", `target "198.18.1.300": octet 4: "300" is not a number from 0 to 255`},
		{"198.18.1.5-2", `target "198.18.1.5-2": octet 4: range "5-2" runs backwards`},
		{"198.18.1", `target "198.18.1": an IPv4 address or range has four octets`},
		{"198.18.0.0/33", `target "198.18.0.0/33": not a CIDR block (like 198.18.0.0/24 or 2001:db8::/120)`},
		{"fe80::1::2", `target "fe80::1::2": not a valid IPv6 address`},
		{"bad_host!", `target "bad_host!": not a valid host name (character '!')`},
		{"", `empty target`},
	}
	for _, tt := range tests {
		var ts Targets
		err := ts.Add(tt.spec)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Add(%q) error = %v, want %q", tt.spec, err, tt.want)
		}
	}
	var ts Targets
	if err := ts.Exclude("host.example"); err == nil || !strings.Contains(err.Error(), "not host names") {
		t.Errorf("Exclude(host name) error = %v", err)
	}
}

func TestReadList(t *testing.T) {
	var ts Targets
	in := "# go-live batch\n198.18.1.1, 198.18.1.2\n\n198.18.1.9 # the spare\n"
	if err := ReadList(strings.NewReader(in), "hosts.txt", ts.Add); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(&ts), " "); got != "198.18.1.1 198.18.1.2 198.18.1.9" {
		t.Errorf("ReadList: %s", got)
	}
	err := ReadList(strings.NewReader("198.18.1.1\n198.18.1.999\n"), "hosts.txt", ts.Add)
	if err == nil || !strings.HasPrefix(err.Error(), "hosts.txt:2: ") {
		t.Errorf("ReadList bad line: %v", err)
	}
}

// A block excluded whole is stepped over, not walked: "::/0 --exclude ::/0"
// used to spin for minutes (issue 11 case 5).
func TestTargetsExcludedBlockStepped(t *testing.T) {
	var ts Targets
	if err := ts.Exclude("::/0", "10.0.0.0/8", "198.18.0.0/16"); err != nil {
		t.Fatal(err)
	}
	if err := ts.Add("::/0", "0.0.0.0/0", "10-11.0-255.0-255.0-255", "198.18-19.0.1"); err != nil {
		t.Fatal(err)
	}
	if n := ts.Count(3); n != 4 {
		t.Errorf("Count(3) = %d, want 4", n)
	}
	var onlyExcluded Targets
	_ = onlyExcluded.Exclude("::/0", "0.0.0.0/0")
	_ = onlyExcluded.Add("::/0", "0.0.0.0/0", "0-255.0-255.0-255.0-255")
	if n := onlyExcluded.Count(10); n != 0 {
		t.Errorf("every target excluded: Count = %d", n)
	}
	got := names(&onlyExcluded)
	if len(got) != 0 {
		t.Errorf("every target excluded: %v", got)
	}
	var edge Targets
	_ = edge.Exclude("ffff:ffff:ffff:ffff::/64")
	_ = edge.Add("ffff:ffff:ffff:ffff::/63")
	if n := edge.Count(1); n != 2 {
		t.Errorf("block below an excluded top of the address space: Count(1) = %d", n)
	}
}

// With a limit, targets are counted as they are added: a huge block, a role
// host block or a long list is refused after the limit's worth of work (issue
// 11 case 4).
func TestTargetsLimit(t *testing.T) {
	var ts Targets
	_ = ts.Exclude("198.18.0.0/31")
	if err := ts.SetLimit(4); err != nil {
		t.Fatal(err)
	}
	if err := ts.Add("198.18.0.0/30"); err != nil { // two after exclusions
		t.Fatal(err)
	}
	if err := ts.AddPorts([]Port{{Proto: results.TCP, Lo: 1433}}, "198.18.1.1", "sql01.example"); err != nil {
		t.Fatal(err)
	}
	err := ts.Add("::/64")
	if !errors.Is(err, ErrTooManyHosts) {
		t.Fatalf("Add(::/64) past the limit: %v", err)
	}
	var withPorts int
	for tg := range ts.All() {
		if len(tg.Ports) == 1 {
			withPorts++
		}
	}
	if withPorts != 2 {
		t.Errorf("%d targets with their own ports, want 2", withPorts)
	}

	var huge Targets
	_ = huge.Add("127.0.0.0/8")
	if err := huge.SetLimit(65536); !errors.Is(err, ErrTooManyHosts) {
		t.Errorf("SetLimit under what is there: %v", err)
	}
	var list Targets
	_ = list.SetLimit(10)
	err = ReadList(strings.NewReader(strings.Repeat("198.18.1.1\n", 1000)), "big.txt", list.Add)
	if !errors.Is(err, ErrTooManyHosts) || !strings.HasPrefix(err.Error(), "big.txt:11: ") {
		t.Errorf("ReadList past the limit: %v", err)
	}
}

func TestReadListLongLine(t *testing.T) {
	var ts Targets
	in := "198.18.1.1\n" + strings.Repeat("x", 2<<20) + "\n"
	err := ReadList(strings.NewReader(in), "hosts.txt", ts.Add)
	if err == nil || err.Error() != "hosts.txt:2: line longer than 1 MiB" {
		t.Errorf("long line: %v", err)
	}
}
