package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"
)

// memSource is an in-memory TileSource: the leaf hashes of a log and its
// complete tiles, built with a Tail. Reads are counted.
type memSource struct {
	height int
	leaves []tlog.Hash
	tiles  map[tileKey][]byte

	fullCalls, fullTiles, leafCalls atomic.Int64
}

func newMemSource(height int, leaves []tlog.Hash) *memSource {
	s := &memSource{height: height, tiles: make(map[tileKey][]byte)}
	t := newTail(height)
	for _, l := range leaves {
		s.add(t, l)
	}
	return s
}

func (s *memSource) add(t *Tail, leaf tlog.Hash) {
	s.leaves = append(s.leaves, leaf)
	for _, tile := range t.Append(leaf) {
		s.tiles[tileKey{tile.Level, tile.Index}] = tile.Data
	}
}

func (s *memSource) FullTiles(level int, from, to int64) ([][]byte, error) {
	s.fullCalls.Add(1)
	s.fullTiles.Add(to - from)
	out := make([][]byte, 0, to-from)
	for n := from; n < to; n++ {
		d, ok := s.tiles[tileKey{level, n}]
		if !ok {
			return nil, fmt.Errorf("tile %d/%d: not found", level, n)
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *memSource) LeafHashes(from, to int64) ([]tlog.Hash, error) {
	s.leafCalls.Add(1)
	if from < 0 || to > int64(len(s.leaves)) || from > to {
		return nil, fmt.Errorf("leaves [%d,%d): not found", from, to)
	}
	return s.leaves[from:to], nil
}

// refHashes is the reference tree: every stored hash of the log in tlog's
// own layout, built with tlog.StoredHashesForRecordHash.
type refHashes []tlog.Hash

func (r refHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(r)) {
			return nil, fmt.Errorf("reference hash %d not stored", x)
		}
		out[i] = r[x]
	}
	return out, nil
}

func buildRef(t tb, leaves []tlog.Hash) refHashes {
	t.Helper()
	var ref refHashes
	for n, l := range leaves {
		hs, err := tlog.StoredHashesForRecordHash(int64(n), l, ref)
		if err != nil {
			t.Fatal(err)
		}
		ref = append(ref, hs...)
	}
	return ref
}

// tb is what the helpers need of a *testing.T or a *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// testLeaves returns n deterministic, distinct leaf hashes.
func testLeaves(n int) []tlog.Hash {
	out := make([]tlog.Hash, n)
	var b [8]byte
	for i := range out {
		binary.BigEndian.PutUint64(b[:], uint64(i))
		out[i] = tlog.RecordHash(b[:])
	}
	return out
}

var (
	sharedOnce   sync.Once
	sharedLeaves []tlog.Hash
	sharedRef    refHashes
)

// shared returns the first n leaves of one log, and the reference tree of
// the whole log, built once for all tests. A prefix of a log is a log, and
// a reference tree serves every smaller size too.
func shared(t tb, n int) ([]tlog.Hash, refHashes) {
	const max = 5000
	if n > max {
		t.Fatalf("shared log has only %d leaves", max)
	}
	sharedOnce.Do(func() {
		sharedLeaves = testLeaves(max)
		sharedRef = buildRef(t, sharedLeaves)
	})
	return sharedLeaves[:n], sharedRef
}

var testTenant = uuid.MustParse("0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c")

// testEvents returns n committed events of one tenant with every kind of
// field filled in somewhere.
func testEvents(n int, tenant uuid.UUID) []*event.Event {
	base := time.Date(2024, 6, 12, 9, 14, 33, 123456000, time.UTC)
	out := make([]*event.Event, n)
	for i := range out {
		at := base.Add(time.Duration(i) * 1500 * time.Millisecond)
		digest := sha256.Sum256([]byte(fmt.Sprintf("payload %d", i)))
		e := &event.Event{
			IdempotencyKey: fmt.Sprintf("idem-%d", i),
			UUID:           uuid.NewSHA1(tenant, []byte(fmt.Sprint(i))),
			OccurredAt:     at,
			Category:       []string{"Identity", "Cpr", "Kyc"}[i%3],
			Action:         []string{"evaluation", "STATUS_CHANGED", "create", "lookup"}[i%4],
			ActionType:     []event.ActionType{event.Active, event.Passive}[i%2],
			Status:         []event.Status{event.Success, event.Failure, event.Info}[i%3],
			Level:          1 + i%3,
			Summary:        fmt.Sprintf("Case %d reviewed — «ok» \"quoted\"", i),
			Actor:          event.Actor{Type: "user", ID: fmt.Sprint(1000 + i%7), Name: "Åse Nørgaard", Email: "ase@example.com"},
			ExternalRef:    fmt.Sprintf("cust-%d", i%11),
			Context:        "player-login",
			RequestID:      fmt.Sprintf("req-%d", i),
			Channel:        "API",
			Source:         "kyc-service",
			ID:             int64(1000 + 3*i),
			Seq:            int64(i),
			TenantID:       tenant,
			RecordedAt:     at.Add(250 * time.Microsecond),
		}
		if i%2 == 0 {
			e.Targets = []event.Target{{Type: "kyc_answer", ID: fmt.Sprint(i)}, {Type: "kyc_case", ID: "42", Name: "Case 42"}}
			e.Labels = map[string]string{"workflow_name": "onboarding", "risk_level": []string{"low", "high"}[i%4/2]}
			e.Changes = []event.Change{{Field: "status", Old: json.RawMessage(`"open"`), New: json.RawMessage(`"closed"`)}, {Field: "note", New: json.RawMessage(`{"a":[1,2.5,null]}`)}}
		}
		if i%3 == 0 {
			e.Subject = event.Subject{Type: "person", ID: fmt.Sprintf("p-%d", i%13)}
			e.Metadata = json.RawMessage(`{"functionName":"check","n":12,"nested":{"k":"v\n"}}`)
			e.PayloadDigest = digest[:]
			e.Details = "line one\nline two\ttabbed"
			e.Reason = "requested by auditor"
			e.SessionID = "sess-1"
		}
		// As ingest would have it: canonical metadata, defaults filled.
		if err := event.Normalize(e, at); err != nil {
			panic(err)
		}
		out[i] = e
	}
	return out
}

func leavesOf(events []*event.Event) []tlog.Hash {
	out := make([]tlog.Hash, len(events))
	for i, e := range events {
		out[i] = LeafHash(e)
	}
	return out
}

// checkpointsAt returns unsigned checkpoints of events at the given sizes.
func checkpointsAt(t tb, events []*event.Event, sizes ...int64) []Checkpoint {
	t.Helper()
	tail := NewTail()
	var out []Checkpoint
	at := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, size := range sizes {
		for tail.Size() < size {
			tail.Append(LeafHash(events[tail.Size()]))
		}
		if tail.Size() != size {
			t.Fatalf("checkpoint sizes must increase: %v", sizes)
		}
		out = append(out, Checkpoint{Origin: Origin("", events[0].TenantID), Size: size, Root: tail.Root(), Time: at.Add(time.Duration(size) * time.Second)})
	}
	return out
}
