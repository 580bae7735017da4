package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckpointPagePlan: a page of checkpoints is a range of the primary
// key, read in order and cut by LIMIT, not the tenant's whole history
// sorted.
func TestCheckpointPagePlan(t *testing.T) {
	t.Parallel()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.reader.Query("EXPLAIN QUERY PLAN "+checkpointPageSQL, 1, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := strings.Join(plan, "; ")
	if !strings.Contains(got, "SEARCH ledger_checkpoints USING PRIMARY KEY (tenant_pk=? AND size>?)") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("plan %q: want a range of the primary key, in order", got)
	}
}
