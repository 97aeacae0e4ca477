package policy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/portreach/portreach/report"
	"github.com/portreach/portreach/results"
)

// readResults reads a remote source's JSON Lines (an exporter's JSON answer,
// or "portreach scan -f jsonl" over ssh) and hands each result to take, as
// a hostile peer's: a line longer than maxLine or an answer longer than
// maxAnswer ends the reading, and so does a line that is not a portreach
// result (report.ReadJSONLine, the schema of -f jsonl) or that take refuses
// (a result for a destination the source was not asked about). Blank lines
// are skipped. The error says what was wrong, at which line; io.EOF is not an
// error, a read error is returned as it is (the caller knows the deadline).
func readResults(r io.Reader, take func(results.Result) error) error {
	br := bufio.NewReaderSize(io.LimitReader(r, int64(maxAnswer)+1), 64<<10)
	var line []byte
	total := 0
	for n := 1; ; n++ {
		line = line[:0]
		for {
			chunk, err := br.ReadSlice('\n')
			line = append(line, chunk...)
			total += len(chunk)
			if len(line) > maxLine {
				return fail(results.ReasonSourceError, fmt.Sprintf("line %d is longer than %d bytes", n, maxLine))
			}
			if total > maxAnswer {
				return fail(results.ReasonSourceError, fmt.Sprintf("the answer is longer than %d bytes", maxAnswer))
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					if len(bytes.TrimSpace(line)) == 0 {
						return nil
					}
					break // a last line without its newline
				}
				return err
			}
			break
		}
		text := bytes.TrimSpace(line)
		if len(text) == 0 {
			continue
		}
		res, err := report.ReadJSONLine(text)
		if err != nil {
			return fail(results.ReasonSourceError, fmt.Sprintf("line %d: %v", n, err))
		}
		if err := take(res); err != nil {
			return fail(results.ReasonSourceError, fmt.Sprintf("line %d: %v", n, err))
		}
	}
}
