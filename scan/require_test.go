package scan

import (
	"testing"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// Every requirement a service declares fails with a reason of the vocabulary.
func TestRequireReasons(t *testing.T) {
	for _, s := range probes.Services() {
		for _, req := range s.Requires {
			if why, ok := requireReasons[req.Name]; !ok || !why.Known() {
				t.Errorf("%s: requirement %q has no reason in the vocabulary", s.Name, req.Name)
			}
		}
	}
}

// SMB signing required: met when the NEGOTIATE says so, failed when it does
// not; an answer that says nothing (SMB1, refused, none) fails nothing here.
func TestJudgeRequire(t *testing.T) {
	require := &results.Check{Expect: results.ExpectOpen, Require: []string{"smb-signing"}}
	smb := func(s *probes.SMBDetail) *probes.ServiceDetail { return &probes.ServiceDetail{Service: "smb", SMB: s} }
	for _, tc := range []struct {
		name  string
		svc   *probes.Service
		d     *probes.ServiceDetail
		check *results.Check
		want  results.Reason
	}{
		{"required", probes.SMB, smb(&probes.SMBDetail{Dialect: "3.1.1", SigningRequired: true}), require, ""},
		{"not required", probes.SMB, smb(&probes.SMBDetail{Dialect: "3.1.1"}), require, results.ReasonSMBSigningNotRequired},
		{"over NetBIOS", probes.NetBIOSSSN, smb(&probes.SMBDetail{Dialect: "2.1"}), require, results.ReasonSMBSigningNotRequired},
		{"not asked", probes.SMB, smb(&probes.SMBDetail{Dialect: "3.1.1"}), &results.Check{Expect: results.ExpectOpen}, ""},
		{"no check", probes.SMB, smb(&probes.SMBDetail{Dialect: "3.1.1"}), nil, ""},
		{"SMB1", probes.SMB, smb(&probes.SMBDetail{Dialect: "SMB1"}), require, ""},
		{"refused", probes.SMB, smb(&probes.SMBDetail{Status: "NTSTATUS 0xc0000022"}), require, ""},
		{"no answer", probes.SMB, &probes.ServiceDetail{Service: "smb"}, require, ""},
		{"another service", probes.LDAP, smb(&probes.SMBDetail{Dialect: "3.1.1"}), require, ""},
	} {
		if got := judgeRequire(tc.svc, tc.d, tc.check); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
