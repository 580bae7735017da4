package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/event"
	"golang.org/x/mod/sumdb/tlog"
)

// benchLog is a log of n leaves in memory, built once per size.
type benchLog struct {
	src  *memSource
	tail *Tail
}

var (
	benchMu   sync.Mutex
	benchLogs = map[int]*benchLog{}
)

func getBenchLog(n int) *benchLog {
	benchMu.Lock()
	defer benchMu.Unlock()
	if l, ok := benchLogs[n]; ok {
		return l
	}
	src := &memSource{height: TileHeight, tiles: make(map[tileKey][]byte), leaves: make([]tlog.Hash, 0, n)}
	tail := NewTail()
	for _, l := range testLeaves(n) {
		src.add(tail, l)
	}
	l := &benchLog{src: src, tail: tail}
	benchLogs[n] = l
	return l
}

func BenchmarkTailAppend(b *testing.B) {
	log := getBenchLog(1 << 20)
	tail, err := LoadTail(log.tail.Size(), log.src)
	if err != nil {
		b.Fatal(err)
	}
	leaves := testLeaves(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tail.Append(leaves[i%len(leaves)])
	}
}

func BenchmarkTailRoot(b *testing.B) {
	// 2^20-1 leaves: twenty perfect subtrees on the edge, the worst case
	// near a million.
	tail := NewTail()
	for _, l := range testLeaves(1<<20 - 1) {
		tail.Append(l)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = tail.Root()
	}
}

func BenchmarkRootAtSize(b *testing.B) {
	log := getBenchLog(1_000_000)
	src := NewTileCache(1024).Source("bench", log.src)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Root(src, 999_000+int64(i%1000)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadTail(b *testing.B) {
	log := getBenchLog(1_000_000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := LoadTail(log.tail.Size(), log.src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInclusionProof(b *testing.B) {
	for _, tc := range []struct {
		name   string
		n      int
		cached bool
	}{
		{"1M/cached", 1_000_000, true},
		{"1M/uncached", 1_000_000, false},
		{"10M/cached", 10_000_000, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			log := getBenchLog(tc.n)
			tree := log.tail.Tree()
			var src TileSource = log.src
			if tc.cached {
				// 1024 tiles: 8 MiB. Enough for every level-1 and level-2
				// tile and some hot level-0 ones; most proofs for random
				// leaves still read their level-0 tile.
				src = NewTileCache(1024).Source("bench", log.src)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			times := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if _, err := InclusionProof(src, tree, rng.Int64N(tree.N)); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			reportP99(b, times)
		})
	}
}

func BenchmarkConsistencyProof(b *testing.B) {
	log := getBenchLog(1_000_000)
	tree := log.tail.Tree()
	src := NewTileCache(1024).Source("bench", log.src)
	rng := rand.New(rand.NewPCG(3, 4))
	times := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := ConsistencyProof(src, tree, 1+rng.Int64N(tree.N)); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	reportP99(b, times)
}

func reportP99(b *testing.B, times []time.Duration) {
	if len(times) == 0 {
		return
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
}

var (
	benchEventsOnce sync.Once
	benchEvents     []*event.Event
	benchNDJSON     []byte
)

const benchEventCount = 100_000

func getBenchEvents(b *testing.B) ([]*event.Event, []byte) {
	benchEventsOnce.Do(func() {
		benchEvents = testEvents(benchEventCount, testTenant)
		var buf bytes.Buffer
		for _, e := range benchEvents {
			line, err := json.Marshal(event.ToJSON(e))
			if err != nil {
				panic(err)
			}
			buf.Write(line)
			buf.WriteByte('\n')
		}
		benchNDJSON = buf.Bytes()
	})
	return benchEvents, benchNDJSON
}

func BenchmarkLeafHash(b *testing.B) {
	events, _ := getBenchEvents(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		LeafHash(events[i%len(events)])
	}
}

func BenchmarkVerifyLog(b *testing.B) {
	events, _ := getBenchEvents(b)
	cps := checkpointsAt(b, events, 50_000, benchEventCount)
	for _, withStored := range []bool{false, true} {
		b.Run(fmt.Sprintf("stored=%v", withStored), func(b *testing.B) {
			var stored func(int64) (tlog.Hash, bool)
			if withStored {
				leaves := leavesOf(events)
				stored = func(seq int64) (tlog.Hash, bool) { return leaves[seq], true }
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rep, err := VerifyLog(eventsOf(events), cps, stored)
				if err != nil || !rep.OK() {
					b.Fatal(rep.Failure, err)
				}
			}
			b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func BenchmarkVerifyExport(b *testing.B) {
	_, data := getBenchEvents(b)
	skey, vkey, _ := GenerateKey("bench")
	ring, _ := NewKeyring(skey)
	cp, err := ring.Sign(checkpointsAt(b, benchEvents, benchEventCount)[0])
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := VerifyExport(bytes.NewReader(data), cp, []string{vkey})
		if err != nil || !rep.OK() {
			b.Fatal(rep.Failure, err)
		}
	}
	b.ReportMetric(float64(b.N*benchEventCount)/b.Elapsed().Seconds(), "events/s")
}
