package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// The writer does not checkpoint on commit (wal_autocheckpoint is off):
// copying WAL pages back into the database file inside the commit path
// made every group wait for it, and checkpointing after each group writes
// a page that the next group dirties again once per group instead of once
// per checkpoint. A background checkpointer copies the WAL on its own
// connection instead, while the writer goes on appending.
//
// Copying is not enough to keep the WAL short: SQLite starts it over only
// when a write transaction begins on a WAL that is fully copied, and a
// writer that begins its next group right after each commit always finds
// the frames of the last one still uncopied. So once the WAL passes its
// limit, the writer itself checkpoints between two groups (see
// Store.afterCommit): the next group then starts the WAL from the top,
// and journal_size_limit cuts the file back.
const (
	// checkpointEvery is how often the checkpointer looks at the WAL.
	checkpointEvery = 500 * time.Millisecond
	// restartWait is how long the writer waits for readers to let go of
	// the WAL when it must start it over.
	restartWait = 250 * time.Millisecond
	// checkpointBusy is how often it looks while the WAL is growing.
	checkpointBusy = 20 * time.Millisecond
	// defaultWALLimit is the WAL length (in pages) past which the writer
	// checkpoints between groups.
	defaultWALLimit = 1 << 14 // 64 MiB of 4 KiB pages
)

// checkpointer runs passive checkpoints until ctx ends.
type checkpointer struct {
	// frames is the WAL's length in pages at the last checkpoint.
	frames atomic.Int64
	// restarts counts the writer's RESTART checkpoints.
	restarts atomic.Int64
	db       *sql.DB
	cancel   context.CancelFunc
	done     chan struct{}
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
	t := time.NewTimer(checkpointEvery)
	defer t.Stop()
	var last int64
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
			t.Reset(checkpointEvery)
			continue
		}
		c.frames.Store(frames)
		// While the writer is writing, look again soon: the writer's
		// decision to start the WAL over is only as fresh as frames.
		if frames != last {
			t.Reset(checkpointBusy)
		} else {
			t.Reset(checkpointEvery)
		}
		last = frames
	}
}

// stop ends the loop and closes the connection.
func (c *checkpointer) stop() error {
	c.cancel()
	<-c.done
	return c.db.Close()
}

// afterCommit runs on the writer between two groups: once the WAL has
// outgrown its limit it checkpoints there, with no write in flight, so
// that the next group starts the WAL over. A passive checkpoint cannot
// copy frames a reader still needs, and SQLite does not start the WAL over
// while readers use it; if that keeps the WAL growing to four times its
// limit, the writer waits for the readers (RESTART, up to restartWait)
// rather than let the WAL grow on.
func (s *Store) afterCommit(ctx context.Context) {
	if s.ckpt == nil {
		return
	}
	frames, limit := s.ckpt.frames.Load(), int64(s.opts.WALLimit)
	if frames < limit {
		return
	}
	mode := "PASSIVE"
	if frames >= 4*limit {
		mode = "RESTART"
	}
	conn, err := s.writer.DB.Conn(ctx)
	if err != nil {
		slog.Warn("sqlite checkpoint", "mode", mode, "frames", frames, "err", err)
		return
	}
	defer conn.Close()
	if mode == "RESTART" {
		s.ckpt.restarts.Add(1)
		// Waiting for readers holds up every writer behind this one: wait
		// a moment, not the connection's busy timeout, and try again
		// after the next group if readers kept the WAL in use.
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", restartWait.Milliseconds())); err == nil {
			defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds()))
		}
	}
	var busy, log, copied int64
	err = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &log, &copied)
	if err != nil {
		slog.Warn("sqlite checkpoint", "mode", mode, "frames", frames, "err", err)
		return
	}
	if busy == 0 && copied == log {
		// Fully copied: the next write starts the WAL over.
		s.ckpt.frames.Store(0)
	}
}
