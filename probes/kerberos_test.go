package probes

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// kerberosCaptures are the replies captured from real servers (see each file's notes).
var kerberosCaptures = []string{
	"kerberos_mit_null_client.hex",
	"kerberos_mit_null_client_realm.hex",
	"kerberos_mit_unknown_client.hex",
	"kerberos_mit_preauth_required.hex",
	"kerberos_mit_as_rep.hex",
	"kerberos_kpasswd_mit_malformed.hex",
	"kerberos_kpasswd_samba_ad.hex",
	"samba-kerberos.hex",
}

func TestKerberosRequestBytes(t *testing.T) {
	// protocols.md §6: the 120-byte AS-REQ with nonce 1f1eb9d9.
	want := "6a763074a103020105a20302010aa4683066a00703050040810010a20f1b0d50" +
		"524f42452e494e56414c4944a3223020a003020102a11930171b066b72627467" +
		"741b0d50524f42452e494e56414c4944a511180f323033373039313330323438" +
		"30355aa70602041f1eb9d9a80b3009020112020111020117"
	q, err := Kerberos.New(bytes.NewReader([]byte{0x1f, 0x1e, 0xb9, 0xd9}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := q.Packets()
	if len(p) != 1 || hex.EncodeToString(p[0]) != want {
		t.Fatalf("request\n got %x\nwant %s", p, want)
	}
}

func TestKerberosNonceEncoding(t *testing.T) {
	// The top bit is masked so the INTEGER never needs a sign octet, and small
	// nonces are encoded minimally; the request must stay well-formed either way.
	for _, tc := range []struct {
		rnd  []byte
		want string // the nonce field [7]
	}{
		{[]byte{0xff, 0xff, 0xff, 0xff}, "a70602047fffffff"},
		{[]byte{0x00, 0x00, 0x00, 0x05}, "a703020105"},
		{[]byte{0x80, 0x00, 0x00, 0x80}, "a70402020080"},
	} {
		q, err := Kerberos.New(bytes.NewReader(tc.rnd), Options{})
		if err != nil {
			t.Fatal(err)
		}
		req := q.Packets()[0]
		if !strings.Contains(hex.EncodeToString(req), tc.want+"a80b") {
			t.Errorf("rnd %x: request %x lacks nonce %s", tc.rnd, req, tc.want)
		}
		r := newBERReader(req)
		if _, err := r.Expect(krbTagASReq); err != nil || !r.Empty() {
			t.Errorf("rnd %x: request does not parse as one AS-REQ: %v", tc.rnd, err)
		}
	}
	if _, err := Kerberos.New(bytes.NewReader([]byte{1, 2}), Options{}); err == nil {
		t.Error("short random source: no error")
	}
}

func TestKpasswdRequestBytes(t *testing.T) {
	q, err := Kpasswd.New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// RFC 3244 §2 frame: length 10, version 1, AP-REQ length 2, 6e00, 7500.
	if got := hex.EncodeToString(q.Packets()[0]); got != "000a000100026e007500" {
		t.Fatalf("request %s", got)
	}
}

func TestKerberosCaptured(t *testing.T) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		file       string
		kpasswd    bool // which query receives it
		want       KerberosDetail
		kdcTime    string
		summary    string
		wantResult int // RFC 3244 result code in a kpasswd reply
	}{
		{
			file: "kerberos_mit_null_client.hex",
			want: KerberosDetail{Message: "KRB-ERROR", ErrorCode: 6, ErrorName: "C_PRINCIPAL_UNKNOWN",
				Service: "krbtgt/PROBE.INVALID", EText: "NULL_CLIENT"}, // the realm is ours, echoed: not shown
			kdcTime: "2026-11-23T17:42:36.257244Z",
			summary: `C_PRINCIPAL_UNKNOWN (6), clock +3s`,
		},
		{
			file: "kerberos_mit_null_client_realm.hex",
			want: KerberosDetail{Message: "KRB-ERROR", ErrorCode: 6, ErrorName: "C_PRINCIPAL_UNKNOWN",
				Realm: "PROBE.TEST", Service: "krbtgt/PROBE.TEST", EText: "NULL_CLIENT"},
			kdcTime: "2026-11-23T17:43:33.955541Z",
		},
		{
			file: "kerberos_mit_unknown_client.hex",
			want: KerberosDetail{Message: "KRB-ERROR", ErrorCode: 6, ErrorName: "C_PRINCIPAL_UNKNOWN",
				Realm: "PROBE.TEST", Service: "krbtgt/PROBE.TEST", EText: "CLIENT_NOT_FOUND"},
			kdcTime: "2026-11-23T17:43:37.567911Z",
		},
		{
			file: "kerberos_mit_preauth_required.hex",
			want: KerberosDetail{Message: "KRB-ERROR", ErrorCode: 25, ErrorName: "PREAUTH_REQUIRED",
				Realm: "PROBE.TEST", Service: "krbtgt/PROBE.TEST", EText: "NEEDED_PREAUTH"},
			kdcTime: "2026-11-23T17:43:42.973370Z",
		},
		{
			file:    "kerberos_mit_as_rep.hex",
			want:    KerberosDetail{Message: "AS-REP", Realm: "PROBE.TEST"},
			summary: `AS-REP, realm "PROBE.TEST"`,
		},
		{
			file: "samba-kerberos.hex",
			want: KerberosDetail{Message: "KRB-ERROR", ErrorCode: 6, ErrorName: "C_PRINCIPAL_UNKNOWN",
				Service: "krbtgt/PROBE.INVALID", EText: "No client in request"},
			kdcTime: "2026-11-23T17:45:50.394304Z",
		},
		{
			file: "kerberos_kpasswd_mit_malformed.hex", kpasswd: true,
			want: KerberosDetail{Message: "KRB-ERROR", Kpasswd: true, ErrorCode: 60, ErrorName: "GENERIC",
				Realm: "PROBE.TEST", Service: "kadmin/changepw",
				KpasswdResultText: "AUTHERROR: Failed reading application request"},
			kdcTime:    "2026-11-23T17:43:11Z",
			wantResult: 3,
			summary:    `GENERIC (60), realm "PROBE.TEST", clock -6m0s (beyond the 5m Kerberos tolerance)`,
		},
		{
			file: "kerberos_kpasswd_samba_ad.hex", kpasswd: true,
			want: KerberosDetail{Message: "KRB-ERROR", Kpasswd: true, ErrorCode: 2, ErrorName: "SERVICE_EXP",
				Realm: "LAB.EXAMPLE", Service: "kadmin/changepw",
				KpasswdResultText: "HARDERROR: gensec_update failed - NT_STATUS_LOGON_FAILURE"},
			kdcTime:    "2026-11-23T18:02:47.874078Z",
			wantResult: 2,
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			reply := capture(t, tc.file)
			probe := Kerberos
			if tc.kpasswd {
				probe = Kpasswd
			}
			q, err := probe.New(bytes.NewReader(make([]byte, 4)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var local time.Time
			if tc.kdcTime != "" {
				local = ts(tc.kdcTime).Add(-3 * time.Second)
				if tc.kpasswd {
					local = ts(tc.kdcTime).Add(6 * time.Minute)
				}
			}
			q.(*kerberosQuery).now = func() time.Time { return local }
			d, err := q.Match(reply)
			if err != nil {
				t.Fatal(err)
			}
			got := d.(*KerberosDetail)
			if tc.kdcTime == "" {
				if got.KDCTime != nil {
					t.Errorf("KDC time %v, want none", got.KDCTime)
				}
			} else {
				if got.KDCTime == nil || !got.KDCTime.Equal(ts(tc.kdcTime)) {
					t.Errorf("KDC time %v, want %s", got.KDCTime, tc.kdcTime)
				}
				wantSkew := 3.0
				if tc.kpasswd {
					wantSkew = -360
				}
				if got.ClockSkewSeconds != wantSkew {
					t.Errorf("skew %v, want %v", got.ClockSkewSeconds, wantSkew)
				}
			}
			if got.Message != tc.want.Message || got.Kpasswd != tc.want.Kpasswd || got.ErrorCode != tc.want.ErrorCode ||
				got.ErrorName != tc.want.ErrorName || got.Realm != tc.want.Realm || got.Service != tc.want.Service ||
				got.EText != tc.want.EText || got.KpasswdResultText != tc.want.KpasswdResultText {
				t.Errorf("detail\n got %+v\nwant %+v", *got, tc.want)
			}
			if tc.kpasswd && (got.KpasswdResult == nil || *got.KpasswdResult != tc.wantResult) {
				t.Errorf("kpasswd result %v, want %d", got.KpasswdResult, tc.wantResult)
			}
			if tc.summary != "" && d.Summary() != tc.summary {
				t.Errorf("summary %q, want %q", d.Summary(), tc.summary)
			}
		})
	}
}

func TestKerberosMatchRejects(t *testing.T) {
	krb, _ := Kerberos.New(bytes.NewReader(make([]byte, 4)), Options{})
	kpw, _ := Kpasswd.New(nil, Options{})
	framed := capture(t, "kerberos_kpasswd_mit_malformed.hex")
	asReq := krb.Packets()[0]
	for _, tc := range []struct {
		name  string
		q     Query
		reply []byte
	}{
		{"empty", krb, nil},
		{"our own AS-REQ reflected", krb, asReq},
		{"kpasswd frame at the KDC", krb, framed},
		{"DNS reply", krb, unhex(t, "1234800500010000000000000000020001")},
		{"kpasswd: our request reflected", kpw, kpasswdRequest},
		{"kpasswd: frame length off by one", kpw, append(append([]byte{}, framed[:1]...), append([]byte{framed[1] + 1}, framed[2:]...)...)},
		{"kpasswd: version 2", kpw, append([]byte{framed[0], framed[1], 0, 2}, framed[4:]...)},
		{"kpasswd: short", kpw, []byte{0, 4, 0, 1}},
	} {
		if _, err := tc.q.Match(tc.reply); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: err %v, want ErrNotMine", tc.name, err)
		}
	}
	// A reply with the right tag that fails to parse is an error, not a detail.
	bad := capture(t, "kerberos_mit_null_client.hex")
	bad = append([]byte{}, bad...)
	bad[8] = 4 // pvno 4
	if d, err := krb.Match(bad); err == nil || errors.Is(err, ErrNotMine) {
		t.Errorf("pvno 4: detail %v err %v, want a parse error", d, err)
	}
}

