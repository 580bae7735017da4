package ledger

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
	"pgregory.net/rapid"
)

func treeOf(t tb, ref refHashes, n int64) tlog.Tree {
	t.Helper()
	h, err := tlog.TreeHash(n, ref)
	if err != nil {
		t.Fatal(err)
	}
	return tlog.Tree{N: n, Hash: h}
}

// TestProofsEverySize checks every inclusion proof and every consistency
// proof of trees whose sizes straddle tile boundaries, at a small height
// (several tile levels) and at the production one.
func TestProofsEverySize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		height int
		sizes  []int64
	}{
		{2, []int64{1, 2, 3, 4, 5, 15, 16, 17, 63, 64, 65, 100, 257, 1000}},
		{8, []int64{1, 2, 3, 255, 256, 257, 511, 512, 1000, 2047, 3001}},
	} {
		leaves, ref := shared(t, 5000)
		mem := newMemSource(tc.height, leaves)
		src := NewTileCache(64).Source("log", mem)
		for _, n := range tc.sizes {
			tree := treeOf(t, ref, n)
			for i := range n {
				p, err := inclusionProof(src, tree, i, tc.height)
				if err != nil {
					t.Fatalf("h=%d n=%d: InclusionProof(%d): %v", tc.height, n, i, err)
				}
				if err := tlog.CheckRecord(p, n, tree.Hash, i, leaves[i]); err != nil {
					t.Fatalf("h=%d n=%d: proof of %d does not verify: %v", tc.height, n, i, err)
				}
			}
			for m := int64(0); m <= n; m++ {
				p, err := consistencyProof(src, tree, m, tc.height)
				if err != nil {
					t.Fatalf("h=%d n=%d: ConsistencyProof(%d): %v", tc.height, n, m, err)
				}
				old := Checkpoint{Origin: "o", Size: m, Root: treeOf(t, ref, m).Hash}
				cur := Checkpoint{Origin: "o", Size: n, Root: tree.Hash}
				if err := CheckConsistency(old, cur, p); err != nil {
					t.Fatalf("h=%d n=%d: consistency from %d does not verify: %v", tc.height, n, m, err)
				}
			}
		}
	}
}

// TestProofsProperty checks random proofs at random sizes, without and
// with a cache, and that altering any hash, the leaf or the root breaks them.
func TestProofsProperty(t *testing.T) {
	t.Parallel()
	leaves, ref := shared(t, 5000)
	mems := map[int]*memSource{}
	for _, h := range testHeights {
		mems[h] = newMemSource(h, leaves)
	}
	cache := NewTileCache(8)
	rapid.Check(t, func(rt *rapid.T) {
		h := rapid.SampledFrom(testHeights).Draw(rt, "height")
		n := rapid.Int64Range(1, 5000).Draw(rt, "n")
		i := rapid.Int64Range(0, n-1).Draw(rt, "index")
		m := rapid.Int64Range(1, n).Draw(rt, "old size")
		var src TileSource = mems[h]
		if rapid.Bool().Draw(rt, "cached") {
			src = cache.Source(string(rune('a'+h)), src)
		}
		tree := treeOf(rt, ref, n)
		cp := Checkpoint{Origin: "o", Size: n, Root: tree.Hash}
		old := Checkpoint{Origin: "o", Size: m, Root: treeOf(rt, ref, m).Hash}

		rp, err := inclusionProof(src, tree, i, h)
		if err != nil {
			rt.Fatal(err)
		}
		if err := CheckInclusion(cp, leaves[i], i, rp); err != nil {
			rt.Fatal(err)
		}
		tp, err := consistencyProof(src, tree, m, h)
		if err != nil {
			rt.Fatal(err)
		}
		if err := CheckConsistency(old, cp, tp); err != nil {
			rt.Fatal(err)
		}
		if got, err := root(src, m, h); err != nil || got != old.Root {
			rt.Fatalf("Root(%d) = %v, %v; want %v", m, got, err, old.Root)
		}

		for k := range rp {
			bad := append(tlog.RecordProof{}, rp...)
			bad[k][k%32] ^= 1
			if err := CheckInclusion(cp, leaves[i], i, bad); !errors.Is(err, ErrProof) {
				rt.Fatalf("inclusion proof with hash %d altered: %v", k, err)
			}
		}
		if err := CheckInclusion(cp, leaves[(i+1)%5000], i, rp); err == nil && leaves[(i+1)%5000] != leaves[i] {
			rt.Fatal("inclusion proof verifies another leaf")
		}
		if n > 1 {
			if err := CheckInclusion(cp, leaves[i], (i+1)%n, rp); err == nil {
				rt.Fatal("inclusion proof verifies at another index")
			}
		}
		alteredRoot := cp
		alteredRoot.Root[0] ^= 1
		if err := CheckInclusion(alteredRoot, leaves[i], i, rp); err == nil {
			rt.Fatal("inclusion proof verifies against an altered root")
		}
		for k := range tp {
			bad := append(tlog.TreeProof{}, tp...)
			bad[k][31-k%32] ^= 0x80
			if err := CheckConsistency(old, cp, bad); !errors.Is(err, ErrProof) {
				rt.Fatalf("consistency proof with hash %d altered: %v", k, err)
			}
		}
		if m < n {
			alteredOld := old
			alteredOld.Root[5] ^= 4
			if err := CheckConsistency(alteredOld, cp, tp); err == nil {
				rt.Fatal("consistency proof verifies an altered old root")
			}
			if err := CheckConsistency(old, alteredRoot, tp); err == nil {
				rt.Fatal("consistency proof verifies an altered new root")
			}
		}
	})
}

