package main

import (
	"fmt"
	"time"

	"github.com/auditkeep/auditkeep/internal/app"
)

// ReindexCmd rebuilds every derived query index from the log.
type ReindexCmd struct {
	DBFlag
	Batch int `default:"20000" help:"Events folded per transaction."`
}

// Run implements the command. The service may keep running: reads stay
// exact while the indexes are empty (they read the log's tail), only
// slower, and a running indexer simply shares the work.
func (c *ReindexCmd) Run(env *Env) error {
	if c.Batch <= 0 {
		return fmt.Errorf("--batch must be positive")
	}
	st, err := app.OpenStore(env.Ctx, c.DB, app.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	if err := st.ClearIndex(env.Ctx); err != nil {
		return err
	}
	lag, err := st.Lag(env.Ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "cleared the query indexes; %d events to fold\n", lag.Events)
	var total int64
	for {
		n, err := st.IndexBatch(env.Ctx, c.Batch)
		if err != nil {
			return fmt.Errorf("after %d events: %w", total, err)
		}
		if n == 0 {
			// Nothing folded: done, or a running service's indexer holds
			// the batch (PostgreSQL lets one fold at a time) and shares the
			// work.
			left, err := st.Lag(env.Ctx)
			if err != nil {
				return err
			}
			if left.Events == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		total += int64(n)
		fmt.Fprintf(env.Stdout, "indexed %d of %d\n", total, lag.Events)
	}
	fmt.Fprintf(env.Stdout, "reindexed %d events in %s (%d of them by this command)\n", lag.Events, time.Since(start).Round(time.Millisecond), total)
	return nil
}
