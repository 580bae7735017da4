package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// The writer shortens its busy timeout while it waits for readers to let
// go of the WAL; every other write must get the full timeout back.
func TestRestartKeepsBusyTimeout(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "r.db"), Options{WALLimit: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tn := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "r", Kind: "tenant"}
	if err := s.CreateTenant(ctx, &tn); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		evs := make([]event.Event, 200)
		for j := range evs {
			evs[j] = event.Event{TenantID: tn.ID, UUID: uuid.Must(uuid.NewV7()), Action: "a"}
			if err := event.Normalize(&evs[j], time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if res, err := s.Append(ctx, []store.AppendRequest{{Events: evs}}); err != nil || res[0].Err != nil {
			t.Fatal(i, err, res[0].Err)
		}
		time.Sleep(30 * time.Millisecond) // let the checkpointer see the WAL
	}
	if s.ckpt.restarts.Load() == 0 {
		t.Fatal("the writer never had to start the WAL over: the test did not reach the RESTART path")
	}
	var ms int64
	if err := s.writer.DB.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&ms); err != nil {
		t.Fatal(err)
	}
	if ms != busyTimeout.Milliseconds() {
		t.Errorf("writer busy timeout %d ms after a RESTART, want %d", ms, busyTimeout.Milliseconds())
	}
}
