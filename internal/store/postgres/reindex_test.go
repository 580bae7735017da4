package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

func TestReindexRows(t *testing.T) {
	t.Parallel()
	st := pgtest.Open(t)
	storetest.CheckReindexRows(t, st, func() []string {
		var out []string
		for _, q := range []string{
			`SELECT 'events', e.* FROM events e ORDER BY id`,
			`SELECT 'targets', x.* FROM event_targets x ORDER BY 2, 3, 4, 5, 6`,
			`SELECT 'labels', x.* FROM event_labels x ORDER BY 2, 3, 4, 5, 6`,
			`SELECT 'types', x.* FROM tenant_target_types x ORDER BY 2, 3`,
			`SELECT 'marks', x.* FROM index_marks x ORDER BY 2`,
		} {
			rows, err := st.Pool().Query(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprintf("%v", vals))
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
		}
		return out
	})
}
