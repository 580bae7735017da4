package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/postgres"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

func TestTranslate(t *testing.T) {
	t.Parallel()
	pg := func(code string) error {
		return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, Message: "whatever"})
	}
	for _, tc := range []struct {
		err  error
		want error // nil: passed through unchanged
	}{
		{pgx.ErrNoRows, event.ErrNotFound},
		{pg("23505"), event.ErrConflict},
		{pg("23503"), event.ErrNotFound},
		{pg("P0001"), event.ErrForbidden},
		{pg("22021"), event.ErrInvalid},
		{pg("22P05"), event.ErrInvalid},
		{pg("08006"), event.ErrUnavailable},
		{pg("53100"), event.ErrUnavailable},
		{pg("53300"), event.ErrUnavailable},
		{pg("57P01"), event.ErrUnavailable},
		{pg("40P01"), event.ErrUnavailable},
		{&pgconn.ConnectError{}, event.ErrUnavailable},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), event.ErrUnavailable},
		{pg("22P02"), nil},
		{pg("42601"), nil},
		{context.Canceled, nil},
	} {
		got := postgres.Translate(tc.err)
		if tc.want == nil {
			if got != tc.err {
				t.Errorf("translate(%v) = %v, want it unchanged", tc.err, got)
			}
			continue
		}
		if !errors.Is(got, tc.want) {
			t.Errorf("translate(%v) = %v, want %v", tc.err, got, tc.want)
		}
		// The driver error stays reachable for logs.
		if !errors.Is(got, tc.err) {
			t.Errorf("translate(%v) lost the driver error", tc.err)
		}
		// A 4xx's text may reach a client: it holds none of the driver's.
		if !errors.Is(got, event.ErrUnavailable) && strings.Contains(got.Error(), "whatever") {
			t.Errorf("translate(%v).Error() = %q repeats the driver's text", tc.err, got)
		}
	}
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens, the connection is refused.
	_, err := postgres.Open(ctx, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5", postgres.Options{})
	if !errors.Is(err, event.ErrUnavailable) {
		t.Errorf("open on a closed port: err = %v, want ErrUnavailable", err)
	}
}

// The log is append-only: the guard trigger refuses an update and the
// store reports it as ErrForbidden. (The derived tables are rebuildable
// and unguarded; reads take event contents from the log.)
func TestEventsAreAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Open(t)
	tn := storetest.NewTenant(t, st, "guard", uuid.Nil)
	res, err := st.Append(ctx, []store.AppendRequest{{Events: []event.Event{storetest.FullEvent(t, tn.ID, 1)}}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	for _, q := range []string{
		`UPDATE event_log SET summary = 'edited'`,
		`DELETE FROM event_log`,
		`TRUNCATE event_log`,
	} {
		_, err := st.Pool().Exec(ctx, q)
		if err := postgres.Translate(err); !errors.Is(err, event.ErrForbidden) {
			t.Errorf("%s: err = %v, want ErrForbidden", q, err)
		}
	}
}