func TestCheckConsistencyEdges(t *testing.T) {
	t.Parallel()
	_, ref := shared(t, 10)
	r5, r7 := treeOf(t, ref, 5).Hash, treeOf(t, ref, 7).Hash
	empty := Checkpoint{Origin: "o", Size: 0, Root: emptyRoot()}
	c5 := Checkpoint{Origin: "o", Size: 5, Root: r5}
	c7 := Checkpoint{Origin: "o", Size: 7, Root: r7}
	for _, tc := range []struct {
		name     string
		old, new Checkpoint
		proof    tlog.TreeProof
		ok       bool
	}{
		{"empty to any", empty, c5, nil, true},
		{"same", c5, c5, nil, true},
		{"bad empty root", Checkpoint{Origin: "o"}, c5, nil, false},
		{"same size other root", c5, Checkpoint{Origin: "o", Size: 5, Root: r7}, nil, false},
		{"shrinks", c7, c5, nil, false},
		{"other origin", c5, Checkpoint{Origin: "p", Size: 7, Root: r7}, nil, false},
		{"missing proof", c5, c7, nil, false},
	} {
		err := CheckConsistency(tc.old, tc.new, tc.proof)
		if (err == nil) != tc.ok {
			t.Errorf("%s: CheckConsistency = %v", tc.name, err)
		}
	}
	if err := CheckInclusion(c5, r5, 5, nil); err == nil {
		t.Error("CheckInclusion past the tree: no error")
	}
}

func TestProofArgumentErrors(t *testing.T) {
	t.Parallel()
	leaves, ref := shared(t, 300)
	src := newMemSource(TileHeight, leaves)
	tree := treeOf(t, ref, 300)
	if _, err := InclusionProof(src, tree, 300); err == nil {
		t.Error("InclusionProof past the tree: no error")
	}
	if _, err := InclusionProof(src, tree, -1); err == nil {
		t.Error("InclusionProof(-1): no error")
	}
	if _, err := ConsistencyProof(src, tree, 301); err == nil {
		t.Error("ConsistencyProof from a bigger tree: no error")
	}
	if p, err := ConsistencyProof(src, tree, 0); err != nil || len(p) != 0 {
		t.Errorf("ConsistencyProof from 0 = %v, %v", p, err)
	}
	if _, err := Root(src, 301); err == nil {
		t.Error("Root past the stored leaves: no error")
	}
	if r, err := Root(src, 0); err != nil || r != emptyRoot() {
		t.Errorf("Root(0) = %v, %v", r, err)
	}
}

// TestProofsRejectTamperedStorage alters stored data and expects proofs to
// fail rather than to be built from it.
func TestProofsRejectTamperedStorage(t *testing.T) {
	t.Parallel()
	leaves, ref := shared(t, 1000)
	tree := treeOf(t, ref, 1000)

	src := newMemSource(TileHeight, leaves)
	tile := bytes.Clone(src.tiles[tileKey{0, 1}])
	tile[40] ^= 1
	src.tiles[tileKey{0, 1}] = tile
	if _, err := InclusionProof(src, tree, 300); err == nil {
		t.Error("proof built from an altered complete tile")
	}
	if _, err := ConsistencyProof(src, tree, 300); err == nil {
		t.Error("consistency proof built from an altered complete tile")
	}

	src = newMemSource(TileHeight, leaves)
	src.leaves = append([]tlog.Hash(nil), src.leaves...)
	src.leaves[999][0] ^= 1
	if _, err := InclusionProof(src, tree, 5); err == nil {
		t.Error("proof built from an altered leaf hash in the partial tile")
	}
}

