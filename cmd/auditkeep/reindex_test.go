package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

// TestReindex: auditkeep reindex clears the derived indexes and folds the
// whole log again; afterwards nothing lags and an indexed filter finds
// every event.
func TestReindex(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "re.db")
	st, err := app.OpenStore(ctx, db, app.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tn := storetest.NewTenant(t, st, "re", uuid.Nil)
	var evs []event.Event
	for i := 0; i < 250; i++ {
		e := storetest.NewEvent(t, tn.ID, "reindexed")
		e.ExternalRef = "ref"
		evs = append(evs, e)
	}
	if _, err := st.Append(ctx, []store.AppendRequest{{Events: evs}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.IndexBatch(ctx, 100); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var out, errb bytes.Buffer
	if err := run(ctx, []string{"reindex", "--db", db, "--batch", "60"}, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("reindex: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "250 events to fold") || !strings.Contains(out.String(), "reindexed 250 events") {
		t.Errorf("output:\n%s", out.String())
	}
	st, err = app.OpenStore(ctx, db, app.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if lag, err := st.Lag(ctx); err != nil || lag.Events != 0 {
		t.Errorf("lag after reindex = %+v, %v", lag, err)
	}
	n, err := st.Count(ctx, &store.Query{Tenants: []uuid.UUID{tn.ID}, Filter: store.Filter{ExternalRefs: []string{"ref"}}})
	if err != nil || n != 250 {
		t.Errorf("count by external ref = %d, %v; want 250", n, err)
	}
}
