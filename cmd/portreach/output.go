package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mattn/go-isatty"

	"github.com/portreach/portreach/results"
)

// formats are the output formats, in the order --help lists them.
var formats = []string{"table", "json", "jsonl", "csv", "junit", "prometheus", "html"}

// output is one -o destination.
type output struct {
	format string
	path   string // "-" is standard output
}

// parseOutput reads "-o FILE" or "-o FORMAT:FILE". A prefix counts as a format only
// when it names one, so a Windows path such as C:\reports\x.json stays a path.
func parseOutput(spec, defFormat string) (output, error) {
	if spec == "" {
		return output{}, fmt.Errorf("-o: empty file name")
	}
	if f, path, ok := strings.Cut(spec, ":"); ok && slices.Contains(formats, f) {
		if path == "" {
			return output{}, fmt.Errorf("-o %s: no file name after the format", spec)
		}
		return output{format: f, path: path}, nil
	}
	return output{format: defFormat, path: spec}, nil
}

func checkFormat(f string) error {
	if !slices.Contains(formats, f) {
		return fmt.Errorf("unknown format %q (want one of: %s)", f, strings.Join(formats, ", "))
	}
	return nil
}

// isTerminal reports whether w is a terminal (a console on Windows).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// atomicFile writes to a temporary file beside path and renames it into place on
// Commit, so that a reader (a cron job's consumer, node_exporter) never sees a
// half-written report.
type atomicFile struct {
	*os.File
	path string
}

func createAtomic(path string) (*atomicFile, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &atomicFile{File: f, path: path}, nil
}

func (a *atomicFile) Commit() error {
	if err := a.File.Sync(); err != nil {
		a.Abort()
		return err
	}
	if err := a.File.Close(); err != nil {
		os.Remove(a.File.Name())
		return err
	}
	if err := os.Chmod(a.File.Name(), 0o644); err != nil {
		os.Remove(a.File.Name())
		return err
	}
	return os.Rename(a.File.Name(), a.path)
}

func (a *atomicFile) Abort() {
	a.File.Close()
	os.Remove(a.File.Name())
}

// render writes a whole report in a non-streaming format.
func render(w io.Writer, format string, rep *results.Report, table results.TableOptions) error {
	switch format {
	case "json":
		return results.WriteJSON(w, rep)
	case "csv":
		return results.WriteCSV(w, rep.Results)
	case "junit":
		return results.WriteJUnit(w, rep)
	case "prometheus":
		return results.WritePrometheus(w, rep)
	case "html":
		machine, _ := os.Hostname() // the report says where the run went from
		return results.WriteHTML(w, rep, results.HTMLOptions{Machine: machine})
	case "jsonl":
		j := results.NewJSONLWriter(w)
		rs := slices.Clone(rep.Results)
		results.Sort(rs)
		for _, r := range rs {
			if err := j.Write(r); err != nil {
				return err
			}
		}
		return nil
	default:
		return results.WriteTable(w, rep, table)
	}
}
