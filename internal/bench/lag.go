package bench

import "context"

// Lag is how many acknowledged events the store's query indexes do not
// hold yet. A store that indexes in the acknowledging transaction never
// lags.
func (s *Server) Lag(ctx context.Context) (int64, error) {
	return 0, nil
}
