package ledger

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/tlog"
	"pgregory.net/rapid"
)

// Heights other than 8 exercise several tile levels with small trees; the
// code is the same for every height.
var testHeights = []int{1, 2, 3, 8}

func TestTailRootIsTreeHash(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(rt *rapid.T) {
		h := rapid.SampledFrom(testHeights).Draw(rt, "height")
		n := rapid.IntRange(0, 3000).Draw(rt, "n")
		leaves, ref := shared(rt, n)
		tail := newTail(h)
		for i := 0; ; i++ {
			want, err := tlog.TreeHash(int64(i), ref)
			if err != nil {
				rt.Fatal(err)
			}
			if got := tail.Root(); got != want {
				rt.Fatalf("size %d: Root = %v, want %v", i, got, want)
			}
			if i == n {
				break
			}
			tail.Append(leaves[i])
		}
		if tail.Size() != int64(n) || tail.Tree().N != int64(n) {
			rt.Fatalf("Size = %d, want %d", tail.Size(), n)
		}
	})
}

func TestTailEmitsExactlyTheCompleteTiles(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(rt *rapid.T) {
		h := rapid.SampledFrom(testHeights).Draw(rt, "height")
		n := rapid.IntRange(0, 5000).Draw(rt, "n")
		leaves, ref := shared(rt, n)
		tail := newTail(h)
		var got []tlog.Tile
		for i, l := range leaves {
			for _, tile := range tail.Append(l) {
				tt := tlog.Tile{H: h, L: tile.Level, N: tile.Index, W: 1 << h}
				want, err := tlog.ReadTileData(tt, ref)
				if err != nil {
					rt.Fatal(err)
				}
				if !bytes.Equal(tile.Data, want) {
					rt.Fatalf("after leaf %d: tile %s differs from tlog.ReadTileData", i, tt.Path())
				}
				got = append(got, tt)
			}
		}
		var want []tlog.Tile
		for _, tt := range tlog.NewTiles(h, 0, int64(n)) {
			if tt.W == 1<<h {
				want = append(want, tt)
			}
		}
		sortTiles(got)
		sortTiles(want)
		if diff := cmp.Diff(want, got); diff != "" {
			rt.Fatalf("complete tiles (-want +got):\n%s", diff)
		}
	})
}

// TestTailLevelOneTiles checks the production height past the first
// level-1 tile, which needs 65536 leaves.
func TestTailLevelOneTiles(t *testing.T) {
	t.Parallel()
	const n = 1<<16 + 300
	leaves := testLeaves(n)
	ref := buildRef(t, leaves)
	tail := NewTail()
	count := 0
	for _, l := range leaves {
		for _, tile := range tail.Append(l) {
			count++
			if len(tile.Data) != TileSize {
				t.Fatalf("tile %+v is %d bytes", tile.TlogTile(), len(tile.Data))
			}
			want, err := tlog.ReadTileData(tile.TlogTile(), ref)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tile.Data, want) {
				t.Fatalf("tile %s differs", tile.TlogTile().Path())
			}
		}
	}
	if want := n/TileWidth + 1; count != want {
		t.Errorf("%d tiles, want %d", count, want)
	}
	wantRoot, _ := tlog.TreeHash(n, ref)
	if tail.Root() != wantRoot {
		t.Error("root differs")
	}
}

func TestLoadTailContinuesAsIfNeverStopped(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(rt *rapid.T) {
		h := rapid.SampledFrom(testHeights).Draw(rt, "height")
		n := rapid.IntRange(0, 3000).Draw(rt, "n")
		stop := rapid.IntRange(0, n).Draw(rt, "stop")
		leaves, _ := shared(rt, n)

		always := newTail(h)
		src := &memSource{height: h, tiles: make(map[tileKey][]byte)}
		for _, l := range leaves[:stop] {
			src.add(always, l)
		}
		loaded, err := loadTail(int64(stop), src, h)
		if err != nil {
			rt.Fatal(err)
		}
		if diff := cmp.Diff(tailState(always), tailState(loaded)); diff != "" {
			rt.Fatalf("loaded tail at %d (-want +got):\n%s", stop, diff)
		}
		for i, l := range leaves[stop:] {
			a, b := always.Append(l), loaded.Append(l)
			if !sameTiles(a, b) {
				rt.Fatalf("tiles after leaf %d (-want +got):\n%s", stop+i, cmp.Diff(a, b))
			}
		}
		if diff := cmp.Diff(tailState(always), tailState(loaded)); diff != "" {
			rt.Fatalf("final state (-want +got):\n%s", diff)
		}
	})
}

