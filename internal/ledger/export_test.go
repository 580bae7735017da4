package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/google/uuid"
	"pgregory.net/rapid"
)

// exportFixture is what an auditor receives: NDJSON lines, a signed
// checkpoint and the public key.
type exportFixture struct {
	events []*event.Event
	lines  [][]byte
	cp     []byte
	vkey   string
}

func newExportFixture(t tb, n int, cpSize int64) *exportFixture {
	t.Helper()
	skey, vkey, err := GenerateKey("auditkeep.example.com")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := NewKeyring(skey)
	if err != nil {
		t.Fatal(err)
	}
	f := &exportFixture{events: testEvents(n, testTenant), vkey: vkey}
	for _, e := range f.events {
		line, err := json.Marshal(event.ToJSON(e))
		if err != nil {
			t.Fatal(err)
		}
		f.lines = append(f.lines, line)
	}
	cp := checkpointsAt(t, f.events, cpSize)[0]
	if f.cp, err = ring.Sign(cp); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *exportFixture) ndjson() []byte {
	return append(bytes.Join(f.lines, []byte("\n")), '\n')
}

func (f *exportFixture) verify(t tb) Report {
	t.Helper()
	rep, err := VerifyExport(bytes.NewReader(f.ndjson()), f.cp, []string{f.vkey})
	if err != nil {
		t.Fatalf("VerifyExport: %v", err)
	}
	return rep
}

func TestVerifyExportGood(t *testing.T) {
	t.Parallel()
	f := newExportFixture(t, 700, 600)
	rep := f.verify(t)
	if !rep.OK() {
		t.Fatalf("good export: %v", rep.Failure)
	}
	if rep.Events != 700 || rep.Verified != 600 || rep.Unverified != 100 || rep.Tenant != testTenant {
		t.Fatalf("report %+v", rep)
	}
	// Exactly as long as the checkpoint, CRLF line ends, blank lines.
	f = newExportFixture(t, 300, 300)
	crlf := bytes.ReplaceAll(f.ndjson(), []byte("\n"), []byte("\r\n\n"))
	rep, err := VerifyExport(bytes.NewReader(crlf), f.cp, []string{f.vkey})
	if err != nil || !rep.OK() || rep.Unverified != 0 || rep.Verified != 300 {
		t.Fatalf("CRLF export: %+v, %v", rep, err)
	}
	// An empty log.
	f = newExportFixture(t, 1, 0)
	rep, err = VerifyExport(strings.NewReader(""), f.cp, []string{f.vkey})
	if err != nil || !rep.OK() {
		t.Fatalf("empty export: %+v, %v", rep, err)
	}
}

// TestVerifyExportReadsWhatToJSONWrites guards the round trip the offline
// verifier rests on: an exported line reads back to the same leaf.
func TestVerifyExportReadsWhatToJSONWrites(t *testing.T) {
	t.Parallel()
	f := newExportFixture(t, 12, 12)
	for i, line := range f.lines {
		e, err := decodeExportLine(line)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if got, want := string(event.LeafData(&e)), string(event.LeafData(f.events[i])); got != want {
			t.Fatalf("line %d reads back as\n%s\nwant\n%s", i+1, got, want)
		}
	}
}

func TestVerifyExportFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		tamper func(f *exportFixture)
		kind   FailureKind
		line   int64
	}{
		{"one byte of action", func(f *exportFixture) {
			f.lines[41] = alterInValue(t, f.lines[41], "action")
		}, KindRoot, 0},
		{"payload digest", func(f *exportFixture) {
			f.lines[42] = alterInValue(t, f.lines[42], "payload_digest")
		}, KindRoot, 0},
		{"line removed", func(f *exportFixture) {
			f.lines = append(f.lines[:41], f.lines[42:]...)
		}, KindMissing, 42},
		{"lines swapped", func(f *exportFixture) {
			f.lines[41], f.lines[42] = f.lines[42], f.lines[41]
		}, KindOrder, 42},
		{"not JSON", func(f *exportFixture) {
			f.lines[7] = []byte(`{"id":`)
		}, KindMalformed, 8},
		{"unknown field", func(f *exportFixture) {
			f.lines[7] = bytes.Replace(f.lines[7], []byte(`{`), []byte(`{"extra":1,`), 1)
		}, KindMalformed, 8},
		{"payload added", func(f *exportFixture) {
			f.lines[7] = bytes.Replace(f.lines[7], []byte(`{`), []byte(`{"payload":{"cpr":"010203-1234"},`), 1)
		}, KindMalformed, 8},
		{"seq removed", func(f *exportFixture) {
			f.lines[7] = bytes.Replace(f.lines[7], []byte(`"seq":7,`), nil, 1)
		}, KindMalformed, 8},
		{"tail cut under the checkpoint", func(f *exportFixture) {
			f.lines = f.lines[:250]
		}, KindTruncated, 0},
		{"other tenant", func(f *exportFixture) {
			f.lines[0] = bytes.Replace(f.lines[0], []byte(testTenant.String()), []byte(uuid.Nil.String()), 1)
		}, KindTenant, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newExportFixture(t, 400, 300)
			tc.tamper(f)
			rep := f.verify(t)
			if rep.Failure == nil {
				t.Fatal("tampered export verifies")
			}
			if rep.Failure.Kind != tc.kind || rep.Failure.Line != tc.line {
				t.Fatalf("failure %q (kind %q, line %d); want kind %q, line %d", rep.Failure, rep.Failure.Kind, rep.Failure.Line, tc.kind, tc.line)
			}
		})
	}
}

