package notary_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// corpusEvent is the i-th test event of a tenant, with every hashed field
// set, so that every column can be tampered with and each event's content
// is unique.
func corpusEvent(tenant uuid.UUID, i int) map[string]any {
	return map[string]any{
		"tenant":          tenant.String(),
		"idempotency_key": fmt.Sprintf("idem-%d", i),
		"occurred_at":     fmt.Sprintf("2025-03-10T09:%02d:%02d.123456Z", i/60%60, i%60),
		"category":        "Kyc",
		"action":          fmt.Sprintf("act-%d", i),
		"action_type":     []string{"active", "passive"}[i%2],
		"status":          []string{"success", "failure", "info"}[i%3],
		"level":           1 + i%3,
		"summary":         fmt.Sprintf("event %d", i),
		"details":         "details",
		"actor":           map[string]any{"type": "user", "id": fmt.Sprintf("u-%d", i%7), "name": "Åse", "email": "ase@example.com"},
		"targets":         []any{map[string]any{"type": "kyc_case", "id": fmt.Sprintf("case-%d", i%11)}},
		"subject":         map[string]any{"type": "person", "id": fmt.Sprintf("p-%d", i%5)},
		"external_ref":    "ref",
		"context":         "ctx",
		"request_id":      fmt.Sprintf("req-%d", i),
		"session_id":      "sess",
		"channel":         "API",
		"source":          "portal",
		"changes":         []any{map[string]any{"field": "status", "old": "open", "new": "closed"}},
		"reason":          "because",
		"labels":          map[string]any{"risk_level": "high"},
		"metadata":        map[string]any{"note": fmt.Sprintf("value-%d", i), "n": i},
		"payload":         map[string]any{"cpr": fmt.Sprintf("0101%06d", i)},
	}
}

// fill ingests n events into each tenant through POST /v1/events, in
// batches, then signs a checkpoint covering each tenant's whole log. It
// returns each tenant's events in seq order.
func fill(t *testing.T, s *apitest.Server, tenants []store.Tenant, n int) map[uuid.UUID][]event.JSON {
	t.Helper()
	out := map[uuid.UUID][]event.JSON{}
	const batch = 50
	for i := 0; i < n; i += batch {
		for _, tn := range tenants {
			var evs []map[string]any
			for j := i; j < min(n, i+batch); j++ {
				evs = append(evs, corpusEvent(tn.ID, j))
			}
			out[tn.ID] = append(out[tn.ID], s.Ingest(s.AdminKey, evs...)...)
		}
	}
	for _, tn := range tenants {
		if _, err := s.App.Notary.SignLatest(context.Background(), tn.ID); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
