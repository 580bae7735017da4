package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
)

// Ledger is what a store keeps of the tenants' Merkle logs beyond the
// events: complete tiles, signed checkpoints and signing keys. Every
// engine implements it; Store embeds it.
type Ledger interface {
	// LedgerSource reads a tenant's committed tiles and leaf hashes (through
	// the process's tile cache) and returns the tenant's tree size.
	LedgerSource(ctx context.Context, tenant uuid.UUID) (ledger.TileSource, int64, error)
	// LedgerSizes returns every tenant's tree size (tenants with events).
	LedgerSizes(ctx context.Context) (map[uuid.UUID]int64, error)
	// PutCheckpoint stores a signed checkpoint; storing one of the same
	// tenant and size again is a no-op.
	PutCheckpoint(ctx context.Context, cp StoredCheckpoint) error
	// Checkpoints lists a tenant's checkpoints by size: all of them
	// (size 0, latest false), the one of that size, or the latest.
	Checkpoints(ctx context.Context, tenant uuid.UUID, size int64, latest bool) ([]StoredCheckpoint, error)
	// CheckpointPage lists at most limit of a tenant's checkpoints of
	// sizes above after, by size: a page cut in the database, so a list
	// never loads a log's whole history of checkpoints.
	CheckpointPage(ctx context.Context, tenant uuid.UUID, after int64, limit int) ([]StoredCheckpoint, error)
	// ScanLedger calls fn with a tenant's events in seq order from seq
	// from, each with its stored leaf hash (nil when it has none).
	ScanLedger(ctx context.Context, tenant uuid.UUID, from int64, fn func(e *event.Event, leaf []byte) error) error
	// LedgerKeys lists the signing keys, active and retired.
	LedgerKeys(ctx context.Context) ([]LedgerKey, error)
	PutLedgerKey(ctx context.Context, k LedgerKey) error
	RetireLedgerKey(ctx context.Context, id string, at time.Time) error
}

// StoredCheckpoint is a signed checkpoint as kept.
type StoredCheckpoint struct {
	Tenant uuid.UUID
	Size   int64
	Root   tlog.Hash
	Time   time.Time
	Note   []byte // the signed note
}

// LedgerKey is a checkpoint signing key. Sealed is the private key sealed
// with the master key (ledger.SealKey); nil when the key lives in a file.
type LedgerKey struct {
	ID        string // ledger.KeyID of the verifier key
	VKey      string // note verifier key
	Sealed    []byte
	CreatedAt time.Time
	RetiredAt time.Time // zero for the active key
}

// Tails keeps each tenant's ledger tail for a store's writer, and the tile
// cache its readers share. Append extends clones of the tails inside its
// transaction and installs them only after commit.
type Tails struct {
	mu    sync.Mutex
	tails map[uuid.UUID]*ledger.Tail
	Cache *ledger.TileCache
}

// NewTails makes the tail keeper with a cache of cacheTiles tiles.
func NewTails(cacheTiles int) *Tails {
	return &Tails{tails: map[uuid.UUID]*ledger.Tail{}, Cache: ledger.NewTileCache(cacheTiles)}
}

// Pending is a group's ledger work: the extended tails and the tiles the
// group completed, per tenant.
type Pending struct {
	Tails map[uuid.UUID]*ledger.Tail
	Tiles map[uuid.UUID][]ledger.Tile
}

// Extend appends the plan's leaves to the tenants' tails. load reads a
// tail of the given size from inside the transaction when the cached one is
// missing or stale (another process wrote, or a group rolled back).
func (t *Tails) Extend(p *Plan, load func(tenant uuid.UUID, size int64) (*ledger.Tail, error)) (*Pending, error) {
	pend := &Pending{Tails: map[uuid.UUID]*ledger.Tail{}, Tiles: map[uuid.UUID][]ledger.Tile{}}
	for i, e := range p.New {
		tail, ok := pend.Tails[e.TenantID]
		if !ok {
			start := p.Start[e.TenantID]
			t.mu.Lock()
			cached := t.tails[e.TenantID]
			t.mu.Unlock()
			if cached != nil && cached.Size() == start {
				tail = cached.Clone()
			} else {
				var err error
				if tail, err = load(e.TenantID, start); err != nil {
					return nil, fmt.Errorf("ledger of tenant %s: %w", e.TenantID, err)
				}
			}
			pend.Tails[e.TenantID] = tail
		}
		if tail.Size() != e.Seq {
			return nil, fmt.Errorf("ledger of tenant %s has %d leaves, appending seq %d", e.TenantID, tail.Size(), e.Seq)
		}
		pend.Tiles[e.TenantID] = append(pend.Tiles[e.TenantID], tail.Append(p.Leaves[i])...)
	}
	return pend, nil
}

