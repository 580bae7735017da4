package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// CreateTenant implements store.Store.
func (s *Store) CreateTenant(ctx context.Context, t *store.Tenant) error {
	parentPath := "/"
	var parentPK *int64
	if t.Parent != uuid.Nil {
		var pk int64
		err := s.pool.QueryRow(ctx, `SELECT pk, path FROM tenants WHERE id = $1`, t.Parent).Scan(&pk, &parentPath)
		if err != nil {
			return fmt.Errorf("parent tenant %s: %w", t.Parent, translate(err))
		}
		parentPK = &pk
	}
	// The path ends in the tenant's own pk, so the pk is drawn first and
	// both are written in one statement. Tenants are never deleted, so the
	// parent read above cannot go stale; the foreign key checks it anyway.
	var pk int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO tenants (pk, id, name, kind, ref, parent_pk, path, created_at)
		SELECT n.pk, $1, $2, $3, $4, $5, $6::text || n.pk || '/', $7
		FROM (SELECT nextval(pg_get_serial_sequence('tenants', 'pk')) AS pk) n
		RETURNING pk`,
			t.ID, t.Name, t.Kind, nullString(t.Ref), parentPK, parentPath, dbTime(t.CreatedAt)).Scan(&pk)
		if err != nil {
			return err
		}
		// A new tenant widens the subtree its ancestors' keys reach, which
		// every serve process caches with the key.
		return notifyKeys(ctx, tx, "*")
	})
	if err != nil {
		return fmt.Errorf("tenant: %w", translate(err))
	}
	s.remember(t.ID, pk)
	s.watchers.Tell(store.Change{All: true})
	return nil
}

// The zero uuid stands for "no parent", as uuid.Nil does in store.Tenant.
const tenantColumns = `t.pk, t.id, t.name, t.kind, COALESCE(t.ref, ''),
	COALESCE(p.id, '00000000-0000-0000-0000-000000000000'::uuid), t.created_at`

const tenantFrom = ` FROM tenants t LEFT JOIN tenants p ON p.pk = t.parent_pk`

func scanTenant(row pgx.Row) (store.Tenant, int64, error) {
	var t store.Tenant
	var pk int64
	if err := row.Scan(&pk, &t.ID, &t.Name, &t.Kind, &t.Ref, &t.Parent, &t.CreatedAt); err != nil {
		return t, 0, translate(err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return t, pk, nil
}

// Tenant implements store.Store.
func (s *Store) Tenant(ctx context.Context, idOrRef string) (store.Tenant, error) {
	if !event.ValidText(idOrRef) {
		// PostgreSQL would refuse the text itself (SQLSTATE 22021); no id
		// or ref is such text, so asking for one finds nothing.
		return store.Tenant{}, fmt.Errorf("tenant: %w", event.ErrNotFound)
	}
	q := `SELECT ` + tenantColumns + tenantFrom + ` WHERE `
	var row pgx.Row
	if id, err := uuid.Parse(idOrRef); err == nil {
		// A ref may look like a uuid; the tenant with that id wins.
		row = s.pool.QueryRow(ctx, q+`t.id = $1 OR `+refFold("t.ref")+` = $2 ORDER BY t.id = $1 DESC LIMIT 1`, id, asciiLower(idOrRef))
	} else {
		row = s.pool.QueryRow(ctx, q+refFold("t.ref")+` = $1`, asciiLower(idOrRef))
	}
	t, pk, err := scanTenant(row)
	if err != nil {
		return t, fmt.Errorf("tenant %q: %w", idOrRef, err)
	}
	s.remember(t.ID, pk)
	return t, nil
}

// refFold is the expression of the unique index on refs (migration
// 00005): ASCII letters folded to lower case, as SQLite's lower() does,
// so that both engines take the same refs for the same. A lookup compares
// it with asciiLower of the ref asked for, and so uses the index.
func refFold(col string) string {
	return `translate(` + col + `, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Tenants implements store.Store.
func (s *Store) Tenants(ctx context.Context) ([]store.Tenant, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tenantColumns+tenantFrom+` ORDER BY t.path`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var ts []store.Tenant
	for rows.Next() {
		t, pk, err := scanTenant(rows)
		if err != nil {
			return nil, err
		}
		s.remember(t.ID, pk)
		ts = append(ts, t)
	}
	return ts, translate(rows.Err())
}

const subtreeQuery = `SELECT pk, id FROM tenants WHERE path >= $1 AND path < $2 ORDER BY path`

// Subtree implements store.Store.
func (s *Store) Subtree(ctx context.Context, id uuid.UUID) ([]uuid.UUID, error) {
	var path string
	if err := s.pool.QueryRow(ctx, `SELECT path FROM tenants WHERE id = $1`, id).Scan(&path); err != nil {
		return nil, fmt.Errorf("tenant %s: %w", id, translate(err))
	}
	// Paths of descendants extend this one; '/' + 1 is '0', so the range
	// [path, path with its final '/' replaced by '0') holds exactly them.
	// path is COLLATE "C", so the comparison is bytewise and uses the index.
	rows, err := s.pool.Query(ctx, subtreeQuery, path, path[:len(path)-1]+"0")
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var pk int64
		var u uuid.UUID
		if err := rows.Scan(&pk, &u); err != nil {
			return nil, translate(err)
		}
		s.remember(u, pk)
		ids = append(ids, u)
	}
	return ids, translate(rows.Err())
}

func (s *Store) remember(id uuid.UUID, pk int64) {
	s.mu.Lock()
	s.tenants[id] = pk
	s.ids[pk] = id
	s.mu.Unlock()
}

// tenantPKs maps tenant ids to pks, reading the ones not yet cached in one
// query. Unknown tenants are left out of the result.
func (s *Store) tenantPKs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]int64, error) {
	out := make(map[uuid.UUID]int64, len(ids))
	var missing []uuid.UUID
	s.mu.Lock()
	for _, id := range ids {
		if pk, ok := s.tenants[id]; ok {
			out[id] = pk
		} else {
			missing = append(missing, id)
		}
	}
	s.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT pk, id FROM tenants WHERE id = ANY($1)`, missing)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pk int64
		var id uuid.UUID
		if err := rows.Scan(&pk, &id); err != nil {
			return nil, translate(err)
		}
		s.remember(id, pk)
		out[id] = pk
	}
	return out, translate(rows.Err())
}

// tenantID maps a pk to its tenant id.
func (s *Store) tenantID(ctx context.Context, pk int64) (uuid.UUID, error) {
	s.mu.Lock()
	id, ok := s.ids[pk]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	if err := s.pool.QueryRow(ctx, `SELECT id FROM tenants WHERE pk = $1`, pk).Scan(&id); err != nil {
		return uuid.Nil, translate(err)
	}
	s.remember(id, pk)
	return id, nil
}

// scopePKs maps the tenants of a scope to pks, leaving out unknown ones.
func (s *Store) scopePKs(ctx context.Context, tenants []uuid.UUID) ([]int64, error) {
	m, err := s.tenantPKs(ctx, tenants)
	if err != nil {
		return nil, err
	}
	pks := make([]int64, 0, len(m))
	for _, t := range tenants {
		if pk, ok := m[t]; ok {
			pks = append(pks, pk)
		}
	}
	return pks, nil
}

// Secret implements store.Store.
func (s *Store) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, translate(err)
	}
	nv, err := gen()
	if err != nil {
		return nil, err
	}
	// Insert if absent, then read: a concurrent caller's value, committed
	// first, is the one everybody gets.
	if _, err := s.pool.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, nv); err != nil {
		return nil, translate(err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, translate(err)
	}
	return v, nil
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// dbTime is t as PostgreSQL keeps it: microseconds. Truncating here rather
// than letting the server round keeps a value equal to what SQLite stores.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
