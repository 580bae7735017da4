package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// CreateTenant implements store.Store.
func (s *Store) CreateTenant(ctx context.Context, t *store.Tenant) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	parentPath := "/"
	var parentPK sql.NullInt64
	if t.Parent != uuid.Nil {
		if err := tx.QueryRowContext(ctx, `SELECT pk, path FROM tenants WHERE id = ?`, t.Parent[:]).Scan(&parentPK, &parentPath); err != nil {
			return fmt.Errorf("parent tenant %s: %w", t.Parent, translate(err))
		}
	}
	var pk int64
	err = tx.QueryRowContext(ctx,
		`INSERT INTO tenants (id, name, kind, ref, parent_pk, path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING pk`,
		t.ID[:], t.Name, t.Kind, nullString(t.Ref), parentPK, "pending:"+t.ID.String(), micros(t.CreatedAt)).Scan(&pk)
	if err != nil {
		return fmt.Errorf("tenant: %w", translate(err))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tenants SET path = ? WHERE pk = ?`, parentPath+strconv.FormatInt(pk, 10)+"/", pk); err != nil {
		return translate(err)
	}
	if err := tx.Commit(); err != nil {
		return translate(err)
	}
	s.remember(t.ID, pk)
	s.watchers.Tell(store.Change{All: true})
	return nil
}

const tenantColumns = `t.pk, t.id, t.name, t.kind, COALESCE(t.ref, ''), COALESCE(p.id, X''), t.created_at`

func scanTenant(row interface{ Scan(...any) error }) (store.Tenant, int64, error) {
	var t store.Tenant
	var pk, created int64
	var id, parent []byte
	if err := row.Scan(&pk, &id, &t.Name, &t.Kind, &t.Ref, &parent, &created); err != nil {
		return t, 0, translate(err)
	}
	copy(t.ID[:], id)
	if len(parent) == 16 {
		copy(t.Parent[:], parent)
	}
	t.CreatedAt = fromMicros(created)
	return t, pk, nil
}

// Tenant implements store.Store.
func (s *Store) Tenant(ctx context.Context, idOrRef string) (store.Tenant, error) {
	if !event.ValidText(idOrRef) {
		// No id or ref is such text; asking for one finds nothing.
		return store.Tenant{}, fmt.Errorf("tenant: %w", event.ErrNotFound)
	}
	q := `SELECT ` + tenantColumns + ` FROM tenants t LEFT JOIN tenants p ON p.pk = t.parent_pk WHERE `
	var row *sql.Row
	// Refs are matched without regard to ASCII case, through the index on
	// lower(ref) (migration 00005); lower() of SQLite folds ASCII only.
	if id, err := uuid.Parse(idOrRef); err == nil {
		row = s.reader.QueryRowContext(ctx, q+`t.id = ? OR lower(t.ref) = lower(?) ORDER BY t.id = ? DESC LIMIT 1`, id[:], idOrRef, id[:])
	} else {
		row = s.reader.QueryRowContext(ctx, q+`lower(t.ref) = lower(?)`, idOrRef)
	}
	t, pk, err := scanTenant(row)
	if err != nil {
		return t, fmt.Errorf("tenant %q: %w", idOrRef, err)
	}
	s.remember(t.ID, pk)
	return t, nil
}

// Tenants implements store.Store.
func (s *Store) Tenants(ctx context.Context) ([]store.Tenant, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+tenantColumns+` FROM tenants t LEFT JOIN tenants p ON p.pk = t.parent_pk ORDER BY t.path`)
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

// Subtree implements store.Store.
func (s *Store) Subtree(ctx context.Context, id uuid.UUID) ([]uuid.UUID, error) {
	// Paths of descendants extend the tenant's; '/' + 1 is '0', so the
	// range [path, path with its final '/' replaced by '0') holds exactly
	// the tenant and its descendants.
	rows, err := s.reader.QueryContext(ctx, `SELECT d.pk, d.id FROM tenants t
		JOIN tenants d ON d.path >= t.path AND d.path < substr(t.path, 1, length(t.path) - 1) || '0'
		WHERE t.id = ? ORDER BY d.path`, id[:])
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var pk int64
		var b []byte
		if err := rows.Scan(&pk, &b); err != nil {
			return nil, translate(err)
		}
		u := uuid.UUID(b)
		s.remember(u, pk)
		ids = append(ids, u)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("tenant %s: %w", id, event.ErrNotFound)
	}
	return ids, nil
}

func (s *Store) remember(id uuid.UUID, pk int64) {
	s.mu.Lock()
	s.tenants[id] = pk
	s.ids[pk] = id
	s.mu.Unlock()
}

// tenantPKs maps tenant ids to pks, reading the ones not yet cached.
// Unknown tenants are left out of the result.
func (s *Store) tenantPKs(ctx context.Context, q querier, ids []uuid.UUID) (map[uuid.UUID]int64, error) {
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
	for _, id := range missing {
		var pk int64
		err := q.QueryRowContext(ctx, `SELECT pk FROM tenants WHERE id = ?`, id[:]).Scan(&pk)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, translate(err)
		}
		s.remember(id, pk)
		out[id] = pk
	}
	return out, nil
}

func (s *Store) tenantID(ctx context.Context, pk int64) (uuid.UUID, error) {
	s.mu.Lock()
	id, ok := s.ids[pk]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	var b []byte
	if err := s.reader.QueryRowContext(ctx, `SELECT id FROM tenants WHERE pk = ?`, pk).Scan(&b); err != nil {
		return uuid.Nil, translate(err)
	}
	id = uuid.UUID(b)
	s.remember(id, pk)
	return id, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// CreateKey implements store.Store.
func (s *Store) CreateKey(ctx context.Context, k *store.Key) error {
	pks, err := s.tenantPKs(ctx, s.writer, []uuid.UUID{k.TenantID})
	if err != nil {
		return err
	}
	pk, ok := pks[k.TenantID]
	if !ok {
		return fmt.Errorf("tenant %s: %w", k.TenantID, event.ErrNotFound)
	}
	_, err = s.writer.ExecContext(ctx,
		`INSERT INTO api_keys (id, tenant_pk, name, prefix, hash, scopes, allow_ips, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID[:], pk, k.Name, k.Prefix, k.Hash, strings.Join(k.Scopes, ","), joinPrefixes(k.AllowIPs), micros(k.CreatedAt))
	return translate(err)
}

