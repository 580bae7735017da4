package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/bench"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlite"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

// BenchmarkAppend times the store's bulk path alone: groups of 500 corpus
// events, every index and the ledger on. ns/op is per event.
func BenchmarkAppend(b *testing.B) {
	for _, noLedger := range []bool{false, true} {
		name := "ledger"
		if noLedger {
			name = "no-ledger"
		}
		b.Run(name, func(b *testing.B) {
			st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), sqlite.Options{NoLedger: noLedger})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			tn := storetest.NewTenant(b, st, "bench", uuid.Nil)
			evs := bench.Events(tn.ID, b.N)
			b.ResetTimer()
			for i := 0; i < len(evs); i += 500 {
				res, err := st.Append(context.Background(), []store.AppendRequest{{Events: evs[i:min(i+500, len(evs))]}})
				if err != nil || res[0].Err != nil {
					b.Fatal(err, res[0].Err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
