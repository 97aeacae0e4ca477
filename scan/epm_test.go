package scan

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portreach/portreach/msrpc"
)

// loadEPMCapture reads a captured Samba server stream (msrpc/testdata) and returns
// its bind_ack and, per ept_lookup call, the response PDUs.
func loadEPMCapture(t *testing.T, name string) (bindAck []byte, calls [][][]byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "msrpc", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, l := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(l, "#") {
			sb.WriteString(strings.TrimSpace(l))
		}
	}
	stream, err := hex.DecodeString(sb.String())
	if err != nil {
		t.Fatal(err)
	}
	var cur [][]byte
	for len(stream) > 0 {
		n, err := msrpc.PDUFragLen(stream)
		if err != nil {
			t.Fatal(err)
		}
		pdu := stream[:n]
		stream = stream[n:]
		if bindAck == nil {
			bindAck = pdu
			continue
		}
		cur = append(cur, pdu)
		if pdu[3]&0x02 != 0 { // LAST_FRAG
			calls = append(calls, cur)
			cur = nil
		}
	}
	return bindAck, calls
}

// withCallID returns a copy of pdu answering callID.
func withCallID(pdu []byte, callID uint32) []byte {
	b := bytes.Clone(pdu)
	binary.LittleEndian.PutUint32(b[12:], callID)
	return b
}

// fakeEPM is an endpoint mapper on 127.0.0.1:0 driven by a script: for each PDU
// the client sends, answer returns the bytes to write back (nil: write nothing and
// keep the connection open; the test ends it).
type fakeEPM struct {
	ln      net.Listener
	answer  func(n int, pdu []byte) []byte
	mu      sync.Mutex
	opnums  []uint16 // opnum of every request received (bind excluded)
	handles [][]byte // entry handle of every ept_lookup / handle_free
	wg      sync.WaitGroup
}

func newFakeEPM(t *testing.T, answer func(n int, pdu []byte) []byte) *fakeEPM {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeEPM{ln: ln, answer: answer}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakeEPM) addr() netip.AddrPort { return f.ln.Addr().(*net.TCPAddr).AddrPort() }

func (f *fakeEPM) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(time.Minute))
			buf := make([]byte, msrpc.MaxFrag)
			for n := 0; ; n++ {
				pdu, err := msrpc.ReadPDU(c, buf)
				if err != nil {
					return
				}
				if pdu[2] == msrpc.PTypeRequest {
					f.mu.Lock()
					op := binary.LittleEndian.Uint16(pdu[22:])
					f.opnums = append(f.opnums, op)
					h := pdu[24:44] // ept_lookup_handle_free: the stub is the handle
					if op == 2 {
						h = pdu[40:60] // ept_lookup: after inquiry_type, object, Ifid, vers_option
					}
					f.handles = append(f.handles, bytes.Clone(h))
					f.mu.Unlock()
				}
				out := f.answer(n, bytes.Clone(pdu))
				if out == nil {
					// Hold the connection: the client must give up by itself.
					_, _ = io.Copy(io.Discard, c)
					return
				}
				if _, err := c.Write(out); err != nil {
					return
				}
			}
		}()
	}
}

func callID(pdu []byte) uint32 { return binary.LittleEndian.Uint32(pdu[12:]) }

// replay answers like the captured Samba: bind_ack, then the captured calls in order.
func replay(bindAck []byte, calls [][][]byte) func(int, []byte) []byte {
	return func(n int, pdu []byte) []byte {
		if n == 0 {
			return withCallID(bindAck, callID(pdu))
		}
		if n-1 >= len(calls) {
			return nil
		}
		var out []byte
		for _, frag := range calls[n-1] {
			out = append(out, withCallID(frag, callID(pdu))...)
		}
		return out
	}
}

