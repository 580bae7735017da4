package bench

import (
	"context"

	"github.com/auditkeep/auditkeep/internal/store"
)

// Lag is how many acknowledged events the store's query indexes do not
// hold yet.
func (s *Server) Lag(ctx context.Context) (int64, error) {
	x, ok := s.App.Store.(store.Indexer)
	if !ok {
		return 0, nil
	}
	lag, err := x.Lag(ctx)
	return lag.Events, err
}
