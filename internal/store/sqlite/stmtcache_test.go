package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestStmtCacheEviction runs more distinct queries than the cache holds
// from several goroutines at once: evictions must never close a statement
// another caller is about to run.
func TestStmtCacheEviction(t *testing.T) {
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "c.db"), "deferred", []string{"busy_timeout(5000)"}))
	if err != nil {
		t.Fatal(err)
	}
	d := newStmtDB(db)
	defer d.Close()
	d.SetMaxOpenConns(4)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 12 * maxCachedStmts {
				// Half the texts are shared by every goroutine, half are
				// its own, so lookups race with evictions.
				q := fmt.Sprintf("SELECT ? + %d", i)
				if i%2 == 1 {
					q = fmt.Sprintf("%s -- %d", q, g)
				}
				var n int
				if err := d.QueryRowContext(ctx, q, 1).Scan(&n); err != nil {
					errs <- fmt.Errorf("%s: %w", q, err)
					return
				}
				if n != i+1 {
					errs <- fmt.Errorf("%s: %d, want %d", q, n, i+1)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.stmts) > maxCachedStmts {
		t.Errorf("cache holds %d statements, more than %d", len(d.stmts), maxCachedStmts)
	}
}