func TestKerberosTruncated(t *testing.T) {
	krb, _ := Kerberos.New(bytes.NewReader(make([]byte, 4)), Options{})
	kpw, _ := Kpasswd.New(nil, Options{})
	for _, f := range kerberosCaptures {
		reply := capture(t, f)
		for _, q := range []Query{krb, kpw} {
			for n := 0; n < len(reply); n++ {
				if d, err := q.Match(reply[:n]); err == nil {
					t.Fatalf("%s cut to %d bytes: accepted as %+v", f, n, d)
				}
			}
		}
	}
}

func FuzzKerberosMatch(f *testing.F) {
	for _, name := range kerberosCaptures {
		f.Add(capture(f, name), false)
		f.Add(capture(f, name), true)
	}
	f.Fuzz(func(t *testing.T, reply []byte, kpasswd bool) {
		var q Query
		if kpasswd {
			q, _ = Kpasswd.New(nil, Options{})
		} else {
			q, _ = Kerberos.New(bytes.NewReader(make([]byte, 4)), Options{})
		}
		d, err := q.Match(reply)
		if err != nil {
			if d != nil {
				t.Fatalf("detail %v with error %v", d, err)
			}
			return
		}
		kd := d.(*KerberosDetail)
		if kd.Message != "KRB-ERROR" && kd.Message != "AS-REP" {
			t.Fatalf("message %q", kd.Message)
		}
		if kd.Summary() == "" {
			t.Fatal("empty summary")
		}
	})
}
