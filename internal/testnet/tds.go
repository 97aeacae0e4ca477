//go:build linux

package testnet

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
)

// ServeTDSPrelogin is a SQL Server stand-in on a TCP port of h: it reads one
// PRELOGIN packet ([MS-TDS] 2.2.6.5) and answers as SQL Server does, with a
// tabular-result packet (type 0x04) carrying the options VERSION (major,
// minor, build, sub-build), ENCRYPTION, INSTOPT (0: the instance is valid),
// THREADID (empty from a server) and MARS (off), then closes. Anything but a
// PRELOGIN gets no answer. SQL Server has no Debian package; this follows the
// specification, not a capture.
func ServeTDSPrelogin(t testing.TB, h *Host, port uint16, major, minor byte, build, subBuild uint16, encryption byte) {
	t.Helper()
	h.serveTCPConns(t, port, func(c net.Conn) {
		var hdr [8]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 0x12 {
			return
		}
		n := int(binary.BigEndian.Uint16(hdr[2:]))
		if n < 8 || n > 4096 {
			return
		}
		if _, err := io.ReadFull(c, make([]byte, n-8)); err != nil {
			return
		}
		tokens := []byte{
			0x00, 0x00, 0x1a, 0x00, 0x06, // VERSION at 26, 6 bytes
			0x01, 0x00, 0x20, 0x00, 0x01, // ENCRYPTION at 32
			0x02, 0x00, 0x21, 0x00, 0x01, // INSTOPT at 33
			0x03, 0x00, 0x22, 0x00, 0x00, // THREADID: none from a server
			0x04, 0x00, 0x22, 0x00, 0x01, // MARS at 34
			0xff,
		}
		data := append(tokens, major, minor)
		data = binary.BigEndian.AppendUint16(data, build)
		data = binary.BigEndian.AppendUint16(data, subBuild)
		data = append(data, encryption, 0x00, 0x00)
		resp := []byte{0x04, 0x01, 0, 0, 0x00, 0x00, 0x01, 0x00}
		binary.BigEndian.PutUint16(resp[2:], uint16(8+len(data)))
		c.Write(append(resp, data...))
	})
}

// StartXRDP runs xrdp in the host on 3389 with the certificate and key given and
// security_layer negotiate, in the foreground. Debian package: xrdp.
func StartXRDP(t testing.TB, h *Host, certFile, keyFile string) {
	t.Helper()
	Need(t, "/usr/sbin/xrdp")
	dir := Dir(t, "")
	ini := dir + "/xrdp.ini"
	WriteFile(t, ini, "[Globals]\nport=3389\nsecurity_layer=negotiate\ncrypt_level=high\ncertificate="+certFile+
		"\nkey_file="+keyFile+"\nssl_protocols=TLSv1.2, TLSv1.3\nfork=false\n\n[Logging]\nLogFile=/dev/null\nLogLevel=INFO\nEnableSyslog=false\nEnableConsole=true\nConsoleLevel=INFO\n")
	h.Start(t, "/usr/sbin/xrdp", "--nodaemon", "--config", ini)
}
