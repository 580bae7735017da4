package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// countingStore is a real store that counts the key lookups reaching it
// and, while hold is set, keeps each lookup waiting until hold is closed.
type countingStore struct {
	store.Store
	store.Watcher
	lookups  atomic.Int64
	hold     atomic.Pointer[chan struct{}]
	inFlight atomic.Int64
	most     atomic.Int64
}

func (c *countingStore) KeyByHash(ctx context.Context, hash []byte) (store.Key, error) {
	c.lookups.Add(1)
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
	if h := c.hold.Load(); h != nil {
		<-*h
	}
	return c.Store.KeyByHash(ctx, hash)
}

var here = netip.MustParseAddr("127.0.0.1")

type fixture struct {
	st     *countingStore
	authn  *auth.Authenticator
	tenant store.Tenant
	secret string
	key    store.Key
	db     string
}

// setup opens a store of engine with one tenant and key, and an
// authenticator whose cache watches the store and is already trusted.
func setup(t testing.TB, engine string, cfg auth.CacheConfig) *fixture {
	t.Helper()
	ctx := context.Background()
	db := apitest.DB(t, engine)
	st, err := app.OpenStore(ctx, db, app.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: &countingStore{Store: st, Watcher: st.(store.Watcher)}, db: db}
	f.tenant = store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "t", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := st.CreateTenant(ctx, &f.tenant); err != nil {
		t.Fatal(err)
	}
	f.secret, f.key = newKey(t, st, f.tenant.ID)
	f.authn = &auth.Authenticator{Store: f.st, Cache: auth.NewKeyCache(cfg)}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); f.authn.Cache.Watch(wctx, f.st) }()
	t.Cleanup(func() { cancel(); <-done })
	// The cache is off until the watch is heard: wait until a repeated
	// lookup stops reaching the store.
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.mustAuth(t)
		n := f.st.lookups.Load()
		f.mustAuth(t)
		if f.st.lookups.Load() == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the key cache never became trusted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return f
}

func newKey(t testing.TB, st store.Store, tenant uuid.UUID) (string, store.Key) {
	t.Helper()
	secret, k, err := auth.NewKey(tenant, "k", []string{auth.ScopeEventsRead}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKey(context.Background(), &k); err != nil {
		t.Fatal(err)
	}
	return secret, k
}

func (f *fixture) mustAuth(t testing.TB) *auth.Principal {
	t.Helper()
	p, err := f.authn.Authenticate(context.Background(), f.secret, here)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return p
}

func TestKeyCacheServesRepeatsWithoutTheStore(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := setup(t, engine, auth.CacheConfig{})
		before := f.st.lookups.Load()
		for range 100 {
			if p := f.mustAuth(t); p.KeyID != f.key.ID || !p.Reaches(f.tenant.ID) {
				t.Fatalf("principal %+v", p)
			}
		}
		if n := f.st.lookups.Load() - before; n != 0 {
			t.Errorf("%d store lookups for 100 repeats of a cached key", n)
		}
		// The address check is per request, not cached with the key.
		secret, k, err := auth.NewKey(f.tenant.ID, "narrow", []string{auth.ScopeEventsRead}, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.CreateKey(context.Background(), &k); err != nil {
			t.Fatal(err)
		}
		if _, err := f.authn.Authenticate(context.Background(), secret, netip.MustParseAddr("10.1.2.3")); err != nil {
			t.Fatalf("allowed address: %v", err)
		}
		if _, err := f.authn.Authenticate(context.Background(), secret, here); !errors.Is(err, event.ErrUnauthorized) {
			t.Errorf("address outside the allow-list of a cached key: %v", err)
		}
	})
}

func TestKeyCacheRevocationIsImmediate(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := setup(t, engine, auth.CacheConfig{TTL: time.Hour})
		if err := f.st.RevokeKey(context.Background(), f.key.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := f.authn.Authenticate(context.Background(), f.secret, here); !errors.Is(err, event.ErrUnauthorized) {
			t.Fatalf("revoked key right after revoking: %v", err)
		}
	})
}

