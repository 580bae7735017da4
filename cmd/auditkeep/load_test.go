package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// load is writers that keep posting events, each with an idempotency key,
// retrying a request until it is acknowledged with the same body, so that
// an event may be committed twice only if idempotency fails. The server's
// URL may change under them (a restart on a new port).
type load struct {
	url  atomic.Pointer[string]
	key  string
	stop chan struct{}
	wg   sync.WaitGroup
	n    atomic.Int64 // events acknowledged

	mu       sync.Mutex
	acks     map[string]ack // idempotency key → the event acknowledged
	statuses map[int]int    // how many answers of each status
	wrong    []string       // answers that break the contract
}

// ack is an acknowledged event.
type ack struct {
	ID   int64  `json:"id"`
	UUID string `json:"uuid"`
	Seq  int64  `json:"seq"`
}

// startLoad starts writers goroutines posting single events and batches of
// three to url with key.
func startLoad(url, key string, writers int) *load {
	l := &load{key: key, stop: make(chan struct{}), acks: map[string]ack{}, statuses: map[int]int{}}
	l.setURL(url)
	for w := range writers {
		l.wg.Add(1)
		go l.write(w)
	}
	return l
}

func (l *load) setURL(url string) { l.url.Store(&url) }

// Stop stops the writers and waits for them.
func (l *load) Stop() {
	close(l.stop)
	l.wg.Wait()
}

// Acked returns a copy of what was acknowledged so far.
func (l *load) Acked() map[string]ack {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]ack, len(l.acks))
	for k, v := range l.acks {
		out[k] = v
	}
	return out
}

// Wrong returns the answers that broke the contract.
func (l *load) Wrong() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.wrong...)
}

// Statuses returns how many answers of each status were seen.
func (l *load) Statuses() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[int]int{}
	for k, v := range l.statuses {
		out[k] = v
	}
	return out
}