const keyColumns = `k.id, t.id, k.name, k.prefix, k.hash, k.scopes, k.allow_ips, k.created_at, k.revoked_at`

func scanKey(row interface{ Scan(...any) error }) (store.Key, error) {
	var k store.Key
	var id, tenant []byte
	var scopes, ips string
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&id, &tenant, &k.Name, &k.Prefix, &k.Hash, &scopes, &ips, &created, &revoked); err != nil {
		return k, translate(err)
	}
	k.ID, k.TenantID = uuid.UUID(id), uuid.UUID(tenant)
	if scopes != "" {
		k.Scopes = strings.Split(scopes, ",")
	}
	var err error
	if k.AllowIPs, err = splitPrefixes(ips); err != nil {
		return k, err
	}
	k.CreatedAt = fromMicros(created)
	if revoked.Valid {
		k.RevokedAt = fromMicros(revoked.Int64)
	}
	return k, nil
}

// KeyByHash implements store.Store.
func (s *Store) KeyByHash(ctx context.Context, hash []byte) (store.Key, error) {
	row := s.reader.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys k JOIN tenants t ON t.pk = k.tenant_pk WHERE k.hash = ?`, hash)
	k, err := scanKey(row)
	if err != nil {
		return k, fmt.Errorf("key: %w", err)
	}
	return k, nil
}

// Keys implements store.Store.
func (s *Store) Keys(ctx context.Context, tenant uuid.UUID) ([]store.Key, error) {
	q := `SELECT ` + keyColumns + ` FROM api_keys k JOIN tenants t ON t.pk = k.tenant_pk`
	var args []any
	if tenant != uuid.Nil {
		q += ` WHERE t.id = ?`
		args = append(args, tenant[:])
	}
	rows, err := s.reader.QueryContext(ctx, q+` ORDER BY k.created_at, k.id`, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var keys []store.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, translate(rows.Err())
}

// RevokeKey implements store.Store. Revoking a revoked key keeps the first
// revocation time.
func (s *Store) RevokeKey(ctx context.Context, id uuid.UUID, at time.Time) error {
	res, err := s.writer.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, micros(at), id[:])
	if err != nil {
		return translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("key %s: %w", id, event.ErrNotFound)
	}
	s.watchers.Tell(store.Change{Key: id})
	return nil
}

// Secret implements store.Store.
func (s *Store) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	var v []byte
	err := s.reader.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if err != sql.ErrNoRows {
		return nil, translate(err)
	}
	nv, err := gen()
	if err != nil {
		return nil, err
	}
	if _, err := s.writer.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, nv); err != nil {
		return nil, translate(err)
	}
	if err := s.writer.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, translate(err)
	}
	return v, nil
}

func joinPrefixes(ps []netip.Prefix) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = p.String()
	}
	return strings.Join(ss, ",")
}

func splitPrefixes(s string) ([]netip.Prefix, error) {
	if s == "" {
		return nil, nil
	}
	var ps []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("stored allow-list entry %q: %w", f, err)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