// TestTileReaderServesTlogTiles compares every tile of trees of several
// sizes, complete and partial, with tlog's own.
func TestTileReaderServesTlogTiles(t *testing.T) {
	t.Parallel()
	leaves, ref := shared(t, 5000)
	for _, h := range testHeights {
		mem := newMemSource(h, leaves)
		for _, n := range []int64{1, 7, 256, 1000, 4097, 5000} {
			r := &tileReader{src: mem, size: n, height: h}
			tiles := tlog.NewTiles(h, 0, n)
			data, err := r.ReadTiles(tiles)
			if err != nil {
				t.Fatalf("h=%d n=%d: %v", h, n, err)
			}
			for i, tt := range tiles {
				want, err := tlog.ReadTileData(tt, ref)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data[i], want) {
					t.Fatalf("h=%d n=%d: tile %s differs", h, n, tt.Path())
				}
			}
			past := tlog.Tile{H: h, L: 0, N: n >> h, W: int(n%(1<<h)) + 1}
			if past.W <= 1<<h {
				if _, err := r.ReadTiles([]tlog.Tile{past}); err == nil {
					t.Errorf("h=%d n=%d: tile %s past the tree served", h, n, past.Path())
				}
			}
		}
	}
	r := NewTileReader(newMemSource(TileHeight, leaves), 5000)
	if r.Height() != TileHeight {
		t.Errorf("Height = %d", r.Height())
	}
}

// TestCacheSavesReads checks that a warm cache answers proofs at the right
// edge of a tree with level-1 tiles without reading complete tiles again.
func TestCacheSavesReads(t *testing.T) {
	t.Parallel()
	const n = 3*(1<<16) + 5*256 + 17
	leaves := testLeaves(n)
	mem := newMemSource(TileHeight, leaves)
	tail := NewTail()
	for _, l := range leaves {
		tail.Append(l)
	}
	tree := tail.Tree()
	cache := NewTileCache(16)
	src := cache.Source("t", mem)
	idx := []int64{n - 1, n - 300, 70000}
	for _, i := range idx {
		if _, err := InclusionProof(src, tree, i); err != nil {
			t.Fatal(err)
		}
	}
	before := mem.fullTiles.Load()
	for _, i := range append(idx, n-2) {
		p, err := InclusionProof(src, tree, i)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, n, tree.Hash, i, leaves[i]); err != nil {
			t.Fatal(err)
		}
	}
	if got := mem.fullTiles.Load() - before; got != 0 {
		t.Errorf("warm proofs read %d complete tiles, want 0", got)
	}
	// Without a cache the partial level-1 tile costs its 5 level-0 tiles.
	mem.fullTiles.Store(0)
	if _, err := InclusionProof(mem, tree, n-1); err != nil {
		t.Fatal(err)
	}
	if got := mem.fullTiles.Load(); got < 5 {
		t.Errorf("cold proof read %d complete tiles, want at least 5", got)
	}
	// Tiles added from the writer serve reads too.
	cache2 := NewTileCache(16)
	fresh := NewTail()
	for _, l := range leaves[:512] {
		cache2.Add("t", fresh.Append(l))
	}
	mem.fullTiles.Store(0)
	if _, err := cache2.Source("t", mem).FullTiles(0, 0, 2); err != nil {
		t.Fatal(err)
	}
	if got := mem.fullTiles.Load(); got != 0 {
		t.Errorf("added tiles read again %d times", got)
	}
}

func TestCacheKeepsLogsApart(t *testing.T) {
	t.Parallel()
	a := newMemSource(TileHeight, testLeaves(600))
	bLeaves := testLeaves(700)[100:]
	b := newMemSource(TileHeight, bLeaves)
	cache := NewTileCache(4)
	da, err := cache.Source("a", a).FullTiles(0, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	db, err := cache.Source("b", b).FullTiles(0, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(da[0], db[0]) {
		t.Fatal("two logs got the same tile")
	}
	// Callers may scribble on what they get.
	pristine := bytes.Clone(a.tiles[tileKey{0, 0}])
	again, _ := cache.Source("a", a).FullTiles(0, 0, 1)
	again[0][0] ^= 0xff
	again, _ = cache.Source("a", a).FullTiles(0, 0, 1)
	if !bytes.Equal(again[0], pristine) {
		t.Fatal("cache returned data a caller modified")
	}
	// Eviction keeps the size bound and still serves correct data.
	for i := range int64(2) {
		if _, err := cache.Source("b", b).FullTiles(0, i, i+1); err != nil {
			t.Fatal(err)
		}
	}
	if cache.tiles.order.Len() > 4 {
		t.Errorf("cache holds %d tiles, bound 4", cache.tiles.order.Len())
	}
}