func TestKeyCacheSeesNewChildTenant(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := setup(t, engine, auth.CacheConfig{TTL: time.Hour})
		child := store.Tenant{ID: uuid.Must(uuid.NewV7()), Name: "child", Parent: f.tenant.ID, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
		if err := f.st.CreateTenant(context.Background(), &child); err != nil {
			t.Fatal(err)
		}
		if p := f.mustAuth(t); !p.Reaches(child.ID) {
			t.Errorf("the cached key does not reach a child created after it was cached: %v", p.Tenants)
		}
	})
}

func TestKeyCacheUnknownKeys(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		f := setup(t, engine, auth.CacheConfig{Size: 16, UnknownSize: 8, TTL: time.Hour, UnknownTTL: time.Hour})
		ctx := context.Background()
		unknown, _, err := auth.NewKey(f.tenant.ID, "never stored", []string{auth.ScopeEventsRead}, nil)
		if err != nil {
			t.Fatal(err)
		}
		before := f.st.lookups.Load()
		for range 10 {
			if _, err := f.authn.Authenticate(ctx, unknown, here); !errors.Is(err, event.ErrUnauthorized) {
				t.Fatalf("unknown key: %v", err)
			}
		}
		if n := f.st.lookups.Load() - before; n != 1 {
			t.Errorf("%d store lookups for 10 tries of one unknown key, want 1", n)
		}
		// A flood of distinct unknown keys, many more than either bound,
		// leaves the real key cached.
		for i := range 200 {
			s, _, _ := auth.NewKey(f.tenant.ID, fmt.Sprint(i), []string{auth.ScopeEventsRead}, nil)
			if _, err := f.authn.Authenticate(ctx, s, here); !errors.Is(err, event.ErrUnauthorized) {
				t.Fatalf("unknown key %d: %v", i, err)
			}
		}
		before = f.st.lookups.Load()
		f.mustAuth(t)
		if n := f.st.lookups.Load() - before; n != 0 {
			t.Errorf("the real key was evicted by unknown ones (%d lookups)", n)
		}
	})
}

// Another process on the same SQLite file (the CLI's `key revoke`) has no
// way to notify; the watch notices within a poll.
func TestKeyCacheSQLiteOtherProcessRevokes(t *testing.T) {
	t.Parallel()
	f := setup(t, "sqlite", auth.CacheConfig{TTL: time.Hour})
	other, err := app.OpenStore(context.Background(), f.db, app.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.RevokeKey(context.Background(), f.key.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := f.authn.Authenticate(context.Background(), f.secret, here)
		if errors.Is(err, event.ErrUnauthorized) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a key revoked by another process is still accepted (%v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKeyCacheBoundsLookups: a flood of distinct unknown secrets reads the
// database at most Lookups at a time, and a cached key is answered while
// they wait.
func TestKeyCacheBoundsLookups(t *testing.T) {
	t.Parallel()
	f := setup(t, "sqlite", auth.CacheConfig{Lookups: 2, TTL: time.Hour})
	hold := make(chan struct{})
	f.st.hold.Store(&hold)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _, _ := auth.NewKey(f.tenant.ID, fmt.Sprint(i), []string{auth.ScopeEventsRead}, nil)
			if _, err := f.authn.Authenticate(context.Background(), s, here); !errors.Is(err, event.ErrUnauthorized) {
				t.Errorf("unknown key %d: %v", i, err)
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.st.inFlight.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the flood never reached the store")
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := f.authn.Authenticate(ctx, f.secret, here); err != nil {
		t.Errorf("a cached key while the lookups are taken: %v", err)
	}
	close(hold)
	wg.Wait()
	if m := f.st.most.Load(); m > 2 {
		t.Errorf("%d lookups at once, want at most 2", m)
	}
}

// TestKeyCacheMetrics: hits, misses and whether the cache is in use are
// exported, so an operator can see it work.
func TestKeyCacheMetrics(t *testing.T) {
	t.Parallel()
	f := setup(t, "sqlite", auth.CacheConfig{TTL: time.Hour})
	reg := prometheus.NewRegistry()
	f.authn.Cache.Register(reg)
	f.mustAuth(t)
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			got[mf.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	if got["auditkeep_key_cache_hits_total"] < 1 || got["auditkeep_key_cache_misses_total"] < 1 || got["auditkeep_key_cache_trusted"] != 1 {
		t.Errorf("metrics %v", got)
	}
}
