package ledger

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/auditkeep/auditkeep/internal/event"
	"golang.org/x/mod/sumdb/tlog"
)

// tileReader serves the tiles of the tree of one size: complete tiles from
// the source, partial ones derived from the rows below them.
type tileReader struct {
	src    TileSource
	size   int64
	height int
}

// NewTileReader returns a tlog.TileReader for the tree of size leaves kept
// in src. Complete tiles come from src; the partial tile at the right edge
// of each level is derived (see the package documentation). Wrap src with
// TileCache.Source to keep complete tiles and their hashes in memory.
//
// The returned data is not verified; pass the reader to
// tlog.TileHashReader with a signed tree to check it.
func NewTileReader(src TileSource, size int64) tlog.TileReader {
	return &tileReader{src: src, size: size, height: TileHeight}
}

func (r *tileReader) Height() int { return r.height }

// SaveTiles does nothing: tiles come from our own storage, so there is
// nothing to promote once tlog has authenticated them.
func (r *tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// width returns the width of tile (level, n) in the tree of r.size leaves:
// 1<<height when complete, less at the right edge, 0 when outside the tree.
func (r *tileReader) width(level int, n int64) int {
	if level < 0 || level >= 63 || n < 0 || r.height*level >= 63 {
		return 0
	}
	w := r.size>>(r.height*level) - n<<r.height
	switch {
	case w <= 0:
		return 0
	case w >= 1<<r.height:
		return 1 << r.height
	}
	return int(w)
}

type tileKey struct {
	level int
	n     int64
}

// ReadTiles returns the data of each tile. A tile narrower than the tree
// makes it (a prefix) is served too; a tile reaching past the tree's size is
// an error. Complete tiles are fetched in one call per run of consecutive
// indexes.
func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	full := 1 << r.height
	var want []tileKey
	for _, t := range tiles {
		if t.H != r.height || t.W < 1 || t.W > full {
			return nil, fmt.Errorf("ledger: %w: tile %+v", event.ErrInvalid, t)
		}
		w := r.width(t.L, t.N)
		if t.W > w {
			return nil, fmt.Errorf("ledger: %w: tile %s is not in the tree of size %d", event.ErrInvalid, t.Path(), r.size)
		}
		want = append(want, tileKey{t.L, t.N})
	}
	slices.SortFunc(want, func(a, b tileKey) int {
		return cmp.Or(cmp.Compare(a.level, b.level), cmp.Compare(a.n, b.n))
	})
	want = slices.Compact(want)

	got := make(map[tileKey][]byte, len(want))
	for i := 0; i < len(want); {
		k := want[i]
		w := r.width(k.level, k.n)
		if w < full {
			// The partial tile of a level is its row of hashes so far.
			from := k.n << r.height
			row, err := rowHashes(r.src, r.height, k.level, from, from+int64(w))
			if err != nil {
				return nil, err
			}
			got[k] = flatten(row)
			i++
			continue
		}
		j := i + 1
		for j < len(want) && want[j].level == k.level && want[j].n == want[j-1].n+1 && r.width(k.level, want[j].n) == full {
			j++
		}
		data, err := fullTiles(r.src, r.height, k.level, k.n, want[j-1].n+1)
		if err != nil {
			return nil, err
		}
		for x, d := range data {
			got[want[i+x]] = d
		}
		i = j
	}

	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		out[i] = got[tileKey{t.L, t.N}][:t.W*tlog.HashSize]
	}
	return out, nil
}

// ReadHashes implements tlog.HashReader over the tiles without checking
// them against a tree hash; Root uses it where there is no signed hash yet.
func (r *tileReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	tiles := make([]tlog.Tile, len(indexes))
	for i, x := range indexes {
		t := tlog.TileForIndex(r.height, x)
		t.W = r.width(t.L, t.N) // the widest tile the tree has there
		if t.W == 0 {
			return nil, fmt.Errorf("ledger: %w: hash %d is not in the tree of size %d", event.ErrInvalid, x, r.size)
		}
		tiles[i] = t
	}
	data, err := r.ReadTiles(tiles)
	if err != nil {
		return nil, err
	}
	hashes := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if hashes[i], err = tlog.HashFromTile(tiles[i], data[i], x); err != nil {
			return nil, fmt.Errorf("ledger: hash %d in tree of size %d: %w", x, r.size, err)
		}
	}
	return hashes, nil
}

// Root returns the root hash of the tree of the first size leaves in src,
// for any size up to the current one.
func Root(src TileSource, size int64) (tlog.Hash, error) {
	return root(src, size, TileHeight)
}

func root(src TileSource, size int64, height int) (tlog.Hash, error) {
	if size < 0 {
		return tlog.Hash{}, fmt.Errorf("ledger: %w: negative tree size %d", event.ErrInvalid, size)
	}
	r := &tileReader{src: src, size: size, height: height}
	return tlog.TreeHash(size, r)
}

// InclusionProof returns the proof that leaf index is in tree. Every tile
// read is checked against tree.Hash (normally from a signed checkpoint), so
// a proof is never built from storage that disagrees with what was signed.
func InclusionProof(src TileSource, tree tlog.Tree, index int64) (tlog.RecordProof, error) {
	return inclusionProof(src, tree, index, TileHeight)
}

func inclusionProof(src TileSource, tree tlog.Tree, index int64, height int) (tlog.RecordProof, error) {
	if index < 0 || index >= tree.N {
		return nil, fmt.Errorf("ledger: %w: leaf %d is not in the tree of size %d", event.ErrInvalid, index, tree.N)
	}
	r := &tileReader{src: src, size: tree.N, height: height}
	p, err := tlog.ProveRecord(tree.N, index, tlog.TileHashReader(tree, r))
	if err != nil {
		return nil, fmt.Errorf("ledger: inclusion proof of %d in %d: %w", index, tree.N, err)
	}
	return p, nil
}

// ConsistencyProof returns the proof that the tree of oldSize leaves is a
// prefix of tree, checked against tree.Hash like InclusionProof. The proof
// from an empty tree is empty.
func ConsistencyProof(src TileSource, tree tlog.Tree, oldSize int64) (tlog.TreeProof, error) {
	return consistencyProof(src, tree, oldSize, TileHeight)
}

func consistencyProof(src TileSource, tree tlog.Tree, oldSize int64, height int) (tlog.TreeProof, error) {
	if oldSize < 0 || oldSize > tree.N {
		return nil, fmt.Errorf("ledger: %w: size %d is not a prefix of the tree of size %d", event.ErrInvalid, oldSize, tree.N)
	}
	if oldSize == 0 {
		return tlog.TreeProof{}, nil
	}
	r := &tileReader{src: src, size: tree.N, height: height}
	p, err := tlog.ProveTree(tree.N, oldSize, tlog.TileHashReader(tree, r))
	if err != nil {
		return nil, fmt.Errorf("ledger: consistency proof of %d in %d: %w", oldSize, tree.N, err)
	}
	return p, nil
}
