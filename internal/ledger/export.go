package ledger

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/auditkeep/auditkeep/internal/event"
)

// MaxExportLine is the longest export line VerifyExport reads. An event is
// far smaller (see the limits in package event); this only bounds memory.
const MaxExportLine = 16 << 20

// VerifyExport checks an NDJSON export offline, as an auditor would: the
// checkpoint's signature against vkeys (note verifier keys), then every line
// as an exported event (event.DecodeExportBytes, event.FromExport), then the
// recomputed log against the checkpoint as VerifyLog does. The export must
// start at seq 0 and be of the checkpoint's tenant; it may go past the
// checkpoint, and those events are reported as unverified.
//
// A checkpoint that does not verify is an error wrapping ErrCheckpoint; a
// problem in the export is a Report.Failure naming its line; other errors
// are failures to read.
func VerifyExport(ndjson io.Reader, checkpoint []byte, vkeys []string) (Report, error) {
	verifiers, err := Verifiers(vkeys...)
	if err != nil {
		return Report{}, err
	}
	cp, err := Open(checkpoint, verifiers)
	if err != nil {
		return Report{}, err
	}
	if _, err := OriginTenant(cp.Origin); err != nil {
		return Report{}, err
	}
	v, err := newVerifier([]Checkpoint{cp})
	if err != nil {
		return Report{}, err
	}
	p := startPipeline(func(j *leafJob) bool {
		if j.err != nil {
			v.fail(&Failure{Kind: KindMalformed, Seq: -1, Line: j.line, Detail: j.err.Error()})
			return false
		}
		return v.add(j.ev, j.leaf, nil, j.line)
	})
	br := bufio.NewReaderSize(ndjson, 64<<10)
	var readErr error
	for n := int64(1); ; n++ {
		line, err := readLine(br)
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, errLineTooLong) {
			// A line cut short by a read error is not evidence of
			// anything: stop before it.
			readErr = err
			break
		}
		if len(line) == 0 && err == nil {
			continue // blank lines mean nothing
		}
		if !p.push(leafJob{line: n, raw: line, err: err}) || err != nil {
			break
		}
	}
	p.close()
	if readErr != nil {
		return v.rep, fmt.Errorf("ledger: verify export: %w", readErr)
	}
	return v.finish(), nil
}

// decodeExportLine reads one line back into the event that was exported.
func decodeExportLine(raw []byte) (event.Event, error) {
	var j event.JSON
	if err := event.DecodeExportBytes(raw, &j); err != nil {
		return event.Event{}, err
	}
	if j.Payload != nil {
		// Exports never carry the payload (only its digest); a line that
		// does was not written by auditkeep.
		return event.Event{}, event.Invalid("payload", "must not appear in an export")
	}
	return event.FromExport(&j)
}

var errLineTooLong = fmt.Errorf("line longer than %d bytes", MaxExportLine)

// readLine returns the next line without its "\n" or "\r\n", in a new
// slice. The last line may lack the newline; io.EOF means no more lines.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) > MaxExportLine+2 {
			return nil, errLineTooLong
		}
		line = append(line, frag...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(line) > 0:
			return bytes.TrimSuffix(line, []byte("\r")), nil
		case err != nil:
			return nil, err
		}
		return bytes.TrimSuffix(line[:len(line)-1], []byte("\r")), nil
	}
}
