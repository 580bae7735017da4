package compattest

import (
	"cmp"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/event"
)

// batchSize is how many events IngestN posts at a time, well inside the
// service's limits on a batch and a body.
const batchSize = 500

// IngestN ingests n events, the i-th made by ev(i), with key, and returns
// them as stored, in order.
func IngestN(s *apitest.Server, key string, n int, ev func(i int) map[string]any) []event.JSON {
	var stored []event.JSON
	for start := 0; start < n; start += batchSize {
		evs := make([]map[string]any, min(batchSize, n-start))
		for j := range evs {
			evs[j] = ev(start + j)
		}
		stored = append(stored, s.Ingest(key, evs...)...)
	}
	return stored
}

// Sort sorts evs as a listing orders them: by key, ties broken by id,
// descending with desc.
func Sort(evs []event.JSON, key func(e event.JSON) string, desc bool) {
	slices.SortFunc(evs, func(a, b event.JSON) int {
		c := cmp.Compare(key(a), key(b))
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if desc {
			c = -c
		}
		return c
	})
}

// OccurredAt is the sort key of time order. The native form writes times
// in UTC with a fixed width, so text order is time order.
func OccurredAt(e event.JSON) string { return e.OccurredAt }

// IDs lists the ids of evs.
func IDs(evs []event.JSON) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// UUIDs lists the uuids of evs.
func UUIDs(evs []event.JSON) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.UUID
	}
	return out
}

// Walk pages through a listing that should hold want, size items a page.
// It calls page for every page from 1 to the first one past the end, with
// how many items that page should hold; page fetches it, checks its
// envelope, and returns its items' ids. Walk fails the test unless every
// page holds as many as it should and the pages together hold want, in
// order, each exactly once.
func Walk[ID comparable](t testing.TB, want []ID, size int, page func(pg, wantLen int) []ID) {
	t.Helper()
	var got []ID
	last := (len(want) + size - 1) / size
	for pg := 1; pg <= last+1; pg++ {
		wantLen := min(size, max(0, len(want)-(pg-1)*size))
		ids := page(pg, wantLen)
		if len(ids) != wantLen {
			t.Fatalf("page %d: %d items, want %d", pg, len(ids), wantLen)
		}
		got = append(got, ids...)
	}
	if d := gocmp.Diff(want, got); d != "" {
		t.Errorf("items over all pages, in order (-want +got):\n%s", d)
	}
}
