package notary_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/notary"
	"github.com/auditkeep/auditkeep/internal/store"
)

// eventColumns is the event log's columns, in the order both engines
// declare them.
var eventColumns = []string{"id", "tenant_pk", "seq", "uuid", "recorded_at", "occurred_at", "idempotency_key",
	"category", "action", "action_type", "status", "level", "summary", "details",
	"actor_type", "actor_id", "actor_name", "actor_email", "target_type", "target_id", "targets",
	"subject_type", "subject_id", "external_ref", "context", "request_id", "session_id", "channel", "source",
	"changes", "reason", "labels", "metadata", "payload_digest", "leaf_hash"}

// engineSQL holds the expressions that differ between the engines.
type engineSQL struct {
	plusMicro, randomUUID, metadata, rehash func(col string) string
	tenantPK                                func(id uuid.UUID) string
}

var engines = map[string]engineSQL{
	"sqlite": {
		plusMicro:  func(c string) string { return c + " + 1" },
		randomUUID: func(string) string { return "randomblob(16)" },
		metadata:   func(c string) string { return "replace(" + c + ", 'value-', 'valuf-')" },
		rehash:     func(string) string { return "randomblob(32)" },
		tenantPK:   func(id uuid.UUID) string { return fmt.Sprintf("(SELECT pk FROM tenants WHERE id = x'%x')", id[:]) },
	},
	"postgres": {
		plusMicro:  func(c string) string { return c + " + interval '1 microsecond'" },
		randomUUID: func(string) string { return "gen_random_uuid()" },
		metadata: func(c string) string {
			return "convert_to(replace(convert_from(" + c + ", 'UTF8'), 'value-', 'valuf-'), 'UTF8')"
		},
		rehash:   func(c string) string { return "sha256(" + c + ")" },
		tenantPK: func(id uuid.UUID) string { return fmt.Sprintf("(SELECT pk FROM tenants WHERE id = '%s')", id) },
	},
}

// mutation is one change made behind the service's back, how to undo it
// exactly, and the event the verification must name.
type mutation struct {
	name    string
	tenant  uuid.UUID
	backup  []int64  // ids of the rows to restore afterwards
	stmts   []string // the change
	after   []int64  // ids of the rows the change leaves in place of backup
	wantSeq int64    // the seq the failure names (or the first missing one)
	wantID  int64    // the event id it names; 0 when it names a missing seq
}

func (m *mutation) apply() []string {
	s := []string{"DELETE FROM mut_backup"}
	if len(m.backup) > 0 {
		s = append(s, "INSERT INTO mut_backup SELECT * FROM event_log WHERE id IN ("+ids(m.backup)+")")
	}
	return append(s, m.stmts...)
}

func (m *mutation) undo() []string {
	return []string{"DELETE FROM event_log WHERE id IN (" + ids(m.after) + ")", "INSERT INTO event_log SELECT * FROM mut_backup"}
}

