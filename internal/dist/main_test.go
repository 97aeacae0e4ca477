package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The archives depend on the files' contents, names, modes and the given time
// only: not on the files' own times, the order given, or when they are written.
func TestArchivesReproducible(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mt time.Time) entry {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
		return entry{name: "portreach_v1_linux_amd64/" + name, src: p, mode: 0o644}
	}
	mtime := time.Unix(1764600000, 0).UTC()
	for _, w := range []struct {
		name  string
		write func(io.Writer, []entry, time.Time) error
	}{{"tar.gz", writeTarGz}, {"zip", writeZip}} {
		var first, second bytes.Buffer
		a := write("README.md", "read me", time.Unix(1, 0))
		b := write("portreach", "\x7fELF binary", time.Unix(2, 0))
		b.mode = 0o755
		if err := w.write(&first, []entry{a, b}, mtime); err != nil {
			t.Fatal(err)
		}
		a = write("README.md", "read me", time.Now())
		b = write("portreach", "\x7fELF binary", time.Now())
		b.mode = 0o755
		if err := w.write(&second, []entry{b, a}, mtime); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Errorf("%s: two writes differ", w.name)
		}
	}
}

// What the archives hold: sorted entries, fixed modes, owner and time.
func TestArchiveContents(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "portreach")
	os.WriteFile(bin, []byte("bin"), 0o600)
	doc := filepath.Join(dir, "audits.md")
	os.WriteFile(doc, []byte("doc"), 0o600)
	es := []entry{{"p/portreach", bin, 0o755}, {"p/docs/audits.md", doc, 0o644}}
	mtime := time.Unix(1764600000, 0).UTC()

	var b bytes.Buffer
	if err := writeTarGz(&b, es, mtime); err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header: name %q time %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || !h.ModTime.Equal(mtime) {
			t.Errorf("%s: owner %d:%d %q, time %v", h.Name, h.Uid, h.Gid, h.Uname, h.ModTime)
		}
		got = append(got, h.Name+" "+os.FileMode(h.Mode).String())
	}
	want := []string{"p/ -rwxr-xr-x", "p/docs/ -rwxr-xr-x", "p/docs/audits.md -rw-r--r--", "p/portreach -rwxr-xr-x"}
	if len(got) != len(want) {
		t.Fatalf("tar: %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("tar entry %d: %q, want %q", i, got[i], want[i])
		}
	}

	b.Reset()
	if err := writeZip(&b, es, mtime); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, f := range zr.File {
		if !f.Modified.Equal(mtime) {
			t.Errorf("%s: time %v", f.Name, f.Modified)
		}
		got = append(got, f.Name+" "+f.Mode().String())
	}
	if want := "[p/docs/audits.md -rw-r--r-- p/portreach -rwxr-xr-x]"; fmt.Sprint(got) != want {
		t.Errorf("zip: %s, want %s", fmt.Sprint(got), want)
	}
}

// The stamp linked into the binaries, and stamps that would break the
// -ldflags argument or an archive's name.
func TestStamp(t *testing.T) {
	st := stamp{version: "v1.2.0-3-g5a6b7c8-dirty", revision: "5a6b7c8d", time: "2026-12-05T15:26:58Z", modified: true}
	want := "-ldflags=-s -w -X main.buildVersion=v1.2.0-3-g5a6b7c8-dirty -X main.buildRevision=5a6b7c8d -X main.buildTime=2026-12-05T15:26:58Z -X main.buildModified=true"
	if got := st.ldflags(); got != want {
		t.Errorf("ldflags\n got %s\nwant %s", got, want)
	}
	if got := (stamp{version: "devel"}).ldflags(); got != "-ldflags=-s -w -X main.buildVersion=devel" {
		t.Errorf("ldflags without a revision: %s", got)
	}
	for _, c := range []struct {
		st   stamp
		want string
	}{
		{stamp{}, `-version "": want a name without slashes, spaces or quotes`},
		{stamp{version: "release/1"}, `-version "release/1": want a name without slashes, spaces or quotes`},
		{stamp{version: "v1", revision: "abc -X main.x=y"}, `-revision "abc -X main.x=y": want a name without slashes, spaces or quotes`},
		{stamp{version: "v1", time: "2026-12-05 15:26"}, `-commit-time "2026-12-05 15:26": want a name without slashes, spaces or quotes`},
	} {
		if err := run(c.st, t.TempDir(), time.Unix(0, 0), false); err == nil || err.Error() != c.want {
			t.Errorf("run(%+v): %v, want %s", c.st, err, c.want)
		}
	}
}
