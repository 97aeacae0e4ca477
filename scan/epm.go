package scan

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/portreach/portreach/probes"
)

// EPMClient asks an RPC endpoint mapper (TCP 135) for every registered endpoint:
// bind, then ept_lookup on the returned context handle until the server says there
// is no more (protocols.md §10). The zero value is usable; every field documents
// its default. An EPMClient is safe for concurrent use.
type EPMClient struct {
	// Timeout bounds the whole exchange, dial included; 0 means 10s. A context
	// deadline that comes earlier wins.
	Timeout time.Duration
	// MaxEnts is max_ents per ept_lookup call; 0 means 500, the most [MS-RPCE]
	// 2.2.1.2.4 allows.
	MaxEnts uint32
	// MaxCalls bounds the ept_lookup calls of one iteration, so that a server that
	// keeps returning a live handle cannot keep us forever; 0 means 64 (32,000
	// entries at 500 a call). When it is reached, or the replies exceed 4 MiB, the
	// handle is released with ept_lookup_handle_free and the result has Truncated
	// set.
	MaxCalls int
	// Dialer dials the TCP connection; nil means a zero net.Dialer.
	Dialer *net.Dialer
}

// EPMResult is what an endpoint mapper registered.
type EPMResult struct {
	Addr      netip.AddrPort       `json:"address"`
	Endpoints []probes.RPCEndpoint `json:"endpoints"`            // decoded, de-duplicated, without mgmt
	Entries   int                  `json:"entries"`              // raw entries received
	BadTowers int                  `json:"bad_towers,omitempty"` // towers that did not decode
	Calls     int                  `json:"calls"`                // ept_lookup calls made
	Truncated bool                 `json:"truncated,omitempty"`  // stopped at MaxCalls
	Bind      *probes.BindAck      `json:"-"`
	raw       []probes.EPMEntry    // entries of the exchange in progress
}

// LookupEndpoints asks the endpoint mapper at addr for every registered endpoint,
// with the defaults of a zero EPMClient and the given timeout.
func LookupEndpoints(ctx context.Context, addr netip.AddrPort, timeout time.Duration) (*EPMResult, error) {
	return (&EPMClient{Timeout: timeout}).Lookup(ctx, addr)
}

// Lookup dials addr and lists its endpoints. A server that spoke DCE/RPC but
// refused us (bind_nak, a rejected context, a fault) yields an error wrapping a
// *probes.RPCError; the TCP port is open all the same. On an error after some
// entries arrived the partial result is returned with the error.
func (c *EPMClient) Lookup(ctx context.Context, addr netip.AddrPort) (*EPMResult, error) {
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
		return nil, err
	}
	defer conn.Close()
	// The deadline is the context's (the earliest of the caller's and ours), and a
	// cancellation unblocks any read or write at once.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	res := &EPMResult{Addr: addr}
	err = c.exchange(conn, res)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("epm %s: %w", addr, context.Cause(ctx))
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("epm %s: %w", addr, errTimeout)
		}
	}
	res.Endpoints, res.BadTowers = probes.RPCEndpoints(res.raw)
	res.raw = nil // the entries alias up to epmMaxTotal of reply bytes; results outlive them
	return res, err
}

// errTimeout marks an exchange cut off by its deadline; it satisfies net.Error's
// Timeout so that callers can classify it with other timeouts.
var errTimeout = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string { return "endpoint mapper exchange timed out" }
func (timeoutError) Timeout() bool { return true }

// Temporary completes net.Error; a timeout may pass on a later try.
func (timeoutError) Temporary() bool { return true }