// waitFor waits until n events are acknowledged in all, or d has passed.
func (l *load) waitFor(n int64, d time.Duration) {
	deadline := time.Now().Add(d)
	for l.n.Load() < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

func (l *load) write(w int) {
	defer l.wg.Done()
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; ; i++ {
		var keys []string
		var body string
		if i%3 == 0 {
			var evs []string
			for j := range 3 {
				k := fmt.Sprintf("w%d-%d-%d", w, i, j)
				keys = append(keys, k)
				evs = append(evs, fmt.Sprintf(`{"action":"load.batch","idempotency_key":%q}`, k))
			}
			body = `{"events":[` + strings.Join(evs, ",") + `]}`
		} else {
			k := fmt.Sprintf("w%d-%d", w, i)
			keys = []string{k}
			body = fmt.Sprintf(`{"action":"load.single","idempotency_key":%q}`, k)
		}
		// The same body until it is acknowledged: a retry after a crash or
		// an outage must not store the event twice.
		for {
			select {
			case <-l.stop:
				return
			default:
			}
			got, ok := l.post(client, body, len(keys) > 1)
			if ok {
				l.mu.Lock()
				for j, a := range got {
					if j < len(keys) {
						l.acks[keys[j]] = a
					}
				}
				l.mu.Unlock()
				l.n.Add(int64(len(got)))
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// post sends one request and returns the events it acknowledged.
func (l *load) post(client *http.Client, body string, batch bool) ([]ack, bool) {
	req, _ := http.NewRequest("POST", *l.url.Load()+"/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+l.key)
	resp, err := client.Do(req)
	if err != nil {
		return nil, false // no answer: not acknowledged
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	l.mu.Lock()
	l.statuses[resp.StatusCode]++
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusInsufficientStorage:
		if resp.Header.Get("Retry-After") == "" {
			l.wrong = append(l.wrong, fmt.Sprintf("%d without Retry-After: %s", resp.StatusCode, b))
		}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusConflict:
		l.wrong = append(l.wrong, fmt.Sprintf("%d: %s", resp.StatusCode, b))
	}
	l.mu.Unlock()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return nil, false
	}
	if batch {
		var page struct{ Events []ack }
		if err := json.Unmarshal(b, &page); err != nil || len(page.Events) != 3 {
			l.mu.Lock()
			l.wrong = append(l.wrong, fmt.Sprintf("%d with a body that is no batch: %s", resp.StatusCode, b))
			l.mu.Unlock()
			return nil, false
		}
		return page.Events, true
	}
	var one ack
	if err := json.Unmarshal(b, &one); err != nil || one.UUID == "" {
		l.mu.Lock()
		l.wrong = append(l.wrong, fmt.Sprintf("%d with a body that is no event: %s", resp.StatusCode, b))
		l.mu.Unlock()
		return nil, false
	}
	return []ack{one}, true
}

// storedEvent is what checkStored reads back.
type storedEvent struct {
	ID             int64  `json:"id"`
	UUID           string `json:"uuid"`
	Seq            int64  `json:"seq"`
	Action         string `json:"action"`
	IdempotencyKey string `json:"idempotency_key"`
}

// listEvents walks GET /v1/events?query with cursors.
func listEvents(t *testing.T, url, key, query string) []storedEvent {
	t.Helper()
	var out []storedEvent
	cursor := ""
	for {
		var page struct {
			Events     []storedEvent
			NextCursor *string `json:"next_cursor"`
		}
		if status := getJSON(t, url+"/v1/events?limit=1000&"+query+"&cursor="+cursor, key, &page); status != http.StatusOK {
			t.Fatalf("list %s: status %d", query, status)
		}
		out = append(out, page.Events...)
		if page.NextCursor == nil {
			return out
		}
		cursor = *page.NextCursor
	}
}

func getJSON(t *testing.T, url, key string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

// checkStored asserts that every acknowledged event is stored once: in
// the full list, in the list filtered by its action, and by id and by
// uuid; and that no idempotency key was stored twice.
func checkStored(t *testing.T, url, key string, acks map[string]ack) {
	t.Helper()
	all := listEvents(t, url, key, "")
	byUUID := map[string]storedEvent{}
	byKey := map[string]string{}
	for _, e := range all {
		if _, dup := byUUID[e.UUID]; dup {
			t.Fatalf("event %s listed twice", e.UUID)
		}
		byUUID[e.UUID] = e
		if e.IdempotencyKey == "" {
			continue
		}
		if other, dup := byKey[e.IdempotencyKey]; dup {
			t.Fatalf("idempotency key %s stored twice: events %s and %s", e.IdempotencyKey, other, e.UUID)
		}
		byKey[e.IdempotencyKey] = e.UUID
	}
	filtered := map[string]map[string]bool{}
	for _, action := range []string{"load.single", "load.batch"} {
		filtered[action] = map[string]bool{}
		for _, e := range listEvents(t, url, key, "action="+action) {
			if e.Action != action {
				t.Fatalf("action=%s listed %s", action, e.Action)
			}
			filtered[action][e.UUID] = true
		}
	}
	var lost []string
	for k, a := range acks {
		e, ok := byUUID[a.UUID]
		if !ok || e.ID != a.ID || e.Seq != a.Seq || e.IdempotencyKey != k {
			lost = append(lost, fmt.Sprintf("%s (%+v, stored %+v)", k, a, e))
			continue
		}
		if !filtered[e.Action][a.UUID] {
			t.Errorf("acknowledged event %s missing from the list filtered by action=%s", a.UUID, e.Action)
		}
	}
	if len(lost) > 0 {
		t.Fatalf("%d of %d acknowledged events lost or changed, first: %s", len(lost), len(acks), lost[0])
	}
	// By id and by uuid, eight at a time.
	work := make(chan ack)
	var wg sync.WaitGroup
	var bad atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				for _, ref := range []string{a.UUID, fmt.Sprint(a.ID)} {
					var e storedEvent
					if status := getJSON(t, url+"/v1/events/"+ref, key, &e); status != http.StatusOK || e.UUID != a.UUID {
						if bad.Add(1) == 1 {
							t.Errorf("GET /v1/events/%s: status %d, uuid %s; want %s", ref, status, e.UUID, a.UUID)
						}
					}
				}
			}
		}()
	}
	for _, a := range acks {
		work <- a
	}
	close(work)
	wg.Wait()
	t.Logf("%d acknowledged, %d stored, each found by id, uuid and filtered list", len(acks), len(all))
}
