package profiles

import (
	"bytes"
	"os"
	"testing"
)

// TestProfilesMarkdownFresh fails when PROFILES.md does not match the data.
func TestProfilesMarkdownFresh(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := c.WriteMarkdown(&want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../PROFILES.md")
	if err != nil {
		t.Fatalf("%v; run: go generate ./profiles", err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("PROFILES.md is stale; run: go generate ./profiles")
	}
}
