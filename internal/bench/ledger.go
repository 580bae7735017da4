package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/notary"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// LedgerTree is one tenant's log, filled for the proof and verify
// measurements.
type LedgerTree struct {
	Tenant  uuid.UUID
	Key     string           // events:read key of the tenant
	Sample  []store.EventRef // ids of events spread over the whole log
	Events  int64
	Elapsed time.Duration // of the fill
}

// FillLedger writes n corpus events into a new tenant of the server's app
// through the store's bulk path (Append in groups of batch), signs a
// checkpoint over them and keeps a sample of their ids to prove.
func FillLedger(ctx context.Context, s *Server, n int64, batch int, progress func(done int64)) (*LedgerTree, error) {
	a := s.App
	t, err := a.Tenants.Create(ctx, tenant.NewTenant{Name: fmt.Sprintf("ledger bench %s", time.Now().Format(time.RFC3339Nano)), Kind: "bench"})
	if err != nil {
		return nil, err
	}
	key, _, err := a.Tenants.CreateKey(ctx, tenant.NewKey{Tenant: t.ID.String(), Scopes: []string{"events:read"}})
	if err != nil {
		return nil, err
	}
	tree := &LedgerTree{Tenant: t.ID, Key: key, Events: n}
	rnd := rand.New(rand.NewPCG(7, 8))
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	every := max(1, n/4096)
	start := time.Now()
	buf := make([]event.Event, 0, batch)
	for i := int64(0); i < n; {
		buf = buf[:0]
		for ; len(buf) < batch && i < n; i++ {
			buf = append(buf, benchEvent(rnd, t.ID, true, i, n, base))
		}
		res, err := a.Store.Append(ctx, []store.AppendRequest{{Events: buf}})
		if err == nil {
			err = res[0].Err
		}
		if err != nil {
			return nil, err
		}
		for _, e := range res[0].Events {
			if e.Seq%every == 0 {
				tree.Sample = append(tree.Sample, store.EventRef{ID: e.ID})
			}
		}
		if progress != nil {
			progress(i)
		}
	}
	tree.Elapsed = time.Since(start)
	if a.Notary == nil {
		return nil, fmt.Errorf("the ledger is off")
	}
	if _, err := a.Notary.SignLatest(ctx, t.ID); err != nil {
		return nil, err
	}
	return tree, nil
}

// Latency is a latency measurement.
type Latency struct {
	Name     string
	Runs     int
	P50, P99 time.Duration
}

// ProofLatency measures an event's inclusion proof as a client gets it,
// GET /v1/ledger/proof/inclusion?event=ID (the event is looked up, then
// proven against the latest checkpoint), one request at a time; and the
// same work in process, without HTTP.
func ProofLatency(ctx context.Context, s *Server, tree *LedgerTree, runs int) ([]Latency, error) {
	rnd := rand.New(rand.NewPCG(9, 10))
	pick := func() store.EventRef { return tree.Sample[rnd.IntN(len(tree.Sample))] }
	client := &http.Client{}
	get := func(ref store.EventRef) error {
		req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/v1/ledger/proof/inclusion?event=%d", s.URL, ref.ID), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tree.Key)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("inclusion proof: %d %s", resp.StatusCode, b)
		}
		return nil
	}
	inProcess := func(ref store.EventRef) error {
		e, err := s.App.Store.Event(ctx, []uuid.UUID{tree.Tenant}, ref)
		if err != nil {
			return err
		}
		_, err = s.App.Notary.ProveInclusion(ctx, tree.Tenant, e.Seq, 0)
		return err
	}
	var out []Latency
	for _, m := range []struct {
		name string
		fn   func(store.EventRef) error
	}{
		{"event + inclusion proof over HTTP (GET /v1/ledger/proof/inclusion?event=ID)", get},
		{"event + inclusion proof in process (store.Event + notary.ProveInclusion)", inProcess},
	} {
		// Warm the connection and the caches the way a running service has them.
		for range min(runs, 200) {
			if err := m.fn(pick()); err != nil {
				return nil, err
			}
		}
		lat := make([]time.Duration, runs)
		for i := range lat {
			ref := pick()
			t0 := time.Now()
			if err := m.fn(ref); err != nil {
				return nil, err
			}
			lat[i] = time.Since(t0)
		}
		slices.Sort(lat)
		out = append(out, Latency{Name: m.name, Runs: runs, P50: Percentile(lat, 0.5), P99: Percentile(lat, 0.99)})
	}
	return out, nil
}

// Speed is a throughput measurement.
type Speed struct {
	Name    string
	Events  int64
	Elapsed time.Duration
	Target  float64 // events/s it should reach; 0 for none
}

// VerifyTarget is the events/s verification should reach.
const VerifyTarget = 200_000

// PerSec is events per second.
func (s Speed) PerSec() float64 { return float64(s.Events) / s.Elapsed.Seconds() }