func TestEPMClientSamba(t *testing.T) {
	bindAck, calls := loadEPMCapture(t, "epm-samba-lookup500.hex")
	f := newFakeEPM(t, replay(bindAck, calls))
	res, err := LookupEndpoints(t.Context(), f.addr(), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 2 || res.Entries != 53 || res.Truncated || len(res.Endpoints) == 0 {
		t.Errorf("calls %d entries %d endpoints %d", res.Calls, res.Entries, len(res.Endpoints))
	}
	// The second call continues from the handle the first reply returned.
	if !bytes.Equal(f.handles[0], make([]byte, 20)) || bytes.Equal(f.handles[1], f.handles[0]) {
		t.Errorf("handles sent: %x", f.handles)
	}
	ports := res.TCPPorts()
	if len(ports) < 3 {
		t.Fatalf("TCP ports %+v", ports)
	}
	for i := 1; i < len(ports); i++ {
		if ports[i-1].Port >= ports[i].Port {
			t.Errorf("ports not sorted: %v", ports)
		}
	}

	// Small batches: the client follows the handle through many calls.
	bindAck2, calls2 := loadEPMCapture(t, "epm-samba-lookup2.hex")
	f2 := newFakeEPM(t, replay(bindAck2, calls2))
	small, err := (&EPMClient{MaxEnts: 2, Timeout: 30 * time.Second}).Lookup(t.Context(), f2.addr())
	if err != nil {
		t.Fatal(err)
	}
	if small.Calls != len(calls2) || small.Entries != 53 || len(small.Endpoints) != len(res.Endpoints) {
		t.Errorf("max_ents 2: %d calls (%d captured), %d entries, %d endpoints", small.Calls, len(calls2), small.Entries, len(small.Endpoints))
	}
}

// Windows clears the handle on its last batch instead of sending a final empty
// reply; built from the Samba capture by zeroing the handle of the first reply
// (no Windows capture is available here).
func TestEPMClientWindowsClearedHandle(t *testing.T) {
	bindAck, calls := loadEPMCapture(t, "epm-samba-lookup500.hex")
	frags := make([][]byte, len(calls[0]))
	copy(frags, calls[0])
	frags[0] = bytes.Clone(frags[0])
	clear(frags[0][24:44]) // the stub's first 20 bytes: the handle
	f := newFakeEPM(t, replay(bindAck, [][][]byte{frags}))
	res, err := LookupEndpoints(t.Context(), f.addr(), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 1 || res.Entries != 53 {
		t.Errorf("calls %d entries %d", res.Calls, res.Entries)
	}
}

// A server that keeps handing out a live handle is cut off at MaxCalls, and the
// handle is released with ept_lookup_handle_free (opnum 4).
func TestEPMClientStopsAndFreesHandle(t *testing.T) {
	bindAck, calls := loadEPMCapture(t, "epm-samba-lookup2.hex")
	f := newFakeEPM(t, func(n int, pdu []byte) []byte {
		switch {
		case n == 0:
			return withCallID(bindAck, callID(pdu))
		case binary.LittleEndian.Uint16(pdu[22:]) == 4:
			// handle_free reply: null handle, status 0.
			b := withCallID(calls[0][0][:24], callID(pdu))
			b = append(b, make([]byte, 24)...)
			binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
			binary.LittleEndian.PutUint32(b[16:], 24)
			return b
		}
		return withCallID(calls[0][0], callID(pdu)) // always the first batch again
	})
	res, err := (&EPMClient{MaxEnts: 2, MaxCalls: 3, Timeout: 30 * time.Second}).Lookup(t.Context(), f.addr())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || res.Calls != 3 || res.Entries != 6 {
		t.Errorf("truncated %v calls %d entries %d", res.Truncated, res.Calls, res.Entries)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.opnums) != 4 || f.opnums[3] != 4 || bytes.Equal(f.handles[3], make([]byte, 20)) {
		t.Errorf("opnums %v, last handle %x", f.opnums, f.handles[len(f.handles)-1])
	}
}

func TestEPMClientRefusals(t *testing.T) {
	nak := func(pdu []byte) []byte {
		b, _ := hex.DecodeString("05000d03100000001500000001000000" + "0400010500")
		return withCallID(b, callID(pdu))
	}
	fault := func(pdu []byte) []byte {
		b, _ := hex.DecodeString("05000323100000002000000001000000" + "2000000000000000" + "0500000000000000")
		return withCallID(b, callID(pdu))
	}
	bindAck, _ := loadEPMCapture(t, "epm-samba-lookup500.hex")
	for name, answer := range map[string]func(int, []byte) []byte{
		"bind_nak": func(n int, pdu []byte) []byte { return nak(pdu) },
		"fault": func(n int, pdu []byte) []byte {
			if n == 0 {
				return withCallID(bindAck, callID(pdu))
			}
			return fault(pdu)
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeEPM(t, answer)
			_, err := LookupEndpoints(t.Context(), f.addr(), 30*time.Second)
			var re *msrpc.Error
			if !errors.As(err, &re) {
				t.Fatalf("error %v, want an *msrpc.Error", err)
			}
			if name == "fault" && (re.Status != 5 || re.PType != msrpc.PTypeFault) {
				t.Errorf("fault %+v", re)
			}
		})
	}
}

// A server that trickles bytes is cut off by the deadline; one that announces a
// giant fragment is refused without reading it.
func TestEPMClientHostileServers(t *testing.T) {
	bindAck, _ := loadEPMCapture(t, "epm-samba-lookup500.hex")
	t.Run("trickle", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			ack := bindAck
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				// One byte at a time, never a whole PDU: 16-byte header and then
				// the body, endlessly repeated.
				if _, err := c.Write(ack[:1]); err != nil {
					return
				}
				ack = append(ack[1:], ack[0])
			}
		}()
		_, err = LookupEndpoints(t.Context(), ln.Addr().(*net.TCPAddr).AddrPort(), 200*time.Millisecond)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("trickling server: %v, want a timeout", err)
		}
	})
	t.Run("giant frag_length", func(t *testing.T) {
		f := newFakeEPM(t, func(n int, pdu []byte) []byte {
			b := withCallID(bindAck, callID(pdu))
			binary.LittleEndian.PutUint16(b[8:], 0xffff)
			return b[:16] // a header announcing 64 KiB, then nothing
		})
		_, err := LookupEndpoints(t.Context(), f.addr(), 30*time.Second)
		if !errors.Is(err, msrpc.ErrMalformed) {
			t.Errorf("giant fragment: %v", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		f := newFakeEPM(t, func(int, []byte) []byte { return nil }) // silent after connect
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := LookupEndpoints(ctx, f.addr(), time.Hour)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled lookup: %v", err)
		}
	})
}

