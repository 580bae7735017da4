package postgres

import (
	"context"

	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/sqlbuild"
)

// Internals that the external tests check.
var (
	Translate    = translate
	IdemQuery    = idemQuery
	SubtreeQuery = subtreeQuery
)

// FindQuery is the SQL and arguments Find runs over the tenants pks.
func FindQuery(pks []int64, q *store.Query) (string, []any) {
	b := findQuery(pks, q)
	return b.SQL(), b.Args()
}

// EventQuery is the SQL and arguments Event runs over the tenants pks.
func EventQuery(pks []int64, ref store.EventRef) (string, []any) {
	b := eventQuery(pks, ref)
	return b.SQL(), b.Args()
}

// ShapeQuery is the SQL and arguments of a query shape's page (or count)
// over the query's tenants.
func ShapeQuery(ctx context.Context, s *Store, q *store.Query, count bool) (string, []any, error) {
	pks, err := s.scopePKs(ctx, q.Tenants)
	if err != nil {
		return "", nil, err
	}
	b := findQuery(pks, q)
	if count {
		b = sqlbuild.Count(dialect, pks, &q.Filter)
	}
	return b.SQL(), b.Args(), nil
}
