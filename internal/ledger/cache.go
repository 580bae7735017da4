package ledger

import (
	"container/list"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// TileCache keeps complete tiles and their hashes in memory, for all the
// logs of a process. A complete tile never changes, so nothing is ever
// invalidated; entries leave in least-recently-used order. Both kinds of
// entry matter: a proof at the right edge of a big tree needs the hashes of
// up to 255 complete tiles per level (to derive the partial tiles), and
// those are the same for every proof until the level above completes.
//
// A TileCache is safe for concurrent use. Wrap only sources that read
// committed data: a tile read inside a transaction that later rolls back
// would otherwise outlive it.
type TileCache struct {
	mu     sync.Mutex
	tiles  lru[[]byte]
	hashes lru[tlog.Hash]
}

// NewTileCache returns a cache holding up to maxTiles tiles (8 KiB each)
// and 16 times as many tile hashes.
func NewTileCache(maxTiles int) *TileCache {
	maxTiles = max(maxTiles, 1)
	return &TileCache{
		tiles:  newLRU[[]byte](maxTiles),
		hashes: newLRU[tlog.Hash](16 * maxTiles),
	}
}

// cacheKey names a tile of one log.
type cacheKey struct {
	log   string
	level int
	n     int64
}

// Source returns src reading through the cache. log names the tree (for
// example the tenant id); two logs must never share a name.
func (c *TileCache) Source(log string, src TileSource) TileSource {
	return &cachedSource{cache: c, log: log, src: src}
}

// Add puts complete tiles of log in the cache, typically those Tail.Append
// returned, once their transaction has committed. Recent tiles are the ones
// proofs ask for most.
func (c *TileCache) Add(log string, tiles []Tile) {
	for _, t := range tiles {
		if !validTileData(t.Data) {
			continue
		}
		k := cacheKey{log, t.Level, t.Index}
		data, h := append([]byte(nil), t.Data...), tileRoot(t.Data)
		c.mu.Lock()
		c.tiles.put(k, data)
		c.hashes.put(k, h)
		c.mu.Unlock()
	}
}

type cachedSource struct {
	cache *TileCache
	log   string
	src   TileSource
}

// FullTiles returns copies, so that no caller can corrupt the cache.
func (s *cachedSource) FullTiles(level int, from, to int64) ([][]byte, error) {
	if from >= to {
		return nil, nil
	}
	out := make([][]byte, to-from)
	s.cache.mu.Lock()
	for i := range out {
		if d, ok := s.cache.tiles.get(cacheKey{s.log, level, from + int64(i)}); ok {
			out[i] = append([]byte(nil), d...)
		}
	}
	s.cache.mu.Unlock()
	err := forMissing(out, func(i, j int) error {
		data, err := s.src.FullTiles(level, from+int64(i), from+int64(j))
		if err != nil {
			return err
		}
		if len(data) != j-i {
			return errShortRead
		}
		s.cache.mu.Lock()
		defer s.cache.mu.Unlock()
		for x, d := range data {
			if !validTileData(d) {
				return errShortRead
			}
			s.cache.tiles.put(cacheKey{s.log, level, from + int64(i+x)}, append([]byte(nil), d...))
			out[i+x] = d
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LeafHashes is not cached: only the few leaves past the last complete tile
// are ever read, and they are a single cheap query.
func (s *cachedSource) LeafHashes(from, to int64) ([]tlog.Hash, error) {
	return s.src.LeafHashes(from, to)
}

// TileHashes serves tile hashes from the cache, computing missing ones from
// tile data that is either cached or read from the source without being
// cached (a run of 255 tiles would flush the tiles proofs actually need).
func (s *cachedSource) TileHashes(level int, from, to int64) ([]tlog.Hash, error) {
	if from >= to {
		return nil, nil
	}
	out := make([]tlog.Hash, to-from)
	known := make([]bool, to-from)
	s.cache.mu.Lock()
	for i := range out {
		k := cacheKey{s.log, level, from + int64(i)}
		if h, ok := s.cache.hashes.get(k); ok {
			out[i], known[i] = h, true
		} else if d, ok := s.cache.tiles.get(k); ok {
			out[i], known[i] = tileRoot(d), true
			s.cache.hashes.put(k, out[i])
		}
	}
	s.cache.mu.Unlock()
	for i := 0; i < len(out); {
		if known[i] {
			i++
			continue
		}
		j := i + 1
		for j < len(out) && !known[j] {
			j++
		}
		hashes, err := s.readHashes(level, from+int64(i), from+int64(j))
		if err != nil {
			return nil, err
		}
		copy(out[i:j], hashes)
		s.cache.mu.Lock()
		for x, h := range hashes {
			s.cache.hashes.put(cacheKey{s.log, level, from + int64(i+x)}, h)
		}
		s.cache.mu.Unlock()
		i = j
	}
	return out, nil
}

func (s *cachedSource) readHashes(level int, from, to int64) ([]tlog.Hash, error) {
	if hs, ok := s.src.(TileHashSource); ok {
		hashes, err := hs.TileHashes(level, from, to)
		if err == nil && int64(len(hashes)) != to-from {
			err = errShortRead
		}
		return hashes, err
	}
	data, err := s.src.FullTiles(level, from, to)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != to-from {
		return nil, errShortRead
	}
	hashes := make([]tlog.Hash, len(data))
	for i, d := range data {
		if !validTileData(d) {
			return nil, errShortRead
		}
		hashes[i] = tileRoot(d)
	}
	return hashes, nil
}

// validTileData reports whether d is a whole power-of-two number of hashes,
// the only shape tileRoot can hash.
func validTileData(d []byte) bool {
	n := len(d) / tlog.HashSize
	return len(d)%tlog.HashSize == 0 && n > 0 && n&(n-1) == 0
}

// forMissing calls fetch(i, j) for each maximal run [i, j) of nil entries.
func forMissing(out [][]byte, fetch func(i, j int) error) error {
	for i := 0; i < len(out); {
		if out[i] != nil {
			i++
			continue
		}
		j := i + 1
		for j < len(out) && out[j] == nil {
			j++
		}
		if err := fetch(i, j); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// lru is a least-recently-used map. Its caller holds the lock.
type lru[V any] struct {
	max   int
	items map[cacheKey]*list.Element
	order *list.List // front is most recent
}

type lruEntry[V any] struct {
	key cacheKey
	val V
}

func newLRU[V any](max int) lru[V] {
	return lru[V]{max: max, items: make(map[cacheKey]*list.Element), order: list.New()}
}

func (l *lru[V]) get(k cacheKey) (V, bool) {
	e, ok := l.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	l.order.MoveToFront(e)
	return e.Value.(*lruEntry[V]).val, true
}

func (l *lru[V]) put(k cacheKey, v V) {
	if e, ok := l.items[k]; ok {
		e.Value.(*lruEntry[V]).val = v
		l.order.MoveToFront(e)
		return
	}
	l.items[k] = l.order.PushFront(&lruEntry[V]{key: k, val: v})
	for l.order.Len() > l.max {
		e := l.order.Back()
		l.order.Remove(e)
		delete(l.items, e.Value.(*lruEntry[V]).key)
	}
}
