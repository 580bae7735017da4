package auth

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditkeep/auditkeep/internal/store"
)

// CacheConfig bounds a KeyCache.
type CacheConfig struct {
	// Size is how many keys are kept, least recently used dropped first
	// (default 10,000).
	Size int
	// TTL is how long a key is trusted without reading it again (default
	// 1m). Revocations do not wait for it: the store tells them at once.
	TTL time.Duration
	// UnknownSize is how many unknown secrets are remembered as unknown
	// (default 1,024), apart from the keys, so a flood of made-up secrets
	// neither evicts real keys nor reads the database for each repeat.
	UnknownSize int
	// UnknownTTL is how long an unknown secret is remembered (default 5s).
	UnknownTTL time.Duration
	// Lookups is how many keys not in the cache may be read from the
	// database at once (default 8); the others wait their turn. Cached keys
	// never wait, so a flood of made-up secrets slows only itself and
	// holds at most this many database connections.
	Lookups int
}

// KeyCache keeps keys (by the hash of their secret) with the subtree they
// reach, so most requests authenticate without the database. It trusts
// what it holds only while the store's Watcher is heard: a revocation or a
// new tenant anywhere on the database drops the entries it affects, and a
// lost watch drops everything and turns the cache off until it is back.
type KeyCache struct {
	cfg CacheConfig
	now func() time.Time

	mu      sync.Mutex
	trusted bool
	// gen counts invalidations: a lookup that read the database under an
	// older generation must not cache what it read, because a revocation
	// may have committed in between.
	gen     uint64
	known   *lru[cachedKey]
	unknown *lru[struct{}]

	lookups chan struct{} // a slot per database lookup in flight

	hits, misses prometheus.Counter
	trustedGauge prometheus.Gauge
}

type cachedKey struct {
	key     store.Key
	tenants []uuid.UUID
}

// NewKeyCache makes an empty cache, trusted only once Watch hears the store.
func NewKeyCache(cfg CacheConfig) *KeyCache {
	if cfg.Size <= 0 {
		cfg.Size = 10000
	}
	if cfg.TTL <= 0 {
		cfg.TTL = time.Minute
	}
	if cfg.UnknownSize <= 0 {
		cfg.UnknownSize = 1024
	}
	if cfg.UnknownTTL <= 0 {
		cfg.UnknownTTL = 5 * time.Second
	}
	if cfg.Lookups <= 0 {
		cfg.Lookups = 8
	}
	return &KeyCache{cfg: cfg, now: time.Now, known: newLRU[cachedKey](cfg.Size), unknown: newLRU[struct{}](cfg.UnknownSize),
		lookups: make(chan struct{}, cfg.Lookups),
		hits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auditkeep_key_cache_hits_total", Help: "API key lookups answered from the cache (known and unknown keys).",
		}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auditkeep_key_cache_misses_total", Help: "API key lookups that read the database.",
		}),
		trustedGauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "auditkeep_key_cache_trusted", Help: "1 while the key cache hears the store's changes and is used; 0 while it is off (listener lost).",
		}),
	}
}

// Register adds the cache's metrics to reg.
func (c *KeyCache) Register(reg prometheus.Registerer) {
	reg.MustRegister(c.hits, c.misses, c.trustedGauge)
}

// acquire takes a lookup slot, or fails when ctx ends first.
func (c *KeyCache) acquire(ctx context.Context) error {
	select {
	case c.lookups <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *KeyCache) release() { <-c.lookups }

// Watch keeps the cache in step with st until ctx ends. With a store that
// cannot tell its changes the cache stays off.
func (c *KeyCache) Watch(ctx context.Context, st store.Store) {
	w, ok := st.(store.Watcher)
	if !ok {
		return
	}
	w.WatchKeys(ctx, c.apply, c.setTrusted)
	c.setTrusted(false)
}

func (c *KeyCache) apply(ch store.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if ch.All || ch.Key == uuid.Nil {
		c.known.clear()
		return
	}
	c.known.removeIf(func(e cachedKey) bool { return e.key.ID == ch.Key })
}

func (c *KeyCache) setTrusted(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.trusted = ok
	if ok {
		c.trustedGauge.Set(1)
	} else {
		c.trustedGauge.Set(0)
	}
	c.known.clear()
	c.unknown.clear()
}

// lookup answers from the cache: found reports a hit, unknown a secret
// known to match no key. gen is to be handed back to put or putUnknown.
func (c *KeyCache) lookup(hash []byte) (e cachedKey, found, unknown bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.trusted {
		c.misses.Inc()
		return e, false, false, c.gen
	}
	now := c.now()
	h := string(hash)
	if e, ok := c.known.get(h, now); ok {
		c.hits.Inc()
		return e, true, false, c.gen
	}
	if _, ok := c.unknown.get(h, now); ok {
		c.hits.Inc()
		return e, false, true, c.gen
	}
	c.misses.Inc()
	return e, false, false, c.gen
}

func (c *KeyCache) put(hash []byte, e cachedKey, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trusted && c.gen == gen {
		c.known.put(string(hash), e, c.now().Add(c.cfg.TTL))
	}
}

func (c *KeyCache) putUnknown(hash []byte, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trusted && c.gen == gen {
		c.unknown.put(string(hash), struct{}{}, c.now().Add(c.cfg.UnknownTTL))
	}
}

// lru is a size-bounded map with expiry, least recently used out first.
// Not safe for concurrent use: KeyCache holds its lock around it.
type lru[V any] struct {
	size  int
	order *list.List // front: most recently used; elements hold *lruEntry[V]
	items map[string]*list.Element
}

type lruEntry[V any] struct {
	key     string
	val     V
	expires time.Time
}

func newLRU[V any](size int) *lru[V] {
	return &lru[V]{size: size, order: list.New(), items: map[string]*list.Element{}}
}

func (l *lru[V]) get(k string, now time.Time) (V, bool) {
	el, ok := l.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	e := el.Value.(*lruEntry[V])
	if !now.Before(e.expires) {
		l.order.Remove(el)
		delete(l.items, k)
		var zero V
		return zero, false
	}
	l.order.MoveToFront(el)
	return e.val, true
}

func (l *lru[V]) put(k string, v V, expires time.Time) {
	if el, ok := l.items[k]; ok {
		e := el.Value.(*lruEntry[V])
		e.val, e.expires = v, expires
		l.order.MoveToFront(el)
		return
	}
	l.items[k] = l.order.PushFront(&lruEntry[V]{key: k, val: v, expires: expires})
	for l.order.Len() > l.size {
		old := l.order.Back()
		l.order.Remove(old)
		delete(l.items, old.Value.(*lruEntry[V]).key)
	}
}

func (l *lru[V]) removeIf(f func(V) bool) {
	for el := l.order.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*lruEntry[V]); f(e.val) {
			l.order.Remove(el)
			delete(l.items, e.key)
		}
		el = next
	}
}

func (l *lru[V]) clear() {
	l.order.Init()
	clear(l.items)
}
