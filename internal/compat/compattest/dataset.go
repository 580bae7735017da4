package compattest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/auditkeep/auditkeep/internal/apitest"
)

// NamedEvent is one event of a test's data set and the name the test
// knows it by.
type NamedEvent struct {
	Name  string
	Event map[string]any
}

// Named maps the ids of an ingested data set back to its names.
type Named map[int64]string

// IngestNamed ingests evs, in order, with key.
func IngestNamed(s *apitest.Server, key string, evs []NamedEvent) Named {
	in := make([]map[string]any, len(evs))
	for i, e := range evs {
		in[i] = e.Event
	}
	n := Named{}
	for i, e := range s.Ingest(key, in...) {
		n[e.ID] = evs[i].Name
	}
	return n
}

// Names maps ids to names: "?" for an id the data set does not hold,
// which is always a failure, and an empty list, not nil, for no ids.
func (n Named) Names(ids []int64) []string {
	out := []string{}
	for _, id := range ids {
		name, ok := n[id]
		if !ok {
			name = "?"
		}
		out = append(out, name)
	}
	return out
}

// CheckScope checks a listing against what a key may see of a data set
// stored in groups: got must hold exactly the ids of the visible groups,
// in any order, and total must count them and nothing else.
func CheckScope(t testing.TB, stored map[string][]int64, visible []string, got []int64, total int64) {
	t.Helper()
	var want []int64
	for _, g := range visible {
		want = append(want, stored[g]...)
	}
	want, got = slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(got))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("visible ids (-want +got):\n%s", d)
	}
	if total != int64(len(want)) {
		t.Errorf("total %d counts other than the visible ids; want %d", total, len(want))
	}
}
