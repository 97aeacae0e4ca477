// Command genprofiles writes PROFILES.md, the reference of every built-in profile,
// from the catalogue in profiles/data. Run it through `go generate ./profiles`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/portreach/portreach/profiles"
)

func main() {
	out := flag.String("o", "PROFILES.md", "file to write")
	flag.Parse()
	c, err := profiles.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "genprofiles:", err)
		os.Exit(1)
	}
	var b bytes.Buffer
	if err := c.WriteMarkdown(&b); err != nil {
		fmt.Fprintln(os.Stderr, "genprofiles:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genprofiles:", err)
		os.Exit(1)
	}
}
