package compattest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/auditkeep/auditkeep/internal/event"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current answers")

// Golden compares got with testdata/golden/name.json. Run the tests with
// -update to rewrite the file after a deliberate change: the SQLite run
// writes it, so the PostgreSQL run must agree with what SQLite wrote.
func Golden(t *testing.T, engine, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name+".json")
	if *update && engine == "sqlite" {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("answer differs from %s (-want +got):\n%s", file, d)
	}
}

// Positions numbers a data set as it was stored: each event's id, in
// decimal, maps to its position in stored, counted from 1.
func Positions(stored []event.JSON) map[string]string {
	pos := make(map[string]string, len(stored))
	for i, e := range stored {
		pos[strconv.FormatInt(e.ID, 10)] = strconv.Itoa(i + 1)
	}
	return pos
}

var idRE = regexp.MustCompile(`"id":(\d+)`)

// RenumberIDs replaces the value of every numeric "id" member of body by
// the position pos gives it, so that answers compare across engines and
// runs, which assign other ids. An id pos does not hold fails the test.
func RenumberIDs(t testing.TB, body []byte, pos map[string]string) []byte {
	t.Helper()
	return idRE.ReplaceAllFunc(body, func(m []byte) []byte {
		id := string(idRE.FindSubmatch(m)[1])
		p, ok := pos[id]
		if !ok {
			t.Errorf("id %s is not one of the data set's", id)
		}
		return []byte(`"id":` + p)
	})
}

// Indent indents a JSON document without reordering anything, so that a
// golden file shows the field order of the answer.
func Indent(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("indent %s: %v", b, err)
	}
	return out.Bytes()
}
