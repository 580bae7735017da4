package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/bench"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlite"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

// BenchmarkAppend times the store's bulk path alone: groups of 500 corpus
// events, every index and the ledger on. ns/op is per event.
// groupSize is how many events one Append commits; change it to see how
// group size amortises the commit.
var groupSize = 500

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
			w0 := writtenBytes()
			b.ResetTimer()
			for i := 0; i < len(evs); i += groupSize {
				res, err := st.Append(context.Background(), []store.AppendRequest{{Events: evs[i:min(i+groupSize, len(evs))]}})
				if err != nil || res[0].Err != nil {
					b.Fatal(err, res[0].Err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if w0 >= 0 {
				b.ReportMetric(float64(writtenBytes()-w0)/float64(b.N), "disk-B/event")
			}
		})
	}
}

// writtenBytes is what this process has made the kernel write to storage
// so far (Linux's /proc/self/io), or -1 where that is not available.
func writtenBytes() int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// BenchmarkIndex times the indexer alone: b.N corpus events already in the
// log, folded into every query index in batches of indexBatch. ns/op is
// per event.
var indexBatch = 5000

func BenchmarkIndex(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	tn := storetest.NewTenant(b, st, "bench", uuid.Nil)
	evs := bench.Events(tn.ID, b.N)
	for i := 0; i < len(evs); i += groupSize {
		if _, err := st.Append(context.Background(), []store.AppendRequest{{Events: evs[i:min(i+groupSize, len(evs))]}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for {
		n, err := st.IndexBatch(context.Background(), indexBatch)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
