package main

import (
	"fmt"
	"io"
	"os"

	"github.com/cheggaaa/pb/v3"

	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// outputsList is the run's outputs: standard output in the default format
// without -o, else each -o; and at a terminal that no -o names, the table
// too, as nmap keeps its screen output beside -oX: whoever ran the command
// sees the verdict (--quiet decides for itself what to print).
func (c *scanCmd) outputsList() ([]output, error) {
	def := c.format
	if def == "" {
		def = "jsonl"
		if isTerminal(c.stdout) {
			def = "table"
		}
	}
	if _, err := lookupFormat(def); err != nil {
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
	if stdout == 0 && !c.quiet && isTerminal(c.stdout) {
		outs = append(outs, output{format: "table", path: "-"})
	}
	return outs, nil
}

// streams are the outputs of a run, every file opened before the first probe
// (openOutputs). A scan streams its outputs: each format's writer takes the
// results as they come and keeps what it needs of them (the table a small row
// per port, JUnit its test cases, Prometheus what it prints of a port, HTML a
// bounded list per host, JSON, JSON Lines and CSV nothing; see package report)
// and ends when the run does. Outputs that are not streamed (local's; --quiet's
// standard output, which is decided at the end) are rendered whole at the end.
// Files are committed at the end, or dropped (temporary files removed) when the
// run fails.
type streams struct {
	writers  []report.Writer          // the streamed outputs' and --quiet's table
	streamed map[string]report.Writer // the streamed outputs, by -o path ("-": standard output)
	files    map[string]*outFile      // by -o path
	baseline *outFile                 // the --update-baseline replacement
	quiet    *report.TableWriter      // --quiet's table of the failures on standard output, if it gets one
	err      error
}

// stream starts writing o's format to w as results come, when start (the
// run's start: tool, time, command line) is not nil.
func (s *streams) stream(o output, w io.Writer, start *results.Report, opt report.Options) {
	if start == nil {
		return
	}
	f, _ := report.Lookup(o.format) // outputsList checked it
	opt.Start = start
	fw := f.New(w, opt)
	s.writers = append(s.writers, fw)
	s.streamed[o.path] = fw
}

// openOutputs opens every -o file and the --update-baseline file, refusing two
// outputs that are one file, and starts the streamed outputs (see stream).
func (c *scanCmd) openOutputs(outs []output, start *results.Report) (*streams, error) {
	s := &streams{files: map[string]*outFile{}, streamed: map[string]report.Writer{}}
	seen := map[string]string{}
	claim := func(what, path string) error {
		k := sameOutput(path)
		if prev, dup := seen[k]; dup {
			return bad("%s and %s are the same file: give each output its own", prev, what)
		}
		seen[k] = what
		return nil
	}
	for _, o := range outs {
		if o.path != "-" {
			if err := claim("-o "+o.path, o.path); err != nil {
				return nil, err
			}
		}
	}
	if c.updateBaseline {
		if err := claim("--baseline "+c.baseline, c.baseline); err != nil {
			return nil, err
		}
	}
	stdoutFormat := ""
	for _, o := range outs {
		if o.path == "-" {
			stdoutFormat = o.format
			if !c.quiet { // quiet decides at the end what to print
				s.stream(o, c.stdout, start, c.reportOptions(report.TableOptions{Verbose: c.verbose, Color: c.color()}))
			}
			continue
		}
		f, err := openOutput(c.ctx, o.path)
		if err != nil {
			s.abort()
			return nil, bad("-o %s: %w", o.path, err)
		}
		s.files[o.path] = f
		s.stream(o, f, start, c.reportOptions(report.TableOptions{Verbose: c.verbose}))
	}
	if c.quiet && start != nil && (stdoutFormat == "" || stdoutFormat == "table") {
		// Its hosts' titles and verdict describe the whole run, its rows the
		// failures: it keeps the failures and a summary per host.
		s.quiet = report.NewTableWriter(c.stdout, report.TableOptions{Verbose: c.verbose, OnlyFailing: true, Color: c.color()})
		s.writers = append(s.writers, s.quiet)
	}
	if c.updateBaseline {
		f, err := openOutput(c.ctx, c.baseline)
		if err != nil {
			s.abort()
			return nil, bad("--update-baseline %s: %w", c.baseline, err)
		}
		s.baseline = f
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

// abort drops every file not yet committed.
func (s *streams) abort() {
	for _, f := range s.files {
		f.Abort()
	}
	s.baseline.Abort()
}

// writeOutputs ends the streamed outputs, renders the others and commits every
// file. With --quiet, standard output gets nothing when quietRep is nil;
// otherwise a table of the failing entries, the changes and the whole run's
// verdict, or in the other formats quietRep (the failing results and the
// drift) — a table when no -o names standard output, so that a failing cron
// job mails its failures whatever files it writes. Files always get the whole
// report.
func (c *scanCmd) writeOutputs(outs []output, st *streams, rep, quietRep *results.Report) error {
	if st.err != nil {
		return fmt.Errorf("writing results: %w", st.err)
	}
	table := report.TableOptions{Verbose: c.verbose}
	color := c.color()
	toStdout := false
	for _, o := range outs {
		f, _ := report.Lookup(o.format) // outputsList checked it
		if o.path == "-" {
			toStdout = true
			r := rep
			t := table
			if c.quiet {
				if quietRep == nil {
					continue
				}
				// The table shows the failing entries with the whole run's
				// verdict; the machine formats get the failing results.
				if o.format == "table" {
					if st.quiet != nil {
						if err := st.quiet.Close(rep); err != nil {
							return fmt.Errorf("writing results: %w", err)
						}
						continue
					}
					t.OnlyFailing = true
				} else {
					r = quietRep
				}
			} else if fw := st.streamed[o.path]; fw != nil {
				if err := fw.Close(rep); err != nil {
					return fmt.Errorf("writing results: %w", err)
				}
				continue
			}
			t.Color = color
			if err := report.Render(c.stdout, f, r, c.reportOptions(t)); err != nil {
				return fmt.Errorf("writing results: %w", err)
			}
			continue
		}
		file := st.files[o.path]
		if fw := st.streamed[o.path]; fw != nil {
			if err := fw.Close(rep); err != nil {
				return fmt.Errorf("-o %s: %w", o.path, err)
			}
		} else if err := report.Render(file, f, rep, c.reportOptions(table)); err != nil {
			return fmt.Errorf("-o %s: %w", o.path, err)
		}
		if err := file.Commit(); err != nil {
			return fmt.Errorf("-o %s: %w", o.path, err)
		}
	}
	if c.quiet && quietRep != nil && !toStdout {
		if st.quiet != nil {
			if err := st.quiet.Close(rep); err != nil {
				return fmt.Errorf("writing results: %w", err)
			}
			return nil
		}
		t := table
		t.OnlyFailing, t.Color = true, color
		if err := report.Render(c.stdout, tableFormat(), rep, c.reportOptions(t)); err != nil {
			return fmt.Errorf("writing results: %w", err)
		}
	}
	return nil
}

// tableFormat is the table, which --quiet prints whatever the outputs.
func tableFormat() report.Format {
	f, _ := report.Lookup("table")
	return f
}

// reportOptions are the formats' options: the table's as given, and the
// machine an HTML report says the run went from.
func (c *scanCmd) reportOptions(table report.TableOptions) report.Options {
	machine, _ := os.Hostname()
	return report.Options{Table: table, HTML: report.HTMLOptions{Machine: machine}}
}

// color reports whether tables on standard output are in colour.
func (c *scanCmd) color() bool {
	return isTerminal(c.stdout) && !c.noColor && os.Getenv("NO_COLOR") == ""
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
