package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ingest"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Through the sequencer, as the HTTP API uses it: 50 writers × 200 single
// events give seqs 0..9,999 once each, and retries of one idempotency key
// under concurrency store one event.
func TestSequencerConcurrentWriters(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		s := apitest.New(t, engine)
		const writers, each = 50, 200
		w := ingest.Writer{Tenant: s.Root.ID, Tenants: []uuid.UUID{s.Root.ID}}
		var wg sync.WaitGroup
		errs := make(chan error, writers*2)
		for i := 0; i < writers; i++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				for j := 0; j < each; j++ {
					in := []ingest.Input{{Event: event.Event{Action: fmt.Sprintf("w%d-%d", i, j)}}}
					if _, err := s.App.Ingest.Ingest(context.Background(), w, in, false); err != nil {
						errs <- err
						return
					}
				}
			}()
			go func() {
				defer wg.Done()
				in := []ingest.Input{{Event: event.Event{Action: "retry", IdempotencyKey: "the-one"}}}
				if _, err := s.App.Ingest.Ingest(context.Background(), w, in, false); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		evs, err := s.App.Store.Find(context.Background(), &store.Query{Tenants: []uuid.UUID{s.Root.ID}, Limit: writers*each + 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != writers*each+1 {
			t.Fatalf("stored %d events, want %d", len(evs), writers*each+1)
		}
		seen := make([]bool, len(evs))
		retries := 0
		for _, e := range evs {
			if e.Seq < 0 || int(e.Seq) >= len(evs) || seen[e.Seq] {
				t.Fatalf("seq %d repeated or out of range", e.Seq)
			}
			seen[e.Seq] = true
			if e.Action == "retry" {
				retries++
			}
		}
		if retries != 1 {
			t.Errorf("idempotent retries stored %d events, want 1", retries)
		}
	})
}

func TestSequencerRefusesAfterClose(t *testing.T) {
	st := apitest.New(t, "sqlite").App.Store
	seq := ingest.NewSequencer(st, ingest.SequencerConfig{}, nil)
	if err := seq.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := seq.Submit(context.Background(), store.AppendRequest{})
	if !errors.Is(err, event.ErrUnavailable) {
		t.Errorf("submit after close: %v, want ErrUnavailable", err)
	}
}
