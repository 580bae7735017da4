package postgres

import (
	"context"

	"github.com/auditkeep/auditkeep/internal/store"
)

func (s *Store) IndexBatch(ctx context.Context, max int) (int, error) { return 0, nil }
func (s *Store) Lag(ctx context.Context) (store.Lag, error)           { return store.Lag{}, nil }
func (s *Store) ClearIndex(ctx context.Context) error                 { return nil }
