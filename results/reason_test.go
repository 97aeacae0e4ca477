package results

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite README.md's reason table from the vocabulary")

// reasonTable renders the vocabulary as README's markdown table.
func reasonTable() string {
	var b strings.Builder
	b.WriteString("| reason | meaning |\n|---|---|\n")
	for _, v := range vocabulary {
		b.WriteString("| `" + string(v.reason) + "` | " + strings.ReplaceAll(v.meaning, "|", `\|`) + " |\n")
	}
	return b.String()
}

const (
	tableBegin = "<!-- reasons:begin (results/reason.go; go test ./results -run TestReasonTable -update) -->\n"
	tableEnd   = "<!-- reasons:end -->"
)

// TestReasonTable keeps README.md's reason table equal to the vocabulary.
func TestReasonTable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, tableBegin)
	j := strings.Index(readme, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no reason table between %q and %q", tableBegin, tableEnd)
	}
	have, want := readme[i+len(tableBegin):j], reasonTable()
	if have == want {
		return
	}
	if *update {
		if err := os.WriteFile("../README.md", []byte(readme[:i+len(tableBegin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's reason table differs from results/reason.go; run go test ./results -run TestReasonTable -update\nwant:\n%s", want)
}

func TestReasonVocabulary(t *testing.T) {
	seen := map[Reason]bool{}
	for _, v := range vocabulary {
		if seen[v.reason] {
			t.Errorf("%q listed twice", v.reason)
		}
		seen[v.reason] = true
		if v.meaning == "" || strings.Contains(v.meaning, "\n") {
			t.Errorf("%q: meaning must be one non-empty line", v.reason)
		}
		if v.reason.Meaning() != v.meaning || !v.reason.Known() {
			t.Errorf("%q: Meaning() disagrees", v.reason)
		}
	}
	if Reason("no-such-reason").Known() {
		t.Error("unknown reason reported known")
	}
}
