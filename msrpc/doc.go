// Package msrpc owns the wire formats of connection-oriented DCE/RPC (C706 chapter
// 12, [MS-RPCE] 2.2.2) as portreach speaks it: bind, bind_ack/bind_nak, request,
// response and fault; the endpoint mapper's ept_lookup and its protocol towers; the
// names, versions and specifications of the RPC interfaces administrators meet
// behind a firewall; and a client that runs a bind or a lookup over a connection
// it is handed and does not own (the caller dials, sets deadlines and closes, as
// with miekg/dns ExchangeWithConn). It opens no sockets.
//
// PDUs are built and parsed here; sockets, time and verdicts stay in the scanner.
package msrpc
