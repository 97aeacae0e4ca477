package profiles_test

import (
	"fmt"

	"github.com/portreach/portreach/profiles"
)

// A BizTalk Send server checked against its SQL Server and SMTP server: the
// entries for mapped roles carry the host; the other destinations come back
// unmapped, with the flag that would map them.
func ExampleCatalog_Merge() {
	cat, err := profiles.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := cat.Lookup("BizTalk Send server")
	if err != nil {
		fmt.Println(err)
		return
	}
	entries, unmapped, err := cat.Merge(map[string]string{"sql": "sql01", "smtp": "mail01"}, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries {
		fmt.Printf("%-28s on %-6s %s (%s)\n", e.Label(), e.Host, e.Expect, e.Service)
	}
	fmt.Println(len(unmapped), "unmapped, e.g.", unmapped[0].Entry.Label(), "needs", unmapped[0].Flag)
	// Output:
	// tcp/1433                     on sql01  open (SQL Server)
	// tcp/135                      on sql01  open (DTC (RPC endpoint mapper))
	// tcp/50000-50200 dynamic-rpc  on sql01  open (DTC (secondary RPC))
	// tcp/25                       on mail01 open (SMTP)
	// 28 unmapped, e.g. tcp/445 needs --role fileshare=HOST
}
