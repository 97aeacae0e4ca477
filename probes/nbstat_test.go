package probes

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

var nbstatCaptures = []string{
	"nbstat_nmbd_standalone.hex",
	"nbstat_nmbd_classic_pdc.hex",
	"samba-nbstat.hex",
}

func TestNBStatRequestBytes(t *testing.T) {
	// protocols.md §3: TRN_ID 80f0, flags 0000, QD 1, " CK" + 30 "A", 00, 0021 0001.
	want := "80f00000000100000000000020434b41" + strings.Repeat("41", 29) + "0000210001"
	q, err := NBStat.New(bytes.NewReader([]byte{0x80, 0xf0}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := q.Packets()
	if len(p) != 1 || len(p[0]) != 50 || hex.EncodeToString(p[0]) != want {
		t.Fatalf("request %x\nwant %s", p, want)
	}
	if _, err := NBStat.New(bytes.NewReader([]byte{1}), Options{}); err == nil {
		t.Error("short random source: no error")
	}
}

func TestNBStatCaptured(t *testing.T) {
	for _, tc := range []struct {
		file     string
		nodeType string
		want     NBStatDetail
		names    string
		summary  string
	}{
		{
			file: "nbstat_nmbd_standalone.hex", nodeType: "B",
			want: NBStatDetail{ComputerName: "PROBEHOST", Domain: "PROBEWG", MAC: "none",
				Roles: []string{"PDC / domain master browser", "master browser", "file service", "messenger"}},
			names:   `PROBEHOST<00> PROBEHOST<03> PROBEHOST<20> \x01\x02__MSBROWSE__\x02<01> PROBEWG<00> PROBEWG<1B> PROBEWG<1D> PROBEWG<1E>`,
			summary: "PROBEHOST in PROBEWG: PDC / domain master browser, master browser, file service, messenger; MAC none",
		},
		{
			file: "nbstat_nmbd_classic_pdc.hex", nodeType: "B",
			want: NBStatDetail{ComputerName: "PROBEHOST", Domain: "PROBEWG", MAC: "none",
				Roles: []string{"domain controller", "PDC / domain master browser", "master browser", "file service", "messenger"}},
			names: `PROBEHOST<00> PROBEHOST<03> PROBEHOST<20> \x01\x02__MSBROWSE__\x02<01> PROBEWG<00> PROBEWG<1B> PROBEWG<1C> PROBEWG<1D> PROBEWG<1E>`,
		},
		{
			// Samba AD DC: the unit ID is junk, as protocols.md §3 warns.
			file: "samba-nbstat.hex", nodeType: "M",
			want: NBStatDetail{ComputerName: "LABDC", Domain: "LAB", MAC: "f0:87:79:11:0e:7f",
				Roles: []string{"domain controller", "PDC / domain master browser", "file service", "messenger"}},
			names:   `LABDC<00> LABDC<03> LABDC<20> LAB<1B> LAB<1C> LAB<00> __SAMBA__<00> __SAMBA__<20>`,
			summary: "LABDC in LAB: domain controller, PDC / domain master browser, file service, messenger; MAC f0:87:79:11:0e:7f",
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			q := newNBStatQueryID(0x80f0)
			d, err := q.Match(capture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got := d.(*NBStatDetail)
			var names []string
			for _, n := range got.Names {
				names = append(names, n.String())
				if !n.Active || n.NodeType != tc.nodeType {
					t.Errorf("%s: active %v node type %s, want %s", n, n.Active, n.NodeType, tc.nodeType)
				}
			}
			if strings.Join(names, " ") != tc.names {
				t.Errorf("names\n got %s\nwant %s", strings.Join(names, " "), tc.names)
			}
			if got.ComputerName != tc.want.ComputerName || got.Domain != tc.want.Domain || got.MAC != tc.want.MAC ||
				!reflect.DeepEqual(got.Roles, tc.want.Roles) || got.RCode != 0 {
				t.Errorf("detail %+v", got)
			}
			if tc.summary != "" && d.Summary() != tc.summary {
				t.Errorf("summary\n got %q\nwant %q", d.Summary(), tc.summary)
			}
		})
	}
	// Group flags as Samba sets them on the AD DC: LAB<1C> is a group M-node
	// name (flags c400), LABDC<00> a unique one (4400).
	d, _ := newNBStatQueryID(0x80f0).Match(capture(t, "samba-nbstat.hex"))
	names := d.(*NBStatDetail).Names
	if n := names[4]; !n.Group || n.Suffix != 0x1c {
		t.Errorf("LAB<1C>: %#v", n)
	}
	if n := names[0]; n.Group || n.Suffix != 0 {
		t.Errorf("LABDC<00>: %#v", n)
	}
}

func TestNBStatPointerNameAndRCode(t *testing.T) {
	// Built from the nmbd capture: RR_NAME replaced by a compression pointer
	// (RFC 1002 §4.1.1 allows it; some stacks use it), then a negative response.
	full := capture(t, "nbstat_nmbd_standalone.hex")
	ptr := append(append(append([]byte{}, full[:12]...), 0xc0, 0x0c), full[12+34:]...)
	d, err := newNBStatQueryID(0x80f0).Match(ptr)
	if err != nil || d.(*NBStatDetail).ComputerName != "PROBEHOST" {
		t.Fatalf("pointer name: %v %v", d, err)
	}
	neg := []byte{0x80, 0xf0, 0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0}
	d, err = newNBStatQueryID(0x80f0).Match(neg)
	if err != nil || d.(*NBStatDetail).RCode != 3 || d.Summary() != "node status refused, rcode 3" {
		t.Fatalf("negative response: %v %v", d, err)
	}
}

func TestNBStatMatchRejects(t *testing.T) {
	reply := capture(t, "nbstat_nmbd_standalone.hex")
	q := newNBStatQueryID(0x80f0)
	other := newNBStatQueryID(0x80f1)
	registration := append([]byte{}, reply...)
	registration[2] = 0xa8 // response, opcode 5 (registration)
	for name, tc := range map[string]struct {
		q     *nbstatQuery
		reply []byte
	}{
		"wrong ID":              {other, reply},
		"our request reflected": {q, q.req},
		"registration response": {q, registration},
		"empty":                 {q, nil},
	} {
		if _, err := tc.q.Match(tc.reply); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: err %v, want ErrNotMine", name, err)
		}
	}
	for _, f := range nbstatCaptures {
		b := capture(t, f)
		// Anything cut inside the name table is an error; the statistics after it
		// are optional (only the MAC is read from them).
		end := 12 + 34 + 10 + 1 + 18*int(b[12+34+10])
		for n := 0; n < end; n++ {
			if d, err := q.Match(b[:n]); err == nil {
				t.Fatalf("%s cut to %d bytes: accepted as %+v", f, n, d)
			}
		}
	}
	wrongType := append([]byte{}, reply...)
	wrongType[12+34+1] = 0x20
	if _, err := q.Match(wrongType); err == nil || errors.Is(err, ErrNotMine) {
		t.Errorf("NB answer instead of NBSTAT: %v, want a parse error", err)
	}
}

func FuzzNBStatMatch(f *testing.F) {
	for _, name := range nbstatCaptures {
		f.Add(capture(f, name))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		d, err := newNBStatQueryID(0x80f0).Match(reply)
		if err != nil {
			return
		}
		nd := d.(*NBStatDetail)
		if nd.Summary() == "" {
			t.Fatal("empty summary")
		}
		for _, n := range nd.Names {
			if strings.ContainsAny(n.Name, "\x00\n\r") {
				t.Fatalf("unescaped name %q", n.Name)
			}
		}
	})
}

func TestNBSuffixText(t *testing.T) {
	b, err := json.Marshal(NBStatName{Name: "LAB", Suffix: 0x1c, Group: true, NodeType: "H", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"LAB","suffix":"1C","group":true,"node_type":"H","active":true}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var n NBStatName
	if err := json.Unmarshal(b, &n); err != nil || n.Suffix != 0x1c {
		t.Errorf("round trip: %+v %v", n, err)
	}
	for _, bad := range []string{`"1"`, `"1CC"`, `"zz"`, `28`} {
		var s NBSuffix
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("suffix %s accepted as %v", bad, s)
		}
	}
}
