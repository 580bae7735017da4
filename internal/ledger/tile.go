package ledger

import (
	"crypto/sha256"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Tile geometry. A tile of level L and index N holds the 256 hashes at tree
// level 8L with indexes [256N, 256N+256).
const (
	TileHeight = 8
	TileWidth  = 1 << TileHeight
	TileSize   = TileWidth * tlog.HashSize // bytes of a complete tile
)

// Tile is a complete tile, as the store persists it. Data is the 256 hashes
// of its bottom row concatenated, byte for byte what
// tlog.ReadTileData(tlog.Tile{H: 8, L: Level, N: Index, W: 256}, r) returns.
type Tile struct {
	Level int
	Index int64
	Data  []byte
}

// TlogTile returns t's coordinates in tlog's terms.
func (t Tile) TlogTile() tlog.Tile {
	return tlog.Tile{H: TileHeight, L: t.Level, N: t.Index, W: len(t.Data) / tlog.HashSize}
}

// TileSource is one tenant's persisted ledger data, as a store serves it.
// A store implements it per tenant, usually as a closure bound to a context
// and a transaction.
type TileSource interface {
	// FullTiles returns the data of the complete tiles of level with
	// Index in [from, to), in order. It returns an error if any is missing.
	FullTiles(level int, from, to int64) ([][]byte, error)
	// LeafHashes returns the leaf hashes of the events with seq in
	// [from, to), in order. It returns an error if any is missing.
	LeafHashes(from, to int64) ([]tlog.Hash, error)
}

// TileHashSource may be implemented by a TileSource that can return the
// hashes of complete tiles without their data: a TileCache, or a store that
// keeps each tile's hash next to it. Deriving a partial tile of level k
// needs up to 255 hashes of level-(k-1) tiles; without this, they are
// computed from the tiles' data.
type TileHashSource interface {
	// TileHashes returns the Merkle root of each complete tile of level
	// with Index in [from, to), in order.
	TileHashes(level int, from, to int64) ([]tlog.Hash, error)
}

// emptyRoot is the RFC 6962 hash of the empty tree: SHA-256 of nothing.
func emptyRoot() tlog.Hash { return sha256.Sum256(nil) }

// merkleRoot returns the RFC 6962 root of the tree whose bottom row is
// hashes. For a power-of-two count, as in a tile, it is the perfect
// subtree's root. It does not allocate.
func merkleRoot(hashes []tlog.Hash) tlog.Hash {
	switch n := len(hashes); n {
	case 0:
		return emptyRoot()
	case 1:
		return hashes[0]
	default:
		k := 1
		for k*2 < n {
			k *= 2
		}
		return tlog.NodeHash(merkleRoot(hashes[:k]), merkleRoot(hashes[k:]))
	}
}

// tileRoot returns the Merkle root of tile data: the hash that stands for
// the whole tile in the level above.
func tileRoot(data []byte) tlog.Hash {
	if len(data) == tlog.HashSize {
		return tlog.Hash(data)
	}
	half := len(data) / 2
	return tlog.NodeHash(tileRoot(data[:half]), tileRoot(data[half:]))
}

// flatten concatenates hashes into tile data.
func flatten(hashes []tlog.Hash) []byte {
	data := make([]byte, len(hashes)*tlog.HashSize)
	for i := range hashes {
		copy(data[i*tlog.HashSize:], hashes[i][:])
	}
	return data
}

// fullTiles reads complete tiles and checks their length, so that nothing
// downstream has to trust a store's row sizes.
func fullTiles(src TileSource, height, level int, from, to int64) ([][]byte, error) {
	if from >= to {
		return nil, nil
	}
	data, err := src.FullTiles(level, from, to)
	if err != nil {
		return nil, fmt.Errorf("ledger: read tiles %d/[%d,%d): %w", level, from, to, err)
	}
	if int64(len(data)) != to-from {
		return nil, fmt.Errorf("ledger: read tiles %d/[%d,%d): got %d tiles", level, from, to, len(data))
	}
	want := tlog.HashSize << height
	for i, d := range data {
		if len(d) != want {
			return nil, fmt.Errorf("ledger: tile %d/%d is %d bytes, want %d", level, from+int64(i), len(d), want)
		}
	}
	return data, nil
}

// leafHashes reads leaf hashes and checks their count.
func leafHashes(src TileSource, from, to int64) ([]tlog.Hash, error) {
	if from >= to {
		return nil, nil
	}
	hashes, err := src.LeafHashes(from, to)
	if err != nil {
		return nil, fmt.Errorf("ledger: read leaf hashes [%d,%d): %w", from, to, err)
	}
	if int64(len(hashes)) != to-from {
		return nil, fmt.Errorf("ledger: read leaf hashes [%d,%d): got %d", from, to, len(hashes))
	}
	return hashes, nil
}

// tileHashes returns the roots of the complete tiles of level with Index in
// [from, to), from a TileHashSource when src is one.
func tileHashes(src TileSource, height, level int, from, to int64) ([]tlog.Hash, error) {
	if from >= to {
		return nil, nil
	}
	if hs, ok := src.(TileHashSource); ok {
		hashes, err := hs.TileHashes(level, from, to)
		if err != nil {
			return nil, fmt.Errorf("ledger: read tile hashes %d/[%d,%d): %w", level, from, to, err)
		}
		if int64(len(hashes)) != to-from {
			return nil, fmt.Errorf("ledger: read tile hashes %d/[%d,%d): got %d", level, from, to, len(hashes))
		}
		return hashes, nil
	}
	data, err := fullTiles(src, height, level, from, to)
	if err != nil {
		return nil, err
	}
	hashes := make([]tlog.Hash, len(data))
	for i, d := range data {
		hashes[i] = tileRoot(d)
	}
	return hashes, nil
}

// rowHashes returns the hashes at tree level height*level with indexes
// [from, to): leaf hashes at level 0, roots of complete tiles one level
// down above it. A partial tile's data is exactly such a row.
func rowHashes(src TileSource, height, level int, from, to int64) ([]tlog.Hash, error) {
	if level == 0 {
		return leafHashes(src, from, to)
	}
	return tileHashes(src, height, level-1, from, to)
}
