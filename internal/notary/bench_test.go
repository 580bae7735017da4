package notary_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/notary"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

// benchTree is a tenant of benchSize events with a checkpoint over them.
// `auditkeep bench ledger` measures the big trees of docs/BENCHMARKS.md;
// these stay small enough for `make bench`.
const benchSize = 100_000

func benchTree(b *testing.B, engine string) (store.Store, *notary.Notary, uuid.UUID) {
	ctx := context.Background()
	st, err := app.OpenStore(ctx, apitest.DB(b, engine), app.StoreOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	n, err := notary.Open(ctx, st, notary.Config{MasterKey: make([]byte, 32)})
	if err != nil {
		b.Fatal(err)
	}
	tn := storetest.NewTenant(b, st, "bench", uuid.Nil)
	for i := 0; i < benchSize; i += 5000 {
		evs := make([]event.Event, 5000)
		for j := range evs {
			evs[j] = storetest.NewEvent(b, tn.ID, fmt.Sprintf("act-%d", i+j))
		}
		if res, err := st.Append(ctx, []store.AppendRequest{{Events: evs}}); err != nil || res[0].Err != nil {
			b.Fatalf("append: %v %v", err, res)
		}
	}
	if _, err := n.SignLatest(ctx, tn.ID); err != nil {
		b.Fatal(err)
	}
	return st, n, tn.ID
}

func BenchmarkProveInclusion(b *testing.B) {
	for _, engine := range apitest.Engines {
		b.Run(engine, func(b *testing.B) {
			_, n, tenant := benchTree(b, engine)
			rnd := rand.New(rand.NewPCG(1, 2))
			ctx := context.Background()
			for b.Loop() {
				if _, err := n.ProveInclusion(ctx, tenant, rnd.Int64N(benchSize), 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyTenant(b *testing.B) {
	for _, engine := range apitest.Engines {
		b.Run(engine, func(b *testing.B) {
			st, _, tenant := benchTree(b, engine)
			ctx := context.Background()
			v, _, err := notary.StoreVerifiers(ctx, st)
			if err != nil {
				b.Fatal(err)
			}
			runs := 0
			for b.Loop() {
				if rep, err := notary.VerifyTenant(ctx, st, tenant, v); err != nil || !rep.OK() {
					b.Fatalf("verify: %v %s", err, rep)
				}
				runs++
			}
			b.ReportMetric(float64(benchSize)*float64(runs)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
