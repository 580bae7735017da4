package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/store"
)

// testLedger: appends keep each tenant's Merkle tree (tiles and leaf
// hashes) in step with its events, across groups, tenants and a tile
// boundary; proofs from the stored tiles verify; checkpoints and keys keep.
func testLedger(t *testing.T, st store.Store) {
	ctx := context.Background()
	a := NewTenant(t, st, "ledger a", uuid.Nil)
	b := NewTenant(t, st, "ledger b", uuid.Nil)
	// 600 events of a (past two complete tiles) interleaved with b's, in
	// groups of uneven size.
	var wantA []tlog.Hash
	for i := 0; i < 600; {
		n := 1 + i%37
		var evs []event.Event
		for j := 0; j < n && i < 600; j++ {
			evs = append(evs, NewEvent(t, a.ID, "a"))
			i++
		}
		res, err := st.Append(ctx, []store.AppendRequest{{Events: evs}, {Events: []event.Event{NewEvent(t, b.ID, "b")}}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("append: %v %v", err, res[0].Err)
		}
		for i := range res[0].Events {
			wantA = append(wantA, ledger.LeafHash(&res[0].Events[i]))
		}
	}
	src, size, err := st.LedgerSource(ctx, a.ID)
	if err != nil || size != 600 {
		t.Fatalf("ledger source: size %d, %v", size, err)
	}
	want, err := tlog.TreeHash(600, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		return refHashes(wantA, idx)
	}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ledger.Root(src, 600)
	if err != nil || got != want {
		t.Fatalf("root from stored tiles = %v (%v), want %v", got, err, want)
	}
	tree := tlog.Tree{N: 600, Hash: want}
	for _, idx := range []int64{0, 255, 256, 511, 599} {
		p, err := ledger.InclusionProof(src, tree, idx)
		if err != nil {
			t.Fatalf("inclusion proof %d: %v", idx, err)
		}
		if err := tlog.CheckRecord(p, 600, want, idx, wantA[idx]); err != nil {
			t.Errorf("inclusion proof %d does not verify: %v", idx, err)
		}
	}
	// The stored leaf hashes are the ones of the events' content.
	var seq int64
	err = st.ScanLedger(ctx, a.ID, 0, func(e *event.Event, leaf []byte) error {
		if e.Seq != seq || tlog.Hash(leaf) != ledger.LeafHash(e) || tlog.Hash(leaf) != wantA[seq] {
			return errors.New("scan out of step")
		}
		seq++
		return nil
	})
	if err != nil || seq != 600 {
		t.Fatalf("scan ledger: %d events, %v", seq, err)
	}

	// Checkpoints.
	for _, n := range []int64{300, 600} {
		cp := store.StoredCheckpoint{Tenant: a.ID, Size: n, Root: want, Time: time.Now().UTC().Truncate(time.Microsecond), Note: []byte("note")}
		if err := st.PutCheckpoint(ctx, cp); err != nil {
			t.Fatal(err)
		}
		if err := st.PutCheckpoint(ctx, cp); err != nil {
			t.Errorf("storing a checkpoint twice: %v", err)
		}
	}
	latest, err := st.Checkpoints(ctx, a.ID, 0, true)
	if err != nil || len(latest) != 1 || latest[0].Size != 600 || latest[0].Root != want {
		t.Errorf("latest checkpoint = %+v, %v", latest, err)
	}
	if all, _ := st.Checkpoints(ctx, a.ID, 0, false); len(all) != 2 || all[0].Size != 300 {
		t.Errorf("all checkpoints = %+v", all)
	}
	if one, _ := st.Checkpoints(ctx, a.ID, 300, false); len(one) != 1 {
		t.Errorf("checkpoint of size 300 = %+v", one)
	}
	if none, _ := st.Checkpoints(ctx, b.ID, 0, true); len(none) != 0 {
		t.Errorf("b has checkpoints %+v", none)
	}
	for _, tc := range []struct {
		after int64
		limit int
		want  []int64
	}{
		{0, 10, []int64{300, 600}},
		{0, 1, []int64{300}},
		{299, 1, []int64{300}},
		{300, 10, []int64{600}},
		{600, 10, nil},
	} {
		page, err := st.CheckpointPage(ctx, a.ID, tc.after, tc.limit)
		var sizes []int64
		for _, cp := range page {
			sizes = append(sizes, cp.Size)
			if cp.Tenant != a.ID || cp.Root != want || len(cp.Note) == 0 {
				t.Errorf("CheckpointPage(after %d) row %+v", tc.after, cp)
			}
		}
		if err != nil || !slices.Equal(sizes, tc.want) {
			t.Errorf("CheckpointPage(after %d, limit %d) = %v, %v; want %v", tc.after, tc.limit, sizes, err, tc.want)
		}
	}
	if none, err := st.CheckpointPage(ctx, b.ID, 0, 10); err != nil || len(none) != 0 {
		t.Errorf("CheckpointPage of b = %+v, %v", none, err)
	}
	sizes, err := st.LedgerSizes(ctx)
	if err != nil || sizes[a.ID] != 600 || sizes[b.ID] < 1 {
		t.Errorf("ledger sizes = %v, %v", sizes, err)
	}

	// Keys.
	k := store.LedgerKey{ID: "k1", VKey: "auditkeep+abcd+x", Sealed: []byte("sealed"), CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := st.PutLedgerKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := st.RetireLedgerKey(ctx, "k1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.RetireLedgerKey(ctx, "nope", time.Now()); !errors.Is(err, event.ErrNotFound) {
		t.Errorf("retire unknown key: %v", err)
	}
	keys, err := st.LedgerKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].RetiredAt.IsZero() || string(keys[0].Sealed) != "sealed" {
		t.Errorf("keys = %+v, %v", keys, err)
	}
}

func refHashes(leaves []tlog.Hash, indexes []int64) ([]tlog.Hash, error) {
	// Recompute stored hashes from the leaves, as tlog numbers them.
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		level, n := tlog.SplitStoredHashIndex(idx)
		lo, hi := n<<uint(level), (n+1)<<uint(level)
		out[i] = subtree(leaves[lo:hi])
	}
	return out, nil
}

func subtree(leaves []tlog.Hash) tlog.Hash {
	if len(leaves) == 1 {
		return leaves[0]
	}
	half := len(leaves) / 2
	return tlog.NodeHash(subtree(leaves[:half]), subtree(leaves[half:]))
}
