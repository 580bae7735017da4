package postgres_test

import (
	"testing"

	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return pgtest.Open(t) })
}
