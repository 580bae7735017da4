package postgres

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// CreateKey implements store.Store.
func (s *Store) CreateKey(ctx context.Context, k *store.Key) error {
	pks, err := s.tenantPKs(ctx, []uuid.UUID{k.TenantID})
	if err != nil {
		return err
	}
	pk, ok := pks[k.TenantID]
	if !ok {
		return fmt.Errorf("tenant %s: %w", k.TenantID, event.ErrNotFound)
	}
	scopes := k.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	ips := make([]string, len(k.AllowIPs))
	for i, p := range k.AllowIPs {
		ips[i] = p.String()
	}
	_, err = s.pool.Exec(ctx,
		`INSERT INTO api_keys (id, tenant_pk, name, prefix, hash, scopes, allow_ips, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, pk, k.Name, k.Prefix, k.Hash, scopes, ips, dbTime(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("key: %w", translate(err))
	}
	return nil
}

const keyColumns = `k.id, t.id, k.name, k.prefix, k.hash, k.scopes, k.allow_ips, k.created_at, k.revoked_at`

const keyFrom = ` FROM api_keys k JOIN tenants t ON t.pk = k.tenant_pk`

func scanKey(row pgx.Row) (store.Key, error) {
	var k store.Key
	var ips []string
	var revoked *time.Time
	if err := row.Scan(&k.ID, &k.TenantID, &k.Name, &k.Prefix, &k.Hash, &k.Scopes, &ips, &k.CreatedAt, &revoked); err != nil {
		return k, translate(err)
	}
	if len(k.Scopes) == 0 {
		k.Scopes = nil
	}
	for _, f := range ips {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return k, fmt.Errorf("stored allow-list entry %q: %w", f, err)
		}
		k.AllowIPs = append(k.AllowIPs, p)
	}
	k.CreatedAt = k.CreatedAt.UTC()
	if revoked != nil {
		k.RevokedAt = revoked.UTC()
	}
	return k, nil
}

// KeyByHash implements store.Store.
func (s *Store) KeyByHash(ctx context.Context, hash []byte) (store.Key, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+keyFrom+` WHERE k.hash = $1`, hash))
	if err != nil {
		return k, fmt.Errorf("key: %w", err)
	}
	return k, nil
}

// Keys implements store.Store.
func (s *Store) Keys(ctx context.Context, tenant uuid.UUID) ([]store.Key, error) {
	q := `SELECT ` + keyColumns + keyFrom
	var args []any
	if tenant != uuid.Nil {
		q += ` WHERE t.id = $1`
		args = append(args, tenant)
	}
	rows, err := s.pool.Query(ctx, q+` ORDER BY k.created_at, k.id`, args...)
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
	var found bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, dbTime(at), id)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		found = true
		// Every serve process on this database drops the key from its
		// cache when this commits.
		return notifyKeys(ctx, tx, id.String())
	})
	if err != nil {
		return translate(err)
	}
	if !found {
		return fmt.Errorf("key %s: %w", id, event.ErrNotFound)
	}
	s.watchers.Tell(store.Change{Key: id})
	return nil
}