func ids(xs []int64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// mutator draws random mutations of a corpus.
type mutator struct {
	rnd     *rand.Rand
	sql     engineSQL
	tenants []uuid.UUID
	events  map[uuid.UUID][]event.JSON
	spare   uuid.UUID // a tenant without events
	forged  int64     // the next forged event id
}

// textColumns are hashed text columns every corpus event has non-empty.
var textColumns = []string{"action", "category", "summary", "details", "actor_type", "actor_id", "actor_name", "actor_email",
	"subject_type", "subject_id", "external_ref", "context", "request_id", "session_id", "channel", "source", "reason", "idempotency_key"}

func (mu *mutator) next() mutation {
	t := mu.tenants[mu.rnd.IntN(len(mu.tenants))]
	evs := mu.events[t]
	size := int64(len(evs))
	pick := func() (int64, int64) {
		e := evs[mu.rnd.IntN(len(evs))]
		return e.ID, *e.Seq
	}
	edit := func(name, set string) mutation {
		id, seq := pick()
		return mutation{name: name, tenant: t, backup: []int64{id}, after: []int64{id},
			stmts: []string{fmt.Sprintf("UPDATE event_log SET %s WHERE id = %d", set, id)}, wantSeq: seq, wantID: id}
	}
	// gone is a change after which seq is missing from the log.
	gone := func(name string, stmt func(id int64) string) mutation {
		id, seq := pick()
		return mutation{name: name, tenant: t, backup: []int64{id}, after: []int64{id},
			stmts: []string{stmt(id)}, wantSeq: seq}
	}
	two := func() (a, b event.JSON) {
		i := mu.rnd.IntN(len(evs) - 1)
		j := i + 1 + mu.rnd.IntN(len(evs)-1-i)
		return evs[i], evs[j]
	}
	switch k := mu.rnd.IntN(16); k {
	case 0, 1, 2:
		c := textColumns[mu.rnd.IntN(len(textColumns))]
		return edit("edit "+c, fmt.Sprintf("%s = %s || 'x'", c, c))
	case 3:
		c := []string{"occurred_at", "recorded_at"}[mu.rnd.IntN(2)]
		return edit("edit "+c, c+" = "+mu.sql.plusMicro(c))
	case 4:
		return edit("edit metadata bytes", "metadata = "+mu.sql.metadata("metadata"))
	case 5:
		c := []string{"labels = replace(labels, 'high', 'hign')", "targets = replace(targets, 'case-', 'casf-')", "changes = replace(changes, 'closed', 'closeD')"}
		return edit("edit JSON column", c[mu.rnd.IntN(len(c))])
	case 6:
		c := []string{
			"action_type = CASE action_type WHEN 'active' THEN 'passive' ELSE 'active' END",
			"status = CASE status WHEN 'success' THEN 'failure' ELSE 'success' END",
			"level = level % 3 + 1",
			"uuid = " + mu.sql.randomUUID("uuid"),
			"payload_digest = " + mu.sql.rehash("payload_digest"),
		}
		return edit("edit enum, uuid or digest", c[mu.rnd.IntN(len(c))])
	case 7:
		// The stored leaf hash alone: the content still matches the
		// checkpoint, and the report says the stored hash was altered.
		return edit("edit leaf_hash", "leaf_hash = "+mu.sql.rehash("leaf_hash"))
	case 8:
		id, seq := pick()
		return mutation{name: "edit id", tenant: t, backup: []int64{id}, after: []int64{id + 1_000_000},
			stmts: []string{fmt.Sprintf("UPDATE event_log SET id = id + 1000000 WHERE id = %d", id)}, wantSeq: seq, wantID: id + 1_000_000}
	case 9:
		return gone("edit seq", func(id int64) string {
			return fmt.Sprintf("UPDATE event_log SET seq = seq + 1000000 WHERE id = %d", id)
		})
	case 10:
		spare := mu.sql.tenantPK(mu.spare)
		return gone("move to another tenant", func(id int64) string {
			return fmt.Sprintf("UPDATE event_log SET tenant_pk = %s WHERE id = %d", spare, id)
		})
	case 11, 12:
		return gone("delete", func(id int64) string { return fmt.Sprintf("DELETE FROM event_log WHERE id = %d", id) })
	case 13:
		a, b := two()
		set := func(to, from int64) string {
			var cols []string
			for _, c := range []string{"action", "summary", "request_id", "metadata"} {
				cols = append(cols, fmt.Sprintf("%s = (SELECT %s FROM mut_backup WHERE id = %d)", c, c, from))
			}
			return fmt.Sprintf("UPDATE event_log SET %s WHERE id = %d", strings.Join(cols, ", "), to)
		}
		return mutation{name: "swap contents", tenant: t, backup: []int64{a.ID, b.ID}, after: []int64{a.ID, b.ID},
			stmts: []string{set(a.ID, b.ID), set(b.ID, a.ID)}, wantSeq: *a.Seq, wantID: a.ID}
	case 14:
		a, b := two()
		return mutation{name: "swap seqs", tenant: t, backup: []int64{a.ID, b.ID}, after: []int64{a.ID, b.ID},
			stmts: []string{
				fmt.Sprintf("UPDATE event_log SET seq = -1 WHERE id = %d", a.ID),
				fmt.Sprintf("UPDATE event_log SET seq = %d WHERE id = %d", *a.Seq, b.ID),
				fmt.Sprintf("UPDATE event_log SET seq = %d WHERE id = %d", *b.Seq, a.ID),
			}, wantSeq: *a.Seq, wantID: b.ID}
	default:
		// A forged row at the end of the log, copied from a real one, with
		// the copy's stale leaf hash or none at all.
		src, _ := pick()
		mu.forged++
		id := mu.forged
		leaf := []string{"leaf_hash", "NULL"}[mu.rnd.IntN(2)]
		cols := make([]string, len(eventColumns))
		for i, c := range eventColumns {
			switch c {
			case "id":
				cols[i] = fmt.Sprint(id)
			case "seq":
				cols[i] = fmt.Sprint(size)
			case "uuid":
				cols[i] = mu.sql.randomUUID(c)
			case "idempotency_key":
				cols[i] = "NULL"
			case "leaf_hash":
				cols[i] = leaf
			default:
				cols[i] = c
			}
		}
		stmt := fmt.Sprintf("INSERT INTO event_log (%s) SELECT %s FROM event_log WHERE id = %d",
			strings.Join(eventColumns, ", "), strings.Join(cols, ", "), src)
		return mutation{name: "insert forged event (leaf " + leaf + ")", tenant: t, after: []int64{id},
			stmts: []string{stmt}, wantSeq: size, wantID: id}
	}
}

// named is the seq a failure points at: its event's, or for a log cut
// short the first missing one.
func named(f *ledger.Failure) int64 {
	if f.Seq < 0 {
		return f.From
	}
	return f.Seq
}

// TestMutations is the ledger's main promise: any change to the events
// made behind the service's back, however the guards were bypassed, is
// found by the live verification `auditkeep verify` runs, which names the
// first changed event; undoing the change exactly makes the log verify
// again.
func TestMutations(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		s := apitest.New(t, engine)
		var tenants []store.Tenant
		for i := range 3 {
			tenants = append(tenants, s.Tenant(fmt.Sprintf("tenant %d", i), "merchant", "", uuid.Nil))
		}
		spare := s.Tenant("spare", "merchant", "", uuid.Nil)
		// 300 events in one tenant cross a complete tile; the others stay
		// inside the first.
		events := fill(t, s, tenants[:1], 300)
		for id, evs := range fill(t, s, tenants[1:], 100) {
			events[id] = evs
		}
		st := s.App.Store
		verifiers, _, err := notary.StoreVerifiers(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		tm := apitest.NewTamperer(t, s.DB)
		if err := tm.Exec(ctx, "CREATE TABLE mut_backup AS SELECT * FROM event_log WHERE 1 = 0"); err != nil {
			t.Fatal(err)
		}

		t.Run("guards refuse", func(t *testing.T) { testGuards(t, tm) })

		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		mu := &mutator{rnd: rand.New(rand.NewPCG(seed, 1)), sql: engines[engine], spare: spare.ID, events: events, forged: 10_000_000}
		for _, tn := range tenants {
			mu.tenants = append(mu.tenants, tn.ID)
		}
		counts := map[string]int{}
		const rounds = 240
		for i := range rounds {
			m := mu.next()
			counts[m.name]++
			if err := tm.Exec(ctx, m.apply()...); err != nil {
				t.Fatalf("mutation %d (%s): %v", i, m.name, err)
			}
			rep, err := notary.VerifyTenant(ctx, st, m.tenant, verifiers)
			switch {
			case err != nil:
				t.Fatalf("mutation %d (%s): verify: %v", i, m.name, err)
			case rep.OK():
				t.Fatalf("mutation %d (%s) of seq %d went unnoticed: %s", i, m.name, m.wantSeq, rep)
			case named(rep.Failure) != m.wantSeq || (m.wantID != 0 && rep.Failure.EventID != m.wantID):
				t.Fatalf("mutation %d (%s) of seq %d (id %d): report names seq %d (id %d): %v",
					i, m.name, m.wantSeq, m.wantID, named(rep.Failure), rep.Failure.EventID, rep.Failure)
			}
			if i%60 == 0 {
				// Now and then through VerifyAll too, as `auditkeep verify`
				// without --tenant runs it.
				ok, err := notary.VerifyAll(ctx, st, verifiers, func(uuid.UUID, ledger.Report, error) {})
				if err != nil || ok {
					t.Fatalf("mutation %d (%s): VerifyAll = %v, %v", i, m.name, ok, err)
				}
			}
			if err := tm.Exec(ctx, m.undo()...); err != nil {
				t.Fatalf("undo mutation %d (%s): %v", i, m.name, err)
			}
			rep, err = notary.VerifyTenant(ctx, st, m.tenant, verifiers)
			if err != nil || !rep.OK() || rep.Events != int64(len(events[m.tenant])) {
				t.Fatalf("after undoing mutation %d (%s): %v %s", i, m.name, err, rep)
			}
		}
		ok, err := notary.VerifyAll(ctx, st, verifiers, func(uuid.UUID, ledger.Report, error) {})
		if err != nil || !ok {
			t.Fatalf("after all mutations: VerifyAll = %v, %v", ok, err)
		}
		t.Logf("%d mutations: %v", rounds, counts)
	})
}

