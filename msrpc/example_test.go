package msrpc_test

import (
	"fmt"

	"github.com/portreach/portreach/msrpc"
)

// An interface is looked up by the key profiles use, its name, or its UUID; the
// bind PDU asks for it with the NDR transfer syntax.
func ExampleLookupInterface() {
	dtc, _ := msrpc.LookupInterface("msdtc")
	fmt.Println(dtc.Label(), "v"+dtc.Version(), dtc.Spec)
	fmt.Println(len(msrpc.Bind(1, dtc)), "bytes of bind")
	// Output:
	// MSDTC (906b0ce0-…) v1.0 MS-CMPO
	// 72 bytes of bind
}
