package scan

import (
	"context"
)

// dynamicRPC checks a "randomly allocated high TCP ports" entry through the RPC
// endpoint mapper (epm_check.go).
func (r *run) dynamicRPC(ctx context.Context, h *host, p Port) {
	r.epmCheck(ctx, h, p)
}
