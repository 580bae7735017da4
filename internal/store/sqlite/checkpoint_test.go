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
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := Open(ctx, path, Options{WALLimit: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tn := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "r", Kind: "tenant"}
	if err := s.CreateTenant(ctx, &tn); err != nil {
		t.Fatal(err)
	}
	// A reader holding a snapshot keeps SQLite from starting the WAL over
	// by itself, so the WAL outgrows four times its limit and the writer
	// must RESTART, however small the groups and however fast the
	// checkpointer.
	pin, err := s.reader.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pin.Close()
	if _, err := pin.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := pin.QueryRowContext(ctx, "SELECT count(*) FROM tenants").Scan(&n); err != nil {
		t.Fatal(err)
	}
	defer pin.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	for i := 0; i < 50 && s.ckpt.restarts.Load() == 0; i++ {
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
		// The writer decides from what the checkpointer last saw of the
		// WAL: give it the chance to look (the loop ends at the RESTART).
		time.Sleep(30 * time.Millisecond)
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
