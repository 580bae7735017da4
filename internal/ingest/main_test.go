package ingest_test

import (
	"testing"

	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
