package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// SNMPv2c GetRequest sysUpTime.0, request-id 0x01020304, community "public".
func TestSNMPTrapRequestBytes(t *testing.T) {
	want := ikeMustHex(t, "30 29 020101 0406 7075626c6963 a01c 020401020304 020100 020100 300e 300c 0608 2b06010201010300 0500")
	if got := snmpGet(snmpV2c, "public", 0x01020304, snmpSysUpTime0); !bytes.Equal(got, want) {
		t.Errorf("\n got %x\nwant %x", got, want)
	}
}

func TestSNMPTrapCommunity(t *testing.T) {
	q, err := SNMPTrap.New(&ikeCounter{}, Options{SNMPCommunity: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(q.Packets()[0], []byte("\x04\x06s3cret")) {
		t.Fatalf("community not used: %x", q.Packets()[0])
	}
}

// TestSNMPTrapMatchCapture decodes net-snmp snmpd's answer on the trap port.
func TestSNMPTrapMatchCapture(t *testing.T) {
	reply := capture(t, "snmptrap_snmpd_response.hex")
	const reqID = 0x7f3a7f78 // from the capture note
	det, err := snmpTrapMatch(reply, reqID)
	if err != nil {
		t.Fatal(err)
	}
	d := det.(*SNMPTrapDetail)
	if d.Version != 1 || d.ErrorStatus != 0 || d.Uptime == nil {
		js, _ := json.Marshal(d)
		t.Fatalf("details %s", js)
	}
	if !strings.HasPrefix(d.Summary(), "SNMP agent on the trap port, uptime ") {
		t.Errorf("summary %q", d.Summary())
	}
	if _, err := snmpTrapMatch(reply, reqID+1); !errors.Is(err, ErrNotMine) {
		t.Errorf("other request-id: %v", err)
	}
	// A GetRequest (our own, reflected) is not a Response.
	if _, err := snmpTrapMatch(snmpGet(snmpV2c, "public", reqID, snmpSysUpTime0), reqID); !errors.Is(err, ErrNotMine) {
		t.Errorf("GetRequest: %v", err)
	}
	for i := range reply {
		if d, err := snmpTrapMatch(reply[:i], reqID); err == nil {
			t.Fatalf("truncated to %d bytes: accepted %+v", i, d)
		}
	}
}

func FuzzSNMPTrapMatch(f *testing.F) {
	f.Add(capture(f, "snmptrap_snmpd_response.hex"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Take the request-id from the input itself so that the parser is reached.
		var id int32 = -1
		if v, body, err := snmpOpen(b); err == nil && (v == snmpV1 || v == snmpV2c) {
			if r, _, _, err := snmpReadResponse(&body); err == nil {
				id = int32(r)
			}
		}
		fuzzDetail(t, func(b []byte) (Detail, error) { return snmpTrapMatch(b, id) }, b)
	})
}