func TestVerifyExportCheckpointErrors(t *testing.T) {
	t.Parallel()
	f := newExportFixture(t, 20, 20)
	_, otherVkey, _ := GenerateKey("auditkeep.example.com")
	data := f.ndjson()
	for name, tc := range map[string]struct {
		cp    []byte
		vkeys []string
	}{
		"wrong public key": {f.cp, []string{otherVkey}},
		"altered size":     {bytes.Replace(f.cp, []byte("\n20\n"), []byte("\n19\n"), 1), []string{f.vkey}},
		"not a note":       {[]byte("hello"), []string{f.vkey}},
	} {
		if _, err := VerifyExport(bytes.NewReader(data), tc.cp, tc.vkeys); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: err = %v, want ErrCheckpoint", name, err)
		}
	}
	if _, err := VerifyExport(bytes.NewReader(data), f.cp, nil); !errors.Is(err, ErrKey) {
		t.Errorf("no keys: err = %v, want ErrKey", err)
	}
	// With the right key among others, it verifies.
	if rep, err := VerifyExport(bytes.NewReader(data), f.cp, []string{otherVkey, f.vkey}); err != nil || !rep.OK() {
		t.Errorf("two keys: %v %v", rep.Failure, err)
	}
	// A read error is an error, not a failure of the export.
	boom := errors.New("disk on fire")
	r := io.MultiReader(bytes.NewReader(data[:100]), errReader{boom})
	if _, err := VerifyExport(r, f.cp, []string{f.vkey}); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
}

func TestVerifyExportLongLine(t *testing.T) {
	t.Parallel()
	f := newExportFixture(t, 3, 3)
	long := append([]byte(`{"action":"`), bytes.Repeat([]byte("x"), MaxExportLine)...)
	data := append(append(f.lines[0], '\n'), long...)
	rep, err := VerifyExport(bytes.NewReader(data), f.cp, []string{f.vkey})
	if err != nil || rep.Failure == nil || rep.Failure.Kind != KindMalformed || rep.Failure.Line != 2 {
		t.Fatalf("long line: %v, %v", rep.Failure, err)
	}
	// The last line may lack its newline.
	data = bytes.TrimSuffix(f.ndjson(), []byte("\n"))
	if rep, err := VerifyExport(bytes.NewReader(data), f.cp, []string{f.vkey}); err != nil || !rep.OK() {
		t.Fatalf("no final newline: %v, %v", rep.Failure, err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestVerifyExportAnyByteAltered flips one byte anywhere in an export and
// requires that the export then fails unless the line still means the same
// event (the same leaf): JSON has spellings that do not change meaning, such
// as a hex digit's case or an escape.
func TestVerifyExportAnyByteAltered(t *testing.T) {
	t.Parallel()
	f := newExportFixture(t, 40, 40)
	rapid.Check(t, func(rt *rapid.T) {
		i := rapid.IntRange(0, len(f.lines)-1).Draw(rt, "line")
		line := f.lines[i]
		pos := rapid.IntRange(0, len(line)-1).Draw(rt, "pos")
		b := rapid.Byte().Filter(func(b byte) bool { return b != line[pos] }).Draw(rt, "byte")
		altered := bytes.Clone(line)
		altered[pos] = b
		g := *f
		g.lines = append([][]byte(nil), f.lines...)
		g.lines[i] = altered
		rep, err := VerifyExport(bytes.NewReader(g.ndjson()), g.cp, []string{g.vkey})
		if err != nil {
			rt.Fatal(err)
		}
		if rep.OK() {
			e, err := decodeExportLine(altered)
			if err != nil || !bytes.Equal(event.LeafData(&e), event.LeafData(f.events[i])) {
				rt.Fatalf("line %d altered at %d to %q verifies:\n%s", i+1, pos, b, altered)
			}
		}
	})
}

// alterInValue changes one letter inside the string value of key.
func alterInValue(t *testing.T, line []byte, key string) []byte {
	t.Helper()
	at := bytes.Index(line, []byte(`"`+key+`":"`))
	if at < 0 {
		t.Fatalf("no %s in %s", key, line)
	}
	pos := at + len(key) + 5 // second character of the value
	out := bytes.Clone(line)
	switch c := out[pos]; {
	case c >= 'a' && c <= 'y', c >= '0' && c <= '8':
		out[pos]++
	default:
		out[pos] = 'a'
	}
	return out
}

func FuzzVerifyExport(f *testing.F) {
	fx := newExportFixture(f, 3, 3)
	f.Add(fx.ndjson())
	f.Add([]byte(`{"action":"x"}` + "\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := VerifyExport(bytes.NewReader(data), fx.cp, []string{fx.vkey})
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() && !bytes.Equal(data, fx.ndjson()) {
			// Only an export meaning the same three events may pass.
			var n int
			for _, line := range bytes.Split(data, []byte("\n")) {
				line = bytes.TrimSuffix(line, []byte("\r"))
				if len(line) == 0 {
					continue
				}
				e, err := decodeExportLine(line)
				if err != nil {
					t.Fatalf("passing export has a bad line: %v", err)
				}
				if n < 3 && !bytes.Equal(event.LeafData(&e), event.LeafData(fx.events[n])) {
					t.Fatalf("line %d means another event but passes", n+1)
				}
				n++
			}
		}
	})
}
