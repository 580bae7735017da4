package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Refs are unique and found without regard to ASCII case, and only ASCII:
// both engines must take the same refs for the same. Text no ref can be is
// not found, rather than handed to the database.
func TestTenantRefFold(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	mk := func(ref string) error {
		tn := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: ref, Ref: ref, CreatedAt: time.Now()}
		return st.CreateTenant(ctx, &tn)
	}
	if err := mk("Acq-Ü"); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"acq-Ü", "ACQ-Ü"} {
		if err := mk(ref); !errors.Is(err, event.ErrConflict) {
			t.Errorf("creating %q beside Acq-Ü: %v, want ErrConflict", ref, err)
		}
		if tn, err := st.Tenant(ctx, ref); err != nil || tn.Ref != "Acq-Ü" {
			t.Errorf("Tenant(%q) = %+v, %v; want Acq-Ü", ref, tn, err)
		}
	}
	// Outside ASCII, case is part of the ref.
	if _, err := st.Tenant(ctx, "acq-ü"); !errors.Is(err, event.ErrNotFound) {
		t.Errorf("Tenant(acq-ü) = %v, want ErrNotFound", err)
	}
	if err := mk("Acq-ü"); err != nil {
		t.Errorf("creating Acq-ü beside Acq-Ü: %v", err)
	}
	for _, bad := range []string{"\xff", "acq\x00", "\xc3"} {
		if _, err := st.Tenant(ctx, bad); !errors.Is(err, event.ErrNotFound) {
			t.Errorf("Tenant(%q) = %v, want ErrNotFound", bad, err)
		}
	}
}