// Commit installs a committed group's tails and caches its tiles.
func (t *Tails) Commit(p *Pending) {
	if p == nil {
		return
	}
	t.mu.Lock()
	for tenant, tail := range p.Tails {
		t.tails[tenant] = tail
	}
	t.mu.Unlock()
	for tenant, tiles := range p.Tiles {
		t.Cache.Add(tenant.String(), tiles)
	}
}

// Root returns a tenant's current root from the writer's tail when it is
// at size, so signing a checkpoint after a commit reads nothing.
func (t *Tails) Root(tenant uuid.UUID, size int64) (tlog.Hash, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tail := t.tails[tenant]
	if tail == nil || tail.Size() != size {
		return tlog.Hash{}, false
	}
	return tail.Root(), true
}

// CheckLeafRange is a helper for TileSource implementations: it turns a
// short read into an error naming what is missing.
func CheckLeafRange(got, from, to int64) error {
	if got != to-from {
		return fmt.Errorf("%w: ledger leaf hashes [%d, %d): found %d", event.ErrNotFound, from, to, got)
	}
	return nil
}

// Rows is what ReadTiles and ReadLeaves need of a query's rows: both
// database/sql's and pgx's have it. The caller closes them.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ReadTiles reads the rows (idx, data) of the tiles [from, to) of a level,
// in idx order, and fails naming the first one missing. translate maps the
// driver's errors.
func ReadTiles(rows Rows, level int, from, to int64, translate func(error) error) ([][]byte, error) {
	var out [][]byte
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return nil, translate(err)
		}
		if idx != from+int64(len(out)) {
			return nil, fmt.Errorf("%w: ledger tile %d/%d missing", event.ErrNotFound, level, from+int64(len(out)))
		}
		out = append(out, data)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	if int64(len(out)) != to-from {
		return nil, fmt.Errorf("%w: ledger tiles %d/[%d, %d): found %d", event.ErrNotFound, level, from, to, len(out))
	}
	return out, nil
}

// ReadLeaves reads the rows (seq, leaf_hash) of the leaves [from, to), in
// seq order, and fails naming the first one missing or malformed.
func ReadLeaves(rows Rows, from, to int64, translate func(error) error) ([]tlog.Hash, error) {
	var out []tlog.Hash
	for rows.Next() {
		var seq int64
		var h []byte
		if err := rows.Scan(&seq, &h); err != nil {
			return nil, translate(err)
		}
		if seq != from+int64(len(out)) || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("%w: ledger leaf %d missing", event.ErrNotFound, from+int64(len(out)))
		}
		out = append(out, tlog.Hash(h))
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return out, CheckLeafRange(int64(len(out)), from, to)
}

// ctxSource binds a context to per-call reads, for stores whose
// TileSource needs one.
type ctxSource struct {
	ctx    context.Context
	tiles  func(ctx context.Context, level int, from, to int64) ([][]byte, error)
	leaves func(ctx context.Context, from, to int64) ([]tlog.Hash, error)
}

// NewTileSource makes a ledger.TileSource from two context-taking reads.
func NewTileSource(ctx context.Context,
	tiles func(ctx context.Context, level int, from, to int64) ([][]byte, error),
	leaves func(ctx context.Context, from, to int64) ([]tlog.Hash, error)) ledger.TileSource {
	return &ctxSource{ctx: ctx, tiles: tiles, leaves: leaves}
}

func (s *ctxSource) FullTiles(level int, from, to int64) ([][]byte, error) {
	return s.tiles(s.ctx, level, from, to)
}

func (s *ctxSource) LeafHashes(from, to int64) ([]tlog.Hash, error) {
	return s.leaves(s.ctx, from, to)
}
