package sqlite

import (
	"context"
	"time"

	"github.com/auditkeep/auditkeep/internal/store"
)

// watchPoll is how often WatchKeys looks for changes made by another
// process on the same file (`auditkeep key revoke` beside a running
// `serve`). SQLite has no notifications; two counters on tiny tables are
// read instead, which costs microseconds.
const watchPoll = 500 * time.Millisecond

var _ store.Watcher = (*Store)(nil)

// WatchKeys implements store.Watcher: this process's changes are told at
// once by the writing methods; another process's are noticed by polling
// how many keys are revoked and the highest tenant pk, which only grow.
func (s *Store) WatchKeys(ctx context.Context, fn func(store.Change), health func(bool)) {
	remove := s.watchers.Add(fn)
	defer remove()
	last, err := s.keyCounters(ctx)
	ok := err == nil
	health(ok)
	t := time.NewTicker(watchPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c, err := s.keyCounters(ctx)
		if err != nil {
			if ok && ctx.Err() == nil {
				ok = false
				health(false)
			}
			continue
		}
		if !ok {
			ok = true
			last = c
			health(true)
			continue
		}
		if c != last {
			last = c
			fn(store.Change{All: true})
		}
	}
}

type keyCounters struct{ revoked, tenants int64 }

func (s *Store) keyCounters(ctx context.Context) (keyCounters, error) {
	var c keyCounters
	err := s.reader.QueryRowContext(ctx,
		`SELECT (SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL), (SELECT COALESCE(max(pk), 0) FROM tenants)`).Scan(&c.revoked, &c.tenants)
	return c, translate(err)
}
