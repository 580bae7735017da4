package ingest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// Service validates writers' events and commits them through a Sequencer.
type Service struct {
	// Tenants resolves the tenants events name, by the one visibility rule.
	Tenants   *tenant.Service
	Sequencer *Sequencer
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// MaxEventBytes bounds one event's stored size (event.Event.Size);
	// event.DefaultMaxSize when 0.
	MaxEventBytes int
}

// Writer is the key that writes: its own tenant (the default for events
// that name none) and every tenant it may write for.
type Writer struct {
	Tenant  uuid.UUID
	Tenants []uuid.UUID
}

// Input is one event as a writer sent it, with the tenant it named, if any.
type Input struct {
	Event  event.Event
	Tenant string
}

// Result is what Ingest answers: the committed events in the order sent,
// and which of them were idempotent replays of earlier ones.
type Result struct {
	Events   []event.Event
	Replayed []bool
}

// Ingest validates every input, and commits all of them or none. batch says
// whether they came as a batch, so errors name "events[i].field".
func (s *Service) Ingest(ctx context.Context, w Writer, in []Input, batch bool) (Result, error) {
	if len(in) == 0 {
		return Result{}, event.Invalid("events", "must hold at least one event")
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	resolved := map[string]uuid.UUID{}
	evs := make([]event.Event, len(in))
	for i := range in {
		e := in[i].Event
		err := s.prepare(ctx, w, &e, in[i].Tenant, now, resolved)
		if err != nil {
			if batch {
				err = event.PrefixField("events["+strconv.Itoa(i)+"]", err)
			}
			return Result{}, err
		}
		evs[i] = e
	}
	res, err := s.Sequencer.Submit(ctx, store.AppendRequest{Events: evs})
	if err != nil {
		return Result{}, err
	}
	if res.Err != nil {
		if errors.Is(res.Err, event.ErrConflict) {
			return Result{}, &event.FieldError{Field: "uuid", Message: "an event with this uuid is already stored", Kind: event.ErrConflict}
		}
		return Result{}, res.Err
	}
	return Result{Events: res.Events, Replayed: res.Replayed}, nil
}

func (s *Service) prepare(ctx context.Context, w Writer, e *event.Event, tenantRef string, now time.Time, resolved map[string]uuid.UUID) error {
	if err := event.Normalize(e, now); err != nil {
		return err
	}
	limit := s.MaxEventBytes
	if limit <= 0 {
		limit = event.DefaultMaxSize
	}
	if n := e.Size(); n > limit {
		return &event.FieldError{Message: fmt.Sprintf("the event is %d bytes stored, over the limit of %d (all fields together)", n, limit), Kind: event.ErrTooLarge}
	}
	e.TenantID = w.Tenant
	if tenantRef != "" {
		t, ok := resolved[tenantRef]
		if !ok {
			tn, err := s.Tenants.Visible(ctx, w.Tenants, tenantRef)
			switch {
			case errors.Is(err, event.ErrNotFound):
				t = uuid.Nil
			case err != nil:
				return err
			default:
				t = tn.ID
			}
			resolved[tenantRef] = t
		}
		// An unknown tenant and another's tenant get the same answer.
		if t == uuid.Nil {
			return &event.FieldError{Field: "tenant", Message: fmt.Sprintf("%q is not a tenant this key may write", tenantRef), Kind: event.ErrForbidden}
		}
		e.TenantID = t
	}
	if e.UUID == uuid.Nil {
		u, err := uuid.NewV7()
		if err != nil {
			return err
		}
		e.UUID = u
	}
	return e.CommitPayload(rand.Reader)
}