// testGuards checks the append-only guards refuse changes made on an
// ordinary connection, and that nothing changed.
func testGuards(t *testing.T, tm *apitest.Tamperer) {
	ctx := context.Background()
	stmts := []string{
		"UPDATE event_log SET action = 'x' WHERE id = (SELECT MIN(id) FROM event_log)",
		"UPDATE event_log SET leaf_hash = leaf_hash",
		"DELETE FROM event_log WHERE id = (SELECT MAX(id) FROM event_log)",
		"UPDATE ledger_tiles SET data = data",
		"DELETE FROM ledger_tiles",
		"UPDATE ledger_checkpoints SET size = size + 1",
		"DELETE FROM ledger_checkpoints",
	}
	if tm.Engine == "postgres" {
		stmts = append(stmts, "TRUNCATE event_log", "TRUNCATE ledger_tiles", "TRUNCATE ledger_checkpoints")
	}
	count := func() string {
		var b strings.Builder
		for _, tbl := range []string{"event_log", "ledger_tiles", "ledger_checkpoints"} {
			n, err := tm.Int(ctx, "SELECT COUNT(*) FROM "+tbl)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s=%d ", tbl, n)
		}
		return b.String()
	}
	before := count()
	if !strings.Contains(before, "ledger_tiles=") || strings.Contains(before, "ledger_tiles=0 ") {
		t.Fatalf("no tiles to guard: %s", before)
	}
	for _, stmt := range stmts {
		if err := tm.Guarded(ctx, stmt); err == nil {
			t.Errorf("%s: the guards let it through", stmt)
		}
	}
	if after := count(); after != before {
		t.Errorf("rows changed: before %s, after %s", before, after)
	}
}
