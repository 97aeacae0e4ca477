package main

import (
	"fmt"
	"io"
	"os"

	"github.com/cheggaaa/pb/v3"

	"github.com/portreach/portreach/results"
)

func (c *scanCmd) outputsList() ([]output, error) {
	def := c.format
	if def == "" {
		def = "jsonl"
		if isTerminal(c.stdout) {
			def = "table"
		}
	}
	if err := checkFormat(def); err != nil {
		return nil, bad("-f: %v", err)
	}
	if len(c.outputs.vals) == 0 {
		return []output{{format: def, path: "-"}}, nil
	}
	var outs []output
	stdout := 0
	for _, spec := range c.outputs.vals {
		o, err := parseOutput(spec, def)
		if err != nil {
			return nil, bad("%v", err)
		}
		if o.path == "-" {
			if stdout++; stdout > 1 {
				return nil, bad("-o: only one output can go to standard output")
			}
		}
		outs = append(outs, o)
	}
	return outs, nil
}

// streams are the JSONL outputs, written as results arrive: to standard output
// directly, to files through a temporary file renamed into place at the end.
type streams struct {
	writers []*results.JSONLWriter
	files   map[string]*atomicFile
	err     error
}

func (c *scanCmd) openStreams(outs []output) (*streams, error) {
	s := &streams{files: map[string]*atomicFile{}}
	for _, o := range outs {
		if o.format != "jsonl" {
			continue
		}
		if o.path == "-" {
			if !c.quiet { // quiet decides at the end what to print
				s.writers = append(s.writers, results.NewJSONLWriter(c.stdout))
			}
			continue
		}
		f, err := createAtomic(o.path)
		if err != nil {
			s.abort()
			return nil, bad("-o %s: %v", o.path, err)
		}
		s.files[o.path] = f
		s.writers = append(s.writers, results.NewJSONLWriter(f))
	}
	return s, nil
}

func (s *streams) write(r results.Result) {
	for _, w := range s.writers {
		if err := w.Write(r); err != nil && s.err == nil {
			s.err = err
		}
	}
}

func (s *streams) abort() {
	for _, f := range s.files {
		f.Abort()
	}
}

// writeOutputs renders the whole-report formats and commits every file. With
// --quiet, standard output gets nothing when quietRep is nil; otherwise a table
// of the failing entries, the changes and the whole run's verdict, or in the
// other formats quietRep (the failing results and the drift). Files always get
// the whole report.
func (c *scanCmd) writeOutputs(outs []output, st *streams, rep, quietRep *results.Report) error {
	if st.err != nil {
		st.abort()
		return fmt.Errorf("writing results: %w", st.err)
	}
	table := results.TableOptions{Verbose: c.verbose}
	for _, o := range outs {
		if o.path == "-" {
			r := rep
			t := table
			if c.quiet {
				if quietRep == nil {
					continue
				}
				// The table shows the failing entries with the whole run's
				// verdict; the machine formats get the failing results.
				if o.format == "table" {
					t.OnlyFailing = true
				} else {
					r = quietRep
				}
			} else if o.format == "jsonl" {
				continue // already streamed
			}
			t.Color = isTerminal(c.stdout) && !c.noColor && os.Getenv("NO_COLOR") == ""
			if err := render(c.stdout, o.format, r, t); err != nil {
				return fmt.Errorf("writing results: %w", err)
			}
			continue
		}
		if o.format == "jsonl" {
			if err := st.files[o.path].Commit(); err != nil {
				return fmt.Errorf("-o %s: %w", o.path, err)
			}
			continue
		}
		f, err := createAtomic(o.path)
		if err != nil {
			return fmt.Errorf("-o %s: %w", o.path, err)
		}
		if err := render(f, o.format, rep, table); err != nil {
			f.Abort()
			return fmt.Errorf("-o %s: %w", o.path, err)
		}
		if err := f.Commit(); err != nil {
			return fmt.Errorf("-o %s: %w", o.path, err)
		}
	}
	return nil
}

// bar is the progress bar: on standard error, only when it is a terminal and
// nothing else writes to that terminal while the scan runs.
type bar struct{ pb *pb.ProgressBar }

func (c *scanCmd) progress(outs []output, total int) *bar {
	if c.quiet || c.noProgress || !isTerminal(c.stderr) || total < 2 {
		return &bar{}
	}
	for _, o := range outs {
		if o.path == "-" && o.format == "jsonl" && isTerminal(c.stdout) {
			return &bar{} // streaming lines to the same terminal
		}
	}
	p := pb.New(total)
	p.SetWriter(c.stderr.(io.Writer))
	p.SetTemplateString(`{{counters . }} ports {{bar . "[" "=" ">" " " "]"}} {{percent . }} {{etime . }}`)
	p.Set(pb.CleanOnFinish, true)
	p.Start()
	return &bar{pb: p}
}

func (b *bar) add(n int) {
	if b.pb == nil {
		return
	}
	if b.pb.Current()+int64(n) > b.pb.Total() {
		b.pb.SetTotal(b.pb.Current() + int64(n)) // follow-ups and RPC endpoints add ports
	}
	b.pb.Add(n)
}

func (b *bar) finish() {
	if b.pb != nil {
		b.pb.Finish()
	}
}