func (c *EPMClient) exchange(conn net.Conn, res *EPMResult) error {
	maxEnts := c.MaxEnts
	if maxEnts == 0 {
		maxEnts = 500
	}
	maxCalls := c.MaxCalls
	if maxCalls <= 0 {
		maxCalls = 64
	}
	// A random first call_id: a stale or misdirected reply cannot pass for ours.
	var seed [4]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return err
	}
	callID := binary.LittleEndian.Uint32(seed[:])&0x7fffffff | 1
	buf := make([]byte, probes.MaxFrag)

	if _, err := conn.Write(probes.EPMBind(callID)); err != nil {
		return fmt.Errorf("epm bind: %w", err)
	}
	pdu, err := readPDU(conn, buf)
	if err != nil {
		return fmt.Errorf("epm bind: %w", err)
	}
	if res.Bind, err = probes.ParseBindReply(pdu, callID); err != nil {
		return fmt.Errorf("epm bind: %w", err)
	}

	var handle probes.EPMHandle
	total := 0 // stub bytes kept: the entries alias them
	for {
		if res.Calls == maxCalls || total > epmMaxTotal {
			res.Truncated = true
			callID++
			return freeHandle(conn, buf, callID, handle)
		}
		callID++
		res.Calls++
		if _, err := conn.Write(probes.EPMLookup(callID, handle, maxEnts)); err != nil {
			return fmt.Errorf("epm ept_lookup: %w", err)
		}
		stub, err := readResponse(conn, buf, callID)
		if err != nil {
			return fmt.Errorf("epm ept_lookup: %w", err)
		}
		rep, err := probes.ParseEPMLookup(stub)
		if err != nil {
			return fmt.Errorf("epm ept_lookup: %w", err)
		}
		total += len(stub)
		res.Entries += len(rep.Entries)
		res.raw = append(res.raw, rep.Entries...)
		if rep.Done() {
			return nil
		}
		if rep.Status != 0 {
			return fmt.Errorf("epm ept_lookup: status 0x%08x", rep.Status)
		}
		handle = rep.Handle
	}
}

// epmMaxTotal bounds the response bytes one iteration keeps, whatever MaxCalls
// says: a large Windows server registers a few hundred entries, about 100 KB.
const epmMaxTotal = 4 << 20

// freeHandle releases a lookup handle we stop using (ept_lookup_handle_free, opnum
// 4), so that the server does not keep the iteration state until the connection
// closes.
func freeHandle(conn net.Conn, buf []byte, callID uint32, h probes.EPMHandle) error {
	if h.IsZero() {
		return nil
	}
	if _, err := conn.Write(probes.EPMLookupHandleFree(callID, h)); err != nil {
		return fmt.Errorf("epm ept_lookup_handle_free: %w", err)
	}
	stub, err := readResponse(conn, buf, callID)
	if err != nil {
		return fmt.Errorf("epm ept_lookup_handle_free: %w", err)
	}
	if _, st, err := probes.ParseEPMHandleFree(stub); err != nil || st != 0 {
		return fmt.Errorf("epm ept_lookup_handle_free: status 0x%08x %v", st, err)
	}
	return nil
}

// readPDU reads one PDU into buf, which must hold probes.MaxFrag bytes; the header
// is checked before the body is read, so a giant frag_length is refused without
// reading or allocating, and a server that trickles bytes runs into the deadline.
func readPDU(r io.Reader, buf []byte) ([]byte, error) {
	if _, err := io.ReadFull(r, buf[:probes.RPCHeaderLen]); err != nil {
		return nil, err
	}
	n, err := probes.PDUFragLen(buf[:probes.RPCHeaderLen])
	if err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r, buf[probes.RPCHeaderLen:n]); err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// readResponse reads fragments until LAST_FRAG and returns the joined stub.
func readResponse(r io.Reader, buf []byte, callID uint32) ([]byte, error) {
	ra := probes.Reassembler{CallID: callID}
	for {
		pdu, err := readPDU(r, buf)
		if err != nil {
			return nil, err
		}
		done, err := ra.Add(pdu)
		if err != nil {
			return nil, err
		}
		if done {
			return ra.Stub(), nil
		}
	}
}

// EPMPort is one TCP port the endpoint mapper handed out, with the interfaces
// registered on it.
type EPMPort struct {
	Port       uint16               `json:"port"`
	Interfaces []probes.RPCEndpoint `json:"interfaces"`
}

// TCPPorts groups the ncacn_ip_tcp endpoints (and ncacn_http, which is also a TCP
// listener) by port, in port order: the ports a firewall must let through.
func (r *EPMResult) TCPPorts() []EPMPort {
	var ports []EPMPort
	for _, e := range r.Endpoints {
		if e.Port == 0 || (e.Protocol != "ncacn_ip_tcp" && e.Protocol != "ncacn_http") {
			continue
		}
		i, found := slices.BinarySearchFunc(ports, e.Port, func(p EPMPort, port uint16) int { return int(p.Port) - int(port) })
		if !found {
			ports = slices.Insert(ports, i, EPMPort{Port: e.Port})
		}
		ports[i].Interfaces = append(ports[i].Interfaces, e)
	}
	return ports
}