func TestLoadTailAtProductionHeight(t *testing.T) {
	t.Parallel()
	leaves, _ := shared(t, 5000)
	src := newMemSource(TileHeight, leaves)
	for _, size := range []int64{0, 1, 255, 256, 257, 4096, 4999, 5000} {
		loaded, err := LoadTail(size, src)
		if err != nil {
			t.Fatal(err)
		}
		want := NewTail()
		for _, l := range leaves[:size] {
			want.Append(l)
		}
		if diff := cmp.Diff(tailState(want), tailState(loaded)); diff != "" {
			t.Errorf("size %d (-want +got):\n%s", size, diff)
		}
	}
}

func TestLoadTailErrors(t *testing.T) {
	t.Parallel()
	leaves, _ := shared(t, 1000)
	src := newMemSource(TileHeight, leaves)
	if _, err := LoadTail(1001, src); err == nil {
		t.Error("LoadTail past the stored leaves: no error")
	}
	if _, err := LoadTail(-1, src); err == nil {
		t.Error("LoadTail(-1): no error")
	}
	delete(src.tiles, tileKey{0, 1})
	if _, err := LoadTail(1000, src); err == nil {
		t.Error("LoadTail with a missing tile: no error")
	}
	src = newMemSource(TileHeight, leaves)
	src.tiles[tileKey{0, 1}] = src.tiles[tileKey{0, 1}][:100]
	if _, err := LoadTail(1000, src); err == nil {
		t.Error("LoadTail with a short tile: no error")
	}
}

func TestTailClone(t *testing.T) {
	t.Parallel()
	leaves, _ := shared(t, 600)
	a := NewTail()
	for _, l := range leaves[:300] {
		a.Append(l)
	}
	before := tailState(a)
	b := a.Clone()
	for _, l := range leaves[300:] {
		b.Append(l)
	}
	if diff := cmp.Diff(before, tailState(a)); diff != "" {
		t.Fatalf("appending to a clone changed the original:\n%s", diff)
	}
	for _, l := range leaves[300:] {
		a.Append(l)
	}
	if diff := cmp.Diff(tailState(a), tailState(b)); diff != "" {
		t.Fatalf("clone diverged:\n%s", diff)
	}
}

func TestTailAppendDoesNotAllocate(t *testing.T) {
	leaves, _ := shared(t, 255)
	tail := NewTail()
	tail.Append(leaves[0]) // rows allocated once
	i := 1
	allocs := testing.AllocsPerRun(200, func() {
		tail.Append(leaves[i%255])
		i++
		if tail.Size()%256 == 255 {
			tail = NewTail()
			tail.Append(leaves[0])
		}
		_ = tail.Root()
	})
	if allocs > 0.1 {
		t.Errorf("Append+Root allocate %.2f times per call", allocs)
	}
}

// tailState is what a Tail means: its size, rows and the edge hashes that
// are in use (the others are stale and ignored).
type tailStateT struct {
	Size int64
	Rows [][]tlog.Hash
	Edge map[int]tlog.Hash
	Root tlog.Hash
}

func tailState(t *Tail) tailStateT {
	s := tailStateT{Size: t.size, Edge: map[int]tlog.Hash{}, Root: t.Root()}
	for _, r := range t.rows {
		s.Rows = append(s.Rows, append([]tlog.Hash{}, r...))
	}
	// Trailing empty rows carry no information.
	for len(s.Rows) > 0 && len(s.Rows[len(s.Rows)-1]) == 0 {
		s.Rows = s.Rows[:len(s.Rows)-1]
	}
	for k := range 63 {
		if t.size>>k&1 == 1 {
			s.Edge[k] = t.edge[k]
		}
	}
	return s
}

func sortTiles(tiles []tlog.Tile) {
	for i := 1; i < len(tiles); i++ {
		for j := i; j > 0 && (tiles[j].L < tiles[j-1].L || tiles[j].L == tiles[j-1].L && tiles[j].N < tiles[j-1].N); j-- {
			tiles[j], tiles[j-1] = tiles[j-1], tiles[j]
		}
	}
}

func sameTiles(a, b []Tile) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Level != b[i].Level || a[i].Index != b[i].Index || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}
