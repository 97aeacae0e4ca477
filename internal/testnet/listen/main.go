// Command listen holds TCP ports open for benchmarks and manual tests inside
// network-namespace test hosts: "listen 22 80 443" accepts and closes
// connections on those ports until it is killed.
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: listen PORT...")
		os.Exit(2)
	}
	for _, a := range os.Args[1:] {
		port, err := strconv.Atoi(a)
		if err != nil || port < 1 || port > 65535 {
			fmt.Fprintf(os.Stderr, "listen: bad port %q\n", a)
			os.Exit(2)
		}
		l, err := net.Listen("tcp", ":"+a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(1)
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
	select {}
}
