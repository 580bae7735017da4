package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// The writer does not checkpoint on commit (wal_autocheckpoint is off):
// copying WAL pages back into the database file inside the commit path
// made every group wait for it, and checkpointing after each group writes
// a page that the next group dirties again once per group instead of once
// per checkpoint. A background checkpointer copies the WAL on its own
// connection instead, while the writer goes on appending.
const (
	// checkpointEvery is how often the checkpointer looks at the WAL.
	checkpointEvery = 500 * time.Millisecond
	// walRestartFrames is the WAL length (in pages) past which the
	// checkpointer waits for readers to let go, so that the WAL restarts
	// from its beginning instead of growing without bound while
	// overlapping reads keep a passive checkpoint from finishing.
	walRestartFrames = 1 << 16 // 256 MiB of 4 KiB pages
)

// checkpointer runs passive checkpoints until ctx ends.
type checkpointer struct {
	db     *sql.DB
	cancel context.CancelFunc
	done   chan struct{}
}

func startCheckpointer(path string, pragmas []string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn(path, "deferred", pragmas))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, cancel: cancel, done: make(chan struct{})}
	go c.run(ctx)
	return c, nil
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A checkpoint with nothing to copy only reads the WAL index.
		var busy, frames, copied int64
		if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
			if ctx.Err() == nil {
				slog.Warn("sqlite checkpoint", "mode", "PASSIVE", "err", err)
			}
			continue
		}
		if copied < frames && frames >= walRestartFrames {
			if _, err := c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(RESTART)"); err != nil && ctx.Err() == nil {
				slog.Warn("sqlite checkpoint", "mode", "RESTART", "frames", frames, "err", err)
			}
		}
	}
}

// stop ends the loop and closes the connection.
func (c *checkpointer) stop() error {
	c.cancel()
	<-c.done
	return c.db.Close()
}
