// Command dist builds portreach's release archives: one per platform of
// platforms, a .zip for Windows and a .tar.gz elsewhere, each holding the
// binary and the documentation under portreach_VERSION_OS_ARCH/, and
// SHA256SUMS over them in sha256sum's format. "make dist" runs it.
//
// The archives are reproducible: the same commit, Go toolchain, -version and
// stamp (-revision, -commit-time, -modified, linked in as "make build" does)
// give the same bytes. Binaries are built with -trimpath (no build machine
// paths) and CGO_ENABLED=0; archive entries are sorted, owned by 0:0 with fixed
// modes, and dated -mtime (make passes the commit's time, as
// SOURCE_DATE_EPOCH); gzip headers carry no name or time. With -check, every
// archive is built a second time, with an empty build cache, and compared
// byte for byte.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// platforms are the release targets: GOOS/GOARCH.
var platforms = []string{
	"linux/amd64", "linux/arm64",
	"windows/amd64", "windows/arm64",
	"darwin/amd64", "darwin/arm64",
}

// docs are the files shipped beside the binary (globs, from the module root):
// the documentation, and deploy/prometheus's files without their Go test.
var docs = []string{"README.md", "PROFILES.md", "docs/*.md",
	"deploy/prometheus/*.md", "deploy/prometheus/*.yml", "deploy/prometheus/*.txt",
	"deploy/prometheus/*.sh", "deploy/prometheus/targets/*.yml"}

func main() {
	var st stamp
	flag.StringVar(&st.version, "version", "devel", "version linked into the binaries and named in the archives")
	flag.StringVar(&st.revision, "revision", "", "VCS revision linked into the binaries (git rev-parse HEAD)")
	flag.StringVar(&st.time, "commit-time", "", "the revision's commit time linked into the binaries, UTC RFC 3339")
	flag.BoolVar(&st.modified, "modified", false, "link in that the tree had changes")
	out := flag.String("out", "dist", "output `DIR` (emptied first)")
	mtime := flag.Int64("mtime", 0, "date of every archive entry, in Unix seconds (SOURCE_DATE_EPOCH)")
	check := flag.Bool("check", false, "build everything twice, the second time with an empty build cache, and compare")
	flag.Parse()
	if err := run(st, *out, time.Unix(*mtime, 0).UTC(), *check); err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

// stamp is what the binaries say they are (cmd/portreach/version.go).
type stamp struct {
	version, revision, time string
	modified                bool
}

// ldflags links st into cmd/portreach, stripped of symbols.
func (st stamp) ldflags() string {
	f := "-ldflags=-s -w -X main.buildVersion=" + st.version
	if st.revision != "" {
		f += " -X main.buildRevision=" + st.revision + " -X main.buildTime=" + st.time
		if st.modified {
			f += " -X main.buildModified=true"
		}
	}
	return f
}

func run(st stamp, out string, mtime time.Time, check bool) error {
	for _, v := range []struct{ flag, val string }{{"version", st.version}, {"revision", st.revision}, {"commit-time", st.time}} {
		if strings.ContainsAny(v.val, "/\\ \t\n'\"") || v.flag == "version" && v.val == "" {
			return fmt.Errorf("-%s %q: want a name without slashes, spaces or quotes", v.flag, v.val)
		}
	}
	sums, err := buildAll(st, out, mtime, nil)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d archives and SHA256SUMS\n", out, len(platforms))
	if !check {
		return nil
	}
	tmp, err := os.MkdirTemp("", "portreach-dist-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	again, err := buildAll(st, filepath.Join(tmp, "out"), mtime, []string{"GOCACHE=" + filepath.Join(tmp, "cache")})
	if err != nil {
		return err
	}
	if !bytes.Equal(sums, again) {
		return fmt.Errorf("not reproducible: a second build differs\nfirst:\n%s\nsecond:\n%s", sums, again)
	}
	fmt.Printf("reproducible: a second build, with an empty build cache, gave the same %d archives\n", len(platforms))
	return nil
}

// buildAll builds every platform's archive into out and returns SHA256SUMS,
// which it also writes there.
func buildAll(st stamp, out string, mtime time.Time, env []string) ([]byte, error) {
	if err := os.RemoveAll(out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	files, err := docFiles()
	if err != nil {
		return nil, err
	}
	bin, err := os.MkdirTemp("", "portreach-bin-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(bin)
	var sums bytes.Buffer
	for _, p := range platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		exe := "portreach"
		if goos == "windows" {
			exe += ".exe"
		}
		binPath := filepath.Join(bin, goos+"_"+goarch, exe)
		if err := build(goos, goarch, st, binPath, env); err != nil {
			return nil, err
		}
		dir := fmt.Sprintf("portreach_%s_%s_%s", st.version, goos, goarch)
		entries := append([]entry{{name: dir + "/" + exe, src: binPath, mode: 0o755}}, prefixed(dir, files)...)
		name := dir + ".tar.gz"
		write := writeTarGz
		if goos == "windows" {
			name, write = dir+".zip", writeZip
		}
		var b bytes.Buffer
		if err := write(&b, entries, mtime); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(out, name), b.Bytes(), 0o644); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b.Bytes())
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	return sums.Bytes(), os.WriteFile(filepath.Join(out, "SHA256SUMS"), sums.Bytes(), 0o644)
}

func build(goos, goarch string, st stamp, out string, env []string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=true", st.ldflags(), "-o", out, "./cmd/portreach")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Env = append(cmd.Env, env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s/%s: %v\n%s", goos, goarch, err, b)
	}
	return nil
}

// entry is one file of an archive.
type entry struct {
	name string // slash-separated path inside the archive
	src  string // file to read
	mode fs.FileMode
}

func docFiles() ([]entry, error) {
	var es []entry
	for _, g := range docs {
		m, err := filepath.Glob(g)
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: no such file (run from the module root)", g)
		}
		for _, f := range m {
			mode := fs.FileMode(0o644)
			if strings.HasSuffix(f, ".sh") {
				mode = 0o755 // deploy/prometheus's generate.sh, targets.sh
			}
			es = append(es, entry{name: filepath.ToSlash(f), src: f, mode: mode})
		}
	}
	return es, nil
}

func prefixed(dir string, es []entry) []entry {
	out := make([]entry, len(es))
	for i, e := range es {
		e.name = path.Join(dir, e.name)
		out[i] = e
	}
	return out
}

// sorted returns es by name, the order both archive writers use.
func sorted(es []entry) []entry {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return es
}

// writeTarGz writes es as a gzip-compressed ustar archive that depends on
// nothing but the files' contents, names, modes and mtime.
func writeTarGz(w io.Writer, es []entry, mtime time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression) // no name, no time in the header
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	for _, e := range sorted(es) {
		for d := path.Dir(e.name); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		h := &tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
	}
	for _, e := range sorted(es) {
		b, err := os.ReadFile(e.src)
		if err != nil {
			return err
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: int64(e.mode.Perm()), Size: int64(len(b)),
			ModTime: mtime, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// writeZip writes es as a zip archive that depends on nothing but the files'
// contents, names, modes and mtime.
func writeZip(w io.Writer, es []entry, mtime time.Time) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	for _, e := range sorted(es) {
		b, err := os.ReadFile(e.src)
		if err != nil {
			return err
		}
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(e.mode)
		f, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := f.Write(b); err != nil {
			return err
		}
	}
	return zw.Close()
}
