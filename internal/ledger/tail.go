package ledger

import (
	"fmt"
	"math/bits"

	"golang.org/x/mod/sumdb/tlog"
)

// Tail is the right edge of one tenant's tree: everything needed to append
// a leaf, emit the tiles that become complete and compute the root, without
// reading storage. It holds at most 255 hashes per tile level plus one hash
// per bit of the tree size.
//
// A Tail is owned by the store's single writer and is not safe for
// concurrent use. The writer appends to a Clone inside a transaction and
// swaps it in only after commit, so a rolled-back batch leaves no trace.
type Tail struct {
	height int
	size   int64
	// rows[L] is the bottom row of the partial tile at level L: the hashes
	// at tree level height*L not yet covered by a complete tile.
	rows [][]tlog.Hash
	// edge[k] is the root of the perfect subtree of 2^k leaves on the right
	// edge of the tree. It is meaningful only where bit k of size is set.
	edge [63]tlog.Hash
}

// NewTail returns the tail of an empty tree.
func NewTail() *Tail { return newTail(TileHeight) }

func newTail(height int) *Tail { return &Tail{height: height} }

// Size returns the number of leaves.
func (t *Tail) Size() int64 { return t.size }

// Clone returns an independent copy of t.
func (t *Tail) Clone() *Tail {
	c := *t
	c.rows = make([][]tlog.Hash, len(t.rows))
	for i, r := range t.rows {
		c.rows[i] = append(make([]tlog.Hash, 0, 1<<t.height), r...)
	}
	return &c
}

// Append adds the next leaf (its hash, see LeafHash) and returns the tiles
// that it completed, lowest level first; usually none. The store persists
// them in the same transaction as the event.
func (t *Tail) Append(leaf tlog.Hash) []Tile { return t.push(leaf, true) }

// push appends leaf. When emit is false the completed tiles are dropped
// instead of copied out, which is what verification wants.
func (t *Tail) push(leaf tlog.Hash, emit bool) []Tile {
	t.addToRow(0, leaf)
	h := leaf
	// Each set low bit of size is a perfect subtree the new leaf completes a
	// bigger one with, as in a binary counter carrying.
	k := 0
	for ; t.size>>k&1 == 1; k++ {
		h = tlog.NodeHash(t.edge[k], h)
		if (k+1)%t.height == 0 {
			// A node at a tile boundary level is the root of a complete
			// tile below and an entry of the row above.
			t.addToRow((k+1)/t.height, h)
		}
	}
	t.edge[k] = h
	t.size++

	// A row fills only when the row below it has just filled, so the
	// complete rows are a prefix of rows.
	var tiles []Tile
	for l := 0; l < len(t.rows) && len(t.rows[l]) == 1<<t.height; l++ {
		if emit {
			n := t.size>>(t.height*l)>>t.height - 1
			tiles = append(tiles, Tile{Level: l, Index: n, Data: flatten(t.rows[l])})
		}
		t.rows[l] = t.rows[l][:0]
	}
	return tiles
}

func (t *Tail) addToRow(level int, h tlog.Hash) {
	for len(t.rows) <= level {
		t.rows = append(t.rows, make([]tlog.Hash, 0, 1<<t.height))
	}
	t.rows[level] = append(t.rows[level], h)
}

// Root returns the RFC 6962 root hash of the tree, equal to tlog.TreeHash.
// It costs one NodeHash per set bit of the size and does not allocate.
func (t *Tail) Root() tlog.Hash {
	if t.size == 0 {
		return emptyRoot()
	}
	// Fold the perfect subtrees from the smallest (rightmost) up.
	k := bits.TrailingZeros64(uint64(t.size))
	h := t.edge[k]
	for k++; k < 63; k++ {
		if t.size>>k&1 == 1 {
			h = tlog.NodeHash(t.edge[k], h)
		}
	}
	return h
}

// Tree returns the size and root as a tlog.Tree.
func (t *Tail) Tree() tlog.Tree { return tlog.Tree{N: t.size, Hash: t.Root()} }

// LoadTail rebuilds the tail of a tree of size leaves from storage, after a
// restart. It reads at most 255 leaf hashes and, per tile level above 0, the
// up to 255 complete tiles below the partial one. It cannot know whether the
// storage is right: compare the result's Root with the newest checkpoint.
func LoadTail(size int64, src TileSource) (*Tail, error) {
	return loadTail(size, src, TileHeight)
}

func loadTail(size int64, src TileSource, height int) (*Tail, error) {
	if size < 0 {
		return nil, fmt.Errorf("ledger: negative tree size %d", size)
	}
	t := newTail(height)
	t.size = size
	for l := 0; size>>(height*l) > 0; l++ {
		n := size >> (height * l) // hashes at this tile level's tree level
		base := n >> height << height
		row, err := rowHashes(src, height, l, base, n)
		if err != nil {
			return nil, fmt.Errorf("ledger: load tail of size %d: %w", size, err)
		}
		t.rows = append(t.rows, append(make([]tlog.Hash, 0, 1<<height), row...))
	}
	for k := 0; k < 63; k++ {
		if size>>k&1 == 0 {
			continue
		}
		// The right-edge subtree of height k is node (k, size>>k - 1). It
		// lies in the partial tile of level k/height, spanning 2^r entries
		// of that tile's row.
		l, r := k/height, k%height
		base := size >> (height * l) >> height << height
		lo := ((size>>k)-1)<<r - base
		t.edge[k] = merkleRoot(t.rows[l][lo : lo+1<<r])
	}
	return t, nil
}
