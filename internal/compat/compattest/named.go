package compattest

import "github.com/auditkeep/auditkeep/internal/apitest"

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
