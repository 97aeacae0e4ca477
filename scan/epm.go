package scan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/portreach/portreach/msrpc"
)

// EPMClient asks an RPC endpoint mapper (TCP 135) for every registered endpoint,
// and binds to the interfaces it lists: it dials and bounds each exchange in time,
// and msrpc.Client speaks DCE/RPC over the connection. The zero value is usable;
// every field documents its default. An EPMClient is safe for concurrent use.
type EPMClient struct {
	// Timeout bounds each exchange, dial included; 0 means 10s. A context
	// deadline that comes earlier wins.
	Timeout time.Duration
	// MaxEnts and MaxCalls bound a lookup as msrpc.Client documents; 0 means its
	// defaults (500 entries a call, 64 calls).
	MaxEnts  uint32
	MaxCalls int
	// Dialer dials the TCP connection; nil means a zero net.Dialer.
	Dialer *net.Dialer
}

// EPMResult is what an endpoint mapper registered.
type EPMResult struct {
	Addr netip.AddrPort `json:"address"`
	msrpc.LookupResult
}

// TCPPorts groups the registered TCP endpoints by port (msrpc.TCPPorts).
func (r *EPMResult) TCPPorts() []msrpc.PortEndpoints { return msrpc.TCPPorts(r.Endpoints) }

// LookupEndpoints asks the endpoint mapper at addr for every registered endpoint,
// with the defaults of a zero EPMClient and the given timeout.
func LookupEndpoints(ctx context.Context, addr netip.AddrPort, timeout time.Duration) (*EPMResult, error) {
	return (&EPMClient{Timeout: timeout}).Lookup(ctx, addr)
}

// Lookup dials addr and lists its endpoints. A server that spoke DCE/RPC but
// refused us (bind_nak, a rejected context, a fault) yields an error wrapping a
// *msrpc.Error; the TCP port is open all the same. On an error after some
// entries arrived the partial result is returned with the error.
func (c *EPMClient) Lookup(ctx context.Context, addr netip.AddrPort) (*EPMResult, error) {
	res := &EPMResult{Addr: addr}
	err := c.exchange(ctx, addr, "epm", func(conn net.Conn) error {
		lr, err := (&msrpc.Client{MaxEnts: c.MaxEnts, MaxCalls: c.MaxCalls}).Lookup(conn)
		res.LookupResult = *lr
		return err
	})
	return res, err
}

// Bind dials addr and binds to the interface id there (msrpc.Client.Bind): a
// bind_ack that accepts it says the service itself answered on that port.
func (c *EPMClient) Bind(ctx context.Context, addr netip.AddrPort, id msrpc.Interface) (*msrpc.BindAck, error) {
	var ack *msrpc.BindAck
	err := c.exchange(ctx, addr, "rpc bind", func(conn net.Conn) (err error) {
		ack, err = (&msrpc.Client{}).Bind(conn, id)
		return err
	})
	return ack, err
}

// exchange dials addr and runs f on the connection within the timeout; the
// deadline is the context's (the earliest of the caller's and ours), and a
// cancellation unblocks any read or write at once.
func (c *EPMClient) exchange(ctx context.Context, addr netip.AddrPort, what string, f func(net.Conn) error) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := c.Dialer
	if d == nil {
		d = &net.Dialer{}
	}
	conn, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	err = f(conn)
	// stopped, not ctx.Err: the connection's deadline is the context's, and a
	// read cut off by it can return before the context's own timer has fired.
	if err != nil && stopped(ctx) {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(cerr, context.DeadlineExceeded) {
			return fmt.Errorf("%s %s: %w", what, addr, context.Cause(ctx))
		}
		return fmt.Errorf("%s %s: %w", what, addr, errTimeout)
	}
	return err
}

// errTimeout marks an exchange cut off by its deadline; it satisfies net.Error's
// Timeout so that callers can classify it with other timeouts.
var errTimeout = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string { return "RPC exchange timed out" }
func (timeoutError) Timeout() bool { return true }

// Temporary completes net.Error; a timeout may pass on a later try.
func (timeoutError) Temporary() bool { return true }
