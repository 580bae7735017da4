package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/compat/compattest"
)

// bigEvent is an event near the default --max-event-bytes: metadata,
// details, reason and labels at or near their own bounds.
func bigEvent(i int) map[string]any {
	labels := map[string]any{}
	for k := range 60 {
		labels[fmt.Sprintf("l%02d", k)] = strings.Repeat("v", 1000)
	}
	return map[string]any{
		"action":   "big",
		"details":  strings.Repeat("d", 16000),
		"reason":   strings.Repeat("r", 16000),
		"labels":   labels,
		"metadata": map[string]any{"blob": strings.Repeat("m", 60000), "i": i},
	}
}

// pagePeak has clients read pages of limit near-maximum events at once,
// rounds times each, and returns the highest heap in use above the
// baseline while they do, and the bytes of one page as answered.
func pagePeak(t testing.TB, clients, limit, rounds int) (peak, page uint64) {
	f := compattest.NewFixture(t, "sqlite", "events:read")
	for b := 0; b < limit; b += 25 {
		evs := make([]map[string]any, 25)
		for i := range evs {
			evs[i] = bigEvent(b + i)
		}
		f.Ingest(f.Writer, evs...)
	}
	path := fmt.Sprintf("%s/v1/events?limit=%d", f.URL, limit)
	key := f.Keys["root"]
	get := func() (int, int64, error) {
		req, _ := http.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, 0, err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body) // the client holds nothing
		return resp.StatusCode, n, err
	}
	if _, n, err := get(); err != nil {
		t.Fatal(err)
	} else {
		page = uint64(n)
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	stop := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		var max uint64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				sampled <- max
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > base && ms.HeapInuse-base > max {
					max = ms.HeapInuse - base
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if status, _, err := get(); err != nil || status != 200 {
					t.Errorf("page: %d %v", status, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	return <-sampled, page
}

// TestPageMemoryBounded: clients reading pages of near-maximum events at
// once keep the heap within a small multiple of what their pages hold as
// values (each answer is encoded one event at a time, httpx.WriteStream).
// The bound is generous — GC timing makes the heap noisy — so it catches
// an answer that holds much more than its page, not a few percent;
// BenchmarkPageMemory measures it.
func TestPageMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads about 100 MB")
	}
	const clients, limit = 4, 50
	peak, page := pagePeak(t, clients, limit, 4)
	t.Logf("peak heap %d MB above baseline for %d clients × a page of %d MB", peak>>20, clients, page>>20)
	if bound := 4 * clients * page; peak > bound {
		t.Errorf("peak heap %d MB above baseline, want at most %d MB (4 × %d clients × a %d MB page)", peak>>20, bound>>20, clients, page>>20)
	}
}

// BenchmarkPageMemory reports the peak heap of 4 clients reading pages of
// 50 near-maximum events, per client and page (docs/BENCHMARKS.md).
func BenchmarkPageMemory(b *testing.B) {
	for range b.N {
		peak, page := pagePeak(b, 4, 50, 4)
		b.ReportMetric(float64(peak)/float64(4*page), "peak/page")
		b.ReportMetric(float64(page)/(1<<20), "MB/page")
	}
}
