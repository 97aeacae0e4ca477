package probes

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// TFTP asks for a file that cannot exist (a fresh random name each time) with a
// read request (RFC 1350 §5): a server answers ERROR "File not found", or DATA
// block 1 if it serves anything under any name. Both prove a listener.
//
// TFTP has no transaction ID: the server answers from a new port (its transfer
// ID, RFC 1350 §4), so the scanner must read on an unconnected socket, and a reply
// is recognised only by its opcode and shape. An ERROR or DATA datagram from the
// target's address is therefore taken as the answer; that is weaker matching than
// the other probes have, and is why the opcode and terminator checks are strict.
var TFTP = &Probe{
	Name:      "tftp",
	Ports:     []uint16{69},
	AnySource: true,
	New:       newTFTPQuery,
	Detail:    (*TFTPDetail)(nil),
}

// TFTP opcodes, RFC 1350 §5 and RFC 2347 (OACK).
const (
	tftpRRQ   = 1
	tftpDATA  = 3
	tftpERROR = 5
)

// tftpMaxMessage caps the error text kept from a reply.
const tftpMaxMessage = 255

// TFTPDetail is what a TFTP server said to a read request.
type TFTPDetail struct {
	// File is the (random) name that was asked for.
	File string `json:"file"`
	// FileExists is set when the server sent DATA: it served the name we made up,
	// so it answers any name (or the name exists). The transfer is left to time out.
	FileExists bool `json:"file_exists"`
	// ErrorCode and ErrorName are the ERROR packet's code (RFC 1350 §5, RFC 2347 for 8).
	ErrorCode int    `json:"error_code,omitempty"`
	ErrorName string `json:"error_name,omitempty"`
	// Message is the ERROR packet's text ("File not found").
	Message string `json:"message,omitempty"`
}

// Summary is `ERROR 1 File not found: "File not found"` or `DATA: file "…" exists`.
func (d *TFTPDetail) Summary() string {
	if d.FileExists {
		return fmt.Sprintf("DATA: file %q exists", d.File)
	}
	s := "ERROR " + strconv.Itoa(d.ErrorCode) + " " + d.ErrorName
	if d.Message != "" && d.Message != d.ErrorName {
		s += ": " + strconv.Quote(d.Message)
	}
	return s
}

// tftpQuery is one read request.
type tftpQuery struct {
	file    string
	packets [][]byte
}

func newTFTPQuery(rnd io.Reader, _ Options) (Query, error) {
	var b [4]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return nil, fmt.Errorf("tftp: random file name: %w", err)
	}
	return newTFTPQueryFile("nx-probe-" + hex.EncodeToString(b[:]) + ".txt"), nil
}

// newTFTPQueryFile builds the request for a given file name, for tests.
func newTFTPQueryFile(file string) *tftpQuery {
	// RRQ: opcode, file name, 0, mode, 0 (RFC 1350 §5). "octet" so that no server
	// rewrites line ends.
	p := binary.BigEndian.AppendUint16(nil, tftpRRQ)
	p = append(p, file...)
	p = append(p, 0)
	p = append(p, "octet"...)
	p = append(p, 0)
	return &tftpQuery{file: file, packets: [][]byte{p}}
}

func (q *tftpQuery) Packets() [][]byte { return q.packets }

// Match accepts ERROR (opcode 5, code, NUL-terminated text) or DATA block 1
// (opcode 3): the only two answers RFC 1350 allows to an RRQ without options.
func (q *tftpQuery) Match(reply []byte) (Detail, error) {
	if len(reply) < 4 {
		return nil, ErrNotMine
	}
	switch binary.BigEndian.Uint16(reply) {
	case tftpDATA:
		if binary.BigEndian.Uint16(reply[2:]) != 1 || len(reply) > 4+512 {
			return nil, ErrNotMine // only block 1, of at most the default 512 bytes, answers an RRQ
		}
		return &TFTPDetail{File: q.file, FileExists: true}, nil
	case tftpERROR:
		text := reply[4:]
		end := bytes.IndexByte(text, 0)
		if end < 0 {
			// RFC 1350 §5 ends ErrMsg with a zero byte; some embedded servers
			// omit it. Accept the text up to the end of the datagram.
			end = len(text)
		} else if end != len(text)-1 {
			return nil, fmt.Errorf("tftp: %d bytes after the error text", len(text)-1-end)
		}
		code := int(binary.BigEndian.Uint16(reply[2:]))
		return &TFTPDetail{
			File:      q.file,
			ErrorCode: code,
			ErrorName: tftpErrorName(code),
			Message:   sanitizeReplyText(text[:end], tftpMaxMessage),
		}, nil
	default:
		return nil, ErrNotMine
	}
}

// sanitizeReplyText bounds a text field from a reply to max bytes and replaces
// control characters and invalid UTF-8 with '?', so that tables and terminals
// show what the server sent and nothing it could make them do.
func sanitizeReplyText(b []byte, max int) string {
	if len(b) > max {
		b = b[:max]
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, string(b))
}

// tftpErrorName names the error codes of RFC 1350 §5 and RFC 2347 (8).
func tftpErrorName(code int) string {
	names := [...]string{"Not defined", "File not found", "Access violation", "Disk full",
		"Illegal TFTP operation", "Unknown transfer ID", "File already exists", "No such user",
		"Option negotiation refused"}
	if code >= 0 && code < len(names) {
		return names[code]
	}
	return "code " + strconv.Itoa(code)
}
