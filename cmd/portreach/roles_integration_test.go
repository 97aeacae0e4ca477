//go:build linux

package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/portreach/portreach/internal/testnet"
	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// TestBizTalkSendRoles scans the BizTalk Send server profile the way an
// administrator checks a new BizTalk server before go-live: its destination roles
// mapped to test hosts, the rest left unmapped. Mapped roles whose ports listen
// pass (exit 0) and unmapped ones are skipped with the flag that maps them; a port
// a firewall then drops fails the run (exit 1) and is named with its role and row.
func TestBizTalkSendRoles(t *testing.T) {
	files := testnet.NewHost(t) // file share, FTP and POP3 server
	mail := testnet.NewHost(t)  // SMTP
	for _, p := range []uint16{445, 20, 21, 110} {
		testnet.ServeTCP(t, files, p)
	}
	testnet.ServeTCP(t, mail, 25)
	// --no-confirm: the listeners accept and say nothing; this test is about
	// roles, not the services behind the ports (TestConfirm* in scan are).
	args := []string{"scan", "--profile", "BizTalk Send server", "-f", "json", "--no-confirm",
		"--role", "fileshare=" + files.Addr.String(), "--role", "ftp=" + files.Addr.String(),
		"--role", "pop3=" + files.Addr.String(), "--role", "smtp=" + mail.Addr.String()}

	code, out, errOut := runBin(t, args...)
	if code != exitOK {
		t.Fatalf("all mapped roles reachable: exit %d, want 0\n%s\n%s", code, errOut, out)
	}
	rep := decodeReport(t, out)
	want := map[string]string{ // proto/port@host -> role
		"tcp/445@" + files.Addr.String(): "fileshare", "tcp/20@" + files.Addr.String(): "ftp",
		"tcp/21@" + files.Addr.String(): "ftp", "tcp/110@" + files.Addr.String(): "pop3",
		"tcp/25@" + mail.Addr.String(): "smtp",
	}
	skipped := map[string]bool{}
	for _, r := range rep.Results {
		switch r.State {
		case results.Open:
			k := string(r.Proto) + "/" + strconv.Itoa(int(r.Port)) + "@" + r.Addr.String()
			if role, ok := want[k]; !ok || r.Check == nil || r.Check.Role != role || !r.Met() {
				t.Errorf("unexpected open result %s: %+v", k, r)
			}
			delete(want, k)
		case results.Skipped:
			if r.Check == nil || !strings.Contains(r.Detail, "--role "+r.Check.Role+"=HOST") {
				t.Errorf("skipped result without the flag that maps it: %+v", r)
			}
			skipped[r.Check.Role] = true
		default:
			t.Errorf("unexpected result: %+v", r)
		}
	}
	if len(want) != 0 {
		t.Errorf("mapped ports not reported open: %v", want)
	}
	for _, role := range []string{"sql", "processing", "master-secret", "msgbox-db"} {
		if !skipped[role] {
			t.Errorf("unmapped role %s not reported skipped", role)
		}
	}

	mail.NFT(t, `table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 25 drop
	}
}`)
	code, out, errOut = runBin(t, args...)
	if code != exitFailed {
		t.Fatalf("SMTP dropped: exit %d, want 1\n%s", code, errOut)
	}
	failed := results.Failed(decodeReport(t, out).Results)
	if len(failed) != 1 || failed[0].Port != 25 || failed[0].State != results.Filtered ||
		failed[0].Check.Role != "smtp" || len(failed[0].Check.Sources) == 0 ||
		failed[0].Check.Sources[0].Document != "000_06133edff8422ee7.txt" {
		t.Errorf("failures: %+v", failed)
	}
}

func decodeReport(t *testing.T, out string) *results.Report {
	t.Helper()
	rep, err := report.ReadJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	return rep
}
