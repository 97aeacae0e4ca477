package msrpc

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
)

// Client runs DCE/RPC exchanges over a connection it is handed: it writes
// requests and reads replies and nothing else. The caller dials, bounds the
// exchange with deadlines (a read that never returns is the caller's deadline to
// cut) and closes the connection. The zero value is usable; every field documents
// its default. A Client is safe for concurrent use on different connections.
type Client struct {
	// MaxEnts is max_ents per ept_lookup call; 0 means 500, the most [MS-RPCE]
	// 2.2.1.2.4 allows.
	MaxEnts uint32
	// MaxCalls bounds the ept_lookup calls of one iteration, so that a server that
	// keeps returning a live handle cannot keep us forever; 0 means 64 (32,000
	// entries at 500 a call). When it is reached, or the replies exceed 4 MiB, the
	// handle is released with ept_lookup_handle_free and the result has Truncated
	// set.
	MaxCalls int
}

// LookupResult is what an endpoint mapper registered.
type LookupResult struct {
	Endpoints []Endpoint `json:"endpoints"`            // decoded, de-duplicated, without mgmt
	Entries   int        `json:"entries"`              // raw entries received
	BadTowers int        `json:"bad_towers,omitempty"` // towers that did not decode
	Calls     int        `json:"calls"`                // ept_lookup calls made
	Truncated bool       `json:"truncated,omitempty"`  // stopped at MaxCalls
	Bind      *BindAck   `json:"-"`
}

// MaxLookupBytes bounds the response bytes one iteration keeps, whatever MaxCalls
// says: a large Windows server registers a few hundred entries, about 100 KB.
const MaxLookupBytes = 4 << 20

// callID returns a random first call_id: a stale or misdirected reply cannot pass
// for ours.
func callID() (uint32, error) {
	var seed [4]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(seed[:])&0x7fffffff | 1, nil
}

// Lookup binds to the endpoint mapper on conn and lists every registered
// endpoint: ept_lookup on the returned context handle until the server says there
// is no more (protocols.md §10). A server that spoke DCE/RPC but refused us
// (bind_nak, a rejected context, a fault) yields an error wrapping an *Error. On
// an error after some entries arrived, the partial result is returned with it.
func (c *Client) Lookup(conn io.ReadWriter) (*LookupResult, error) {
	res := &LookupResult{}
	raw, err := c.lookup(conn, res)
	res.Endpoints, res.BadTowers = DecodeEntries(raw)
	return res, err
}

func (c *Client) lookup(conn io.ReadWriter, res *LookupResult) ([]EPMEntry, error) {
	maxEnts := c.MaxEnts
	if maxEnts == 0 {
		maxEnts = 500
	}
	maxCalls := c.MaxCalls
	if maxCalls <= 0 {
		maxCalls = 64
	}
	id, err := callID()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, MaxFrag)
	if res.Bind, err = bind(conn, buf, id, EPM); err != nil {
		return nil, fmt.Errorf("epm bind: %w", err)
	}
	var raw []EPMEntry
	var handle EPMHandle
	total := 0 // stub bytes kept: the entries alias them
	for {
		if res.Calls == maxCalls || total > MaxLookupBytes {
			res.Truncated = true
			id++
			return raw, freeHandle(conn, buf, id, handle)
		}
		id++
		res.Calls++
		if _, err := conn.Write(EPMLookup(id, handle, maxEnts)); err != nil {
			return raw, fmt.Errorf("epm ept_lookup: %w", err)
		}
		stub, err := readResponse(conn, buf, id)
		if err != nil {
			return raw, fmt.Errorf("epm ept_lookup: %w", err)
		}
		rep, err := ParseEPMLookup(stub)
		if err != nil {
			return raw, fmt.Errorf("epm ept_lookup: %w", err)
		}
		total += len(stub)
		res.Entries += len(rep.Entries)
		raw = append(raw, rep.Entries...)
		if rep.Done() {
			return raw, nil
		}
		if rep.Status != 0 {
			return raw, fmt.Errorf("epm ept_lookup: status 0x%08x", rep.Status)
		}
		handle = rep.Handle
	}
}

// Bind asks the server on conn for the interface id with the NDR transfer syntax
// and no authentication, and reads its answer. A bind_ack that accepts the
// context returns the BindAck: the server serves that interface on this port. A
// bind_nak, a rejected context (abstract syntax not supported: this port is not
// that service) or a fault returns an *Error; anything that is not DCE/RPC
// returns an error wrapping ErrMalformed (or the read error).
func (c *Client) Bind(conn io.ReadWriter, id Interface) (*BindAck, error) {
	call, err := callID()
	if err != nil {
		return nil, err
	}
	return bind(conn, make([]byte, MaxFrag), call, id)
}

func bind(conn io.ReadWriter, buf []byte, call uint32, id Interface) (*BindAck, error) {
	if _, err := conn.Write(Bind(call, id)); err != nil {
		return nil, err
	}
	pdu, err := ReadPDU(conn, buf)
	if err != nil {
		return nil, err
	}
	return ParseBindReply(pdu, call)
}

// freeHandle releases a lookup handle we stop using (ept_lookup_handle_free, opnum
// 4), so that the server does not keep the iteration state until the connection
// closes.
func freeHandle(conn io.ReadWriter, buf []byte, call uint32, h EPMHandle) error {
	if h.IsZero() {
		return nil
	}
	if _, err := conn.Write(EPMLookupHandleFree(call, h)); err != nil {
		return fmt.Errorf("epm ept_lookup_handle_free: %w", err)
	}
	stub, err := readResponse(conn, buf, call)
	if err != nil {
		return fmt.Errorf("epm ept_lookup_handle_free: %w", err)
	}
	if _, st, err := ParseEPMHandleFree(stub); err != nil || st != 0 {
		return fmt.Errorf("epm ept_lookup_handle_free: status 0x%08x %v", st, err)
	}
	return nil
}

// ReadPDU reads one PDU into buf, which must hold MaxFrag bytes; the header is
// checked before the body is read, so a giant frag_length is refused without
// reading or allocating, and a server that trickles bytes runs into the caller's
// deadline.
func ReadPDU(r io.Reader, buf []byte) ([]byte, error) {
	if _, err := io.ReadFull(r, buf[:HeaderLen]); err != nil {
		return nil, err
	}
	n, err := PDUFragLen(buf[:HeaderLen])
	if err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r, buf[HeaderLen:n]); err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// readResponse reads fragments until LAST_FRAG and returns the joined stub.
func readResponse(r io.Reader, buf []byte, call uint32) ([]byte, error) {
	ra := Reassembler{CallID: call}
	for {
		pdu, err := ReadPDU(r, buf)
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
