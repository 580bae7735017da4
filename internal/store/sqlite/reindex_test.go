package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/auditkeep/auditkeep/internal/store/sqlite"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

func TestReindexRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rows.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	idx, err := sql.Open("sqlite", "file:"+st.IndexPath()+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	storetest.CheckReindexRows(t, st, func() []string {
		var out []string
		for _, q := range []string{
			`SELECT 'events', * FROM events ORDER BY id`,
			`SELECT 'targets', * FROM event_targets ORDER BY 2, 3, 4, 5, 6`,
			`SELECT 'labels', * FROM event_labels ORDER BY 2, 3, 4, 5, 6`,
			`SELECT 'types', * FROM tenant_target_types ORDER BY 2, 3`,
			`SELECT 'marks', * FROM index_marks ORDER BY 2`,
		} {
			out = append(out, dumpRows(t, idx, q)...)
		}
		return out
	})
}

func dumpRows(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%v", vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