// A server whose replies are huge (each within MaxStub, but endless) is cut off
// once the kept bytes pass msrpc.MaxLookupBytes, and the handle is released.
func TestEPMClientTotalBound(t *testing.T) {
	bindAck, calls := loadEPMCapture(t, "epm-samba-lookup500.hex")
	hdr := calls[0][0][:24] // a response header to copy
	stub := make([]byte, msrpc.MaxStub-4096)
	copy(stub, calls[0][0][24:44]) // a live handle; num_ents 0, empty array, status 0, then padding
	f := newFakeEPM(t, func(n int, pdu []byte) []byte {
		if n == 0 {
			return withCallID(bindAck, callID(pdu))
		}
		if binary.LittleEndian.Uint16(pdu[22:]) == 4 {
			b := withCallID(hdr, callID(pdu))
			b[3] = 0x03
			b = append(b, make([]byte, 24)...)
			binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
			return b
		}
		var out []byte
		for off := 0; off < len(stub); off += msrpc.MaxFrag - 24 {
			end := min(off+msrpc.MaxFrag-24, len(stub))
			b := withCallID(hdr, callID(pdu))
			b[3] = 0
			if off == 0 {
				b[3] |= 0x01
			}
			if end == len(stub) {
				b[3] |= 0x02
			}
			b = append(b, stub[off:end]...)
			binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
			out = append(out, b...)
		}
		return out
	})
	res, err := LookupEndpoints(t.Context(), f.addr(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || res.Calls != msrpc.MaxLookupBytes/len(stub)+1 {
		t.Errorf("truncated %v after %d calls", res.Truncated, res.Calls)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.opnums[len(f.opnums)-1] != 4 {
		t.Errorf("handle not released: opnums %v", f.opnums)
	}
}