// VerifySpeed times the live verification of the tree's tenant (what
// `auditkeep verify --db` runs) and the offline verification of its export
// (`auditkeep verify --export`), the export written to dir first.
func VerifySpeed(ctx context.Context, s *Server, tree *LedgerTree, dir string) ([]Speed, error) {
	st := s.App.Store
	verifiers, vkeys, err := notary.StoreVerifiers(ctx, st)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	rep, err := notary.VerifyTenant(ctx, st, tree.Tenant, verifiers)
	if err != nil || !rep.OK() {
		return nil, fmt.Errorf("verify: %v %v", err, rep.Failure)
	}
	live := Speed{Name: "live: notary.VerifyTenant (`auditkeep verify --db`)", Events: rep.Events, Elapsed: time.Since(start), Target: VerifyTarget}

	cp, err := s.App.Notary.Checkpoint(ctx, tree.Tenant, 0)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "ledger-export-*.ndjson")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	start = time.Now()
	n, err := notary.Export(ctx, st, tree.Tenant, cp.Size, f)
	if err != nil {
		return nil, err
	}
	export := Speed{Name: "export: notary.Export to a file (`auditkeep export`)", Events: n, Elapsed: time.Since(start)}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	start = time.Now()
	rep, err = ledger.VerifyExport(f, cp.Note, vkeys)
	if err != nil || !rep.OK() {
		return nil, fmt.Errorf("verify export: %v %v", err, rep.Failure)
	}
	offline := Speed{Name: "offline: ledger.VerifyExport of that file (`auditkeep verify --export`)", Events: rep.Events, Elapsed: time.Since(start), Target: VerifyTarget}
	return []Speed{live, export, offline}, nil
}

// WriteLatencyTable writes latency rows as Markdown.
func WriteLatencyTable(w io.Writer, title string, rows []Latency, target time.Duration) {
	fmt.Fprintf(w, "\n### %s\n\n", title)
	fmt.Fprintln(w, "| measurement | runs | p50 | p99 | target p99 | met |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
	for _, r := range rows {
		met := "yes"
		if r.P99 > target {
			met = fmt.Sprintf("**no** (%.1f×)", float64(r.P99)/float64(target))
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |\n", r.Name, r.Runs, fmtDur(r.P50), fmtDur(r.P99), fmtDur(target), met)
	}
}

// WriteSpeedTable writes throughput rows as Markdown.
func WriteSpeedTable(w io.Writer, title string, rows []Speed) {
	fmt.Fprintf(w, "\n### %s\n\n", title)
	fmt.Fprintln(w, "| measurement | events | seconds | events/s | target | met |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
	for _, r := range rows {
		t, met := "—", "—"
		if r.Target > 0 {
			t, met = fmt.Sprintf("%.0f", r.Target), "yes"
			if r.PerSec() < r.Target {
				met = fmt.Sprintf("**no** (%.2f×)", r.PerSec()/r.Target)
			}
		}
		fmt.Fprintf(w, "| %s | %d | %.2f | %.0f | %s | %s |\n", r.Name, r.Events, r.Elapsed.Seconds(), r.PerSec(), t, met)
	}
}

// Overhead is ingest with the ledger on against off, medians of repeated
// runs.
type Overhead struct {
	Name    string
	On, Off float64 // events/s
}

// WriteOverheadTable writes ledger-on/off rows as Markdown; target is the
// most slowdown allowed, as a fraction.
func WriteOverheadTable(w io.Writer, title string, rows []Overhead, target float64) {
	fmt.Fprintf(w, "\n### %s\n\n", title)
	fmt.Fprintln(w, "| measurement | ledger on, events/s | ledger off, events/s | slowdown | target | met |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
	for _, r := range rows {
		slow := 1 - r.On/r.Off
		met := "yes"
		if slow > target {
			met = "**no**"
		}
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.1f %% | ≤ %.0f %% | %s |\n", r.Name, r.On, r.Off, 100*slow, 100*target, met)
	}
}

// LoadedTree is the log of the biggest tenant of a corpus Load wrote
// earlier (see Loaded), set up for the proof and verify measurements
// without filling a tree anew: a read key, a fresh checkpoint and a sample
// of its events spread over the whole log.
func LoadedTree(ctx context.Context, s *Server, l *LoadResult) (*LedgerTree, error) {
	a := s.App
	if a.Notary == nil {
		return nil, fmt.Errorf("the ledger is off")
	}
	big := l.Tenants[0]
	key, _, err := a.Tenants.CreateKey(ctx, tenant.NewKey{Tenant: big.String(), Scopes: []string{"events:read"}})
	if err != nil {
		return nil, err
	}
	if _, err := a.Notary.SignLatest(ctx, big); err != nil {
		return nil, err
	}
	// Event ids are global and Load interleaves the tenants, so ids drawn
	// at random below the newest one land in the big tenant about as often
	// as its share of the corpus.
	newest, err := a.Query.Run(ctx, &query.Request{Scope: l.Tenants, Sort: store.Sort{Desc: true}, Kind: query.Offset, Page: 1, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("find the newest event: %w", err)
	}
	if len(newest.Events) == 0 {
		return nil, fmt.Errorf("the corpus holds no events")
	}
	maxID := newest.Events[0].ID
	tree := &LedgerTree{Tenant: big, Key: key, Events: l.Counts[0]}
	rnd := rand.New(rand.NewPCG(11, 12))
	for tries := 0; len(tree.Sample) < 4096 && tries < 1_000_000; tries++ {
		ref := store.EventRef{ID: 1 + rnd.Int64N(maxID)}
		if _, err := a.Store.Event(ctx, []uuid.UUID{big}, ref); err == nil {
			tree.Sample = append(tree.Sample, ref)
		}
	}
	if len(tree.Sample) == 0 {
		return nil, fmt.Errorf("no events of the big tenant found")
	}
	return tree, nil
}
