package exporter

import (
	"fmt"
	"net"
	"net/http/httptest"
	"testing"
	"time"
)

// smallBufListener gives accepted connections a small send buffer, so that an
// answer of a few megabytes cannot vanish into kernel buffers.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// A client that asks for a 4096-port probe and never reads the answer must not
// hold it: the write gives up after WriteTimeout and the probe ends (issue 11
// case 7).
func TestNeverReadingClient(t *testing.T) {
	e, err := New(Config{Allow: allow(t, "127.0.0.0/8"), WriteTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.cfg.Scanner.Timeout = 300 * time.Millisecond
	srv := httptest.NewUnstartedServer(e.Handler())
	srv.Listener = smallBufListener{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)

	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.(*net.TCPConn).SetReadBuffer(4096)
	// Nothing listens on 127.0.0.2: every port is refused at once.
	fmt.Fprintf(c, "GET /probe?target=127.0.0.2&ports=T:1-4096 HTTP/1.1\r\nHost: x\r\n\r\n")

	// The probe is recorded when its handler returns: with no write timeout it
	// would wait for this client forever.
	for i := 0; ; i++ {
		if recs := e.history.newest(); len(recs) > 0 {
			break
		}
		if i > 600 {
			t.Fatal("the probe's handler still writes to a client that never reads")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
