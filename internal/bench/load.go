package bench

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// Corpus shape for the query benchmark. The big tenant holds BigShare of
// all events; the rest spread over the other tenants with a Zipf-like skew.
const (
	BigShare = 0.20
	// Values chosen so the count shapes match about 1k, 100k and 2M rows
	// of the big tenant at 10M events.
	refsPerBig   = 2000 // external refs in the big tenant: ~1k events each at 2M
	hotAction    = "STATUS_CHANGED"
	hotShare     = 0.05 // of the big tenant's events: ~100k at 2M
	kycCases     = 5000
	subjectsEach = 50000
)

// LoadResult says what Load made.
type LoadResult struct {
	Tenants []uuid.UUID // Tenants[0] is the big one; Tenants[1:3] are its children
	Counts  []int64
	Events  int64
	Elapsed time.Duration
}

// Load writes n events over tenants tenants through the store's bulk path
// (Append in groups of batch events), as the foundation ingests them.
func Load(ctx context.Context, st store.Store, n int64, tenants int, batch int, progress func(done int64)) (*LoadResult, error) {
	if tenants < 3 {
		tenants = 3
	}
	svc := &tenant.Service{Store: st}
	res := &LoadResult{}
	stamp := time.Now().UTC().Format("20060102T150405")
	bigT, err := svc.Create(ctx, tenant.NewTenant{Name: "big acquirer " + stamp, Kind: "acquirer", Ref: "bench-big-" + stamp})
	if err != nil {
		return nil, err
	}
	res.Tenants = append(res.Tenants, bigT.ID)
	for i := 1; i < tenants; i++ {
		parent := ""
		kind := "tenant"
		if i <= 2 {
			parent, kind = bigT.ID.String(), "merchant"
		}
		t, err := svc.Create(ctx, tenant.NewTenant{Name: fmt.Sprintf("tenant %d %s", i, stamp), Kind: kind, Parent: parent})
		if err != nil {
			return nil, err
		}
		res.Tenants = append(res.Tenants, t.ID)
	}
	// Shares: the big one BigShare, the others ∝ 1/rank.
	weights := make([]float64, tenants)
	var sum float64
	for i := 1; i < tenants; i++ {
		weights[i] = 1 / float64(i)
		sum += weights[i]
	}
	res.Counts = make([]int64, tenants)
	res.Counts[0] = int64(math.Round(float64(n) * BigShare))
	left := n - res.Counts[0]
	var given int64
	for i := 1; i < tenants; i++ {
		res.Counts[i] = int64(float64(left) * weights[i] / sum)
		given += res.Counts[i]
	}
	res.Counts[1] += left - given

	rnd := rand.New(rand.NewPCG(42, 7))
	start := time.Now()
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	written := make([]int64, tenants)
	var buf []event.Event
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		out, err := st.Append(ctx, []store.AppendRequest{{Events: buf}})
		if err == nil && out[0].Err != nil {
			err = out[0].Err
		}
		buf = buf[:0]
		return err
	}
	// Interleave tenants so each tenant's events spread over the whole
	// time range, as real traffic does.
	for done := int64(0); done < n; {
		for ti := 0; ti < tenants && done < n; ti++ {
			share := int(math.Ceil(float64(res.Counts[ti]) / float64(n) * float64(batch)))
			for k := 0; k < share && written[ti] < res.Counts[ti]; k++ {
				e := benchEvent(rnd, res.Tenants[ti], ti == 0, written[ti], res.Counts[ti], base)
				buf = append(buf, e)
				written[ti]++
				done++
				if len(buf) >= batch {
					if err := flush(); err != nil {
						return nil, err
					}
					if progress != nil {
						progress(done)
					}
				}
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	res.Events = n
	res.Elapsed = time.Since(start)
	return res, nil
}

// Span is the time the corpus covers: two years.
const Span = 2 * 365 * 24 * time.Hour

func benchEvent(rnd *rand.Rand, t uuid.UUID, big bool, i, of int64, base time.Time) event.Event {
	at := base.Add(time.Duration(float64(Span) * float64(i) / float64(max(of, 1))))
	action := []string{"create", "update", "destroy", "show", "index", "lookup", "evaluation", "ANSWER_SAVED", "SANCTIONS_SEARCH", "ENTITY_UPDATE"}[rnd.IntN(10)]
	if rnd.Float64() < hotShare {
		action = hotAction
	}
	refs := refsPerBig
	if !big {
		refs = 500
	}
	user := rnd.IntN(1000)
	e := event.Event{
		TenantID:    t,
		UUID:        uuid.Must(uuid.NewV7()),
		OccurredAt:  at,
		Category:    categories[rnd.IntN(len(categories))],
		Action:      action,
		ActionType:  []event.ActionType{event.Active, event.Passive}[rnd.IntN(2)],
		Status:      []event.Status{event.Success, event.Success, event.Success, event.Failure, event.Info}[rnd.IntN(5)],
		Level:       1 + rnd.IntN(3),
		Summary:     "GamblerStatus=NotRegistered, IsMinor=False",
		ExternalRef: fmt.Sprintf("customer-ref-%05d", rnd.IntN(refs)),
		Context:     "player-login",
		RequestID:   fmt.Sprintf("req-%016x", rnd.Uint64()),
		SessionID:   fmt.Sprintf("sess-%d", rnd.IntN(100000)),
		Channel:     channels[rnd.IntN(len(channels))],
		Source:      []string{"portal", "api-gateway", "FrankieOne System"}[rnd.IntN(3)],
		Actor:       event.Actor{Type: actorTypes[rnd.IntN(len(actorTypes))], ID: fmt.Sprintf("u-%d", user), Name: fmt.Sprintf("User %d", user), Email: fmt.Sprintf("user%d@example.com", user)},
		Subject:     event.Subject{Type: "INDIVIDUAL", ID: fmt.Sprintf("ent-%d", rnd.IntN(subjectsEach))},
		Targets: []event.Target{
			{Type: subjects[rnd.IntN(len(subjects))], ID: fmt.Sprintf("obj-%d", rnd.IntN(1000000))},
			{Type: "kyc_case", ID: fmt.Sprint(rnd.IntN(kycCases))},
		},
		Labels: map[string]string{"workflow_name": workflows[rnd.IntN(len(workflows))], "risk_level": risks[rnd.IntN(len(risks))]},
	}
	_ = event.Normalize(&e, base.Add(Span+time.Hour))
	return e
}

// Events returns n corpus events of tenant t, normalised, with uuids.
func Events(t uuid.UUID, n int) []event.Event {
	rnd := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = benchEvent(rnd, t, true, int64(i), int64(n), base)
	}
	return evs
}

// Loaded finds the corpus Load wrote earlier into st, so the queries can be
// measured again without loading it anew. The database must hold that one
// corpus and nothing else.
func Loaded(ctx context.Context, st store.Store, en *query.Engine) (*LoadResult, error) {
	ts, err := st.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	// Load creates the big tenant first; UUIDv7 ids sort in creation order.
	slices.SortFunc(ts, func(a, b store.Tenant) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	if len(ts) < 3 || !strings.HasPrefix(ts[0].Name, "big acquirer ") {
		return nil, fmt.Errorf("the database does not hold a benchmark corpus (found %d tenants)", len(ts))
	}
	res := &LoadResult{}
	for _, t := range ts {
		r, err := en.Run(ctx, &query.Request{Scope: []uuid.UUID{t.ID}, Kind: query.Offset, Page: 1, Limit: 1, Total: true})
		if err != nil {
			return nil, err
		}
		res.Tenants = append(res.Tenants, t.ID)
		res.Counts = append(res.Counts, r.Total)
		res.Events += r.Total
	}
	return res, nil
}
