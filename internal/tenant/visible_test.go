package tenant_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/compat/compattest"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// TestVisible: the one visibility rule. A tenant outside the reach and
// one that does not exist are the same ErrNotFound, by id or by ref; text
// no tenant can hold is not asked of the store; a failing store is its
// own error, never "not found".
func TestVisible(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := app.OpenStore(ctx, filepath.Join(t.TempDir(), "t.db"), app.StoreOptions{NoLedger: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := &tenant.Service{Store: st}
	mk := func(name, parent string) tenant.Tenant {
		tn, err := svc.Create(ctx, tenant.NewTenant{Name: name, Ref: name, Parent: parent})
		if err != nil {
			t.Fatal(err)
		}
		return tn
	}
	a := mk("a", "")
	a1 := mk("a1", "a")
	b := mk("b", "")
	reach, err := st.Subtree(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{"a", a.ID.String(), "a1", a1.ID.String()} {
		if _, err := svc.Visible(ctx, reach, name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var answers []string
	for _, name := range []string{"b", b.ID.String(), "nowhere", uuid.NewString(), "", "a\x00", "\xff"} {
		_, err := svc.Visible(ctx, reach, name)
		if !errors.Is(err, event.ErrNotFound) {
			t.Errorf("%q: %v, want ErrNotFound", name, err)
		}
		answers = append(answers, fmt.Sprint(err))
	}
	if len(slices.Compact(slices.Clone(answers))) != 1 {
		t.Errorf("the answers differ: %q", answers)
	}
	if sub, err := svc.VisibleSubtree(ctx, reach, "a"); err != nil || len(sub) != 2 {
		t.Errorf("subtree of a: %v %v", sub, err)
	}
	if _, err := svc.VisibleSubtree(ctx, reach, "b"); !errors.Is(err, event.ErrNotFound) {
		t.Errorf("subtree of b: %v", err)
	}
	if ts, err := svc.List(ctx, reach); err != nil || len(ts) != 2 {
		t.Errorf("list: %v %v", ts, err)
	}

	down := fmt.Errorf("%w: connection refused", event.ErrUnavailable)
	broken := &tenant.Service{Store: &compattest.BrokenStore{Store: st, Err: down, Fail: []string{"Tenant", "Tenants"}}}
	for _, name := range []string{"a", "b", "nowhere"} {
		if _, err := broken.Visible(ctx, reach, name); !errors.Is(err, event.ErrUnavailable) || errors.Is(err, event.ErrNotFound) {
			t.Errorf("broken store, %s: %v, want ErrUnavailable", name, err)
		}
	}
	if _, err := broken.List(ctx, reach); !errors.Is(err, event.ErrUnavailable) {
		t.Errorf("broken store, list: %v", err)
	}
}
