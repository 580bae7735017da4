package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
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
	acks     map[string]acked // idempotency key → the event acknowledged
	statuses map[int]int      // how many answers of each status
	wrong    []string         // answers that break the contract
}

// startLoad starts writers goroutines posting single events and batches of
// three to url with key.
func startLoad(url, key string, writers int) *load {
	l := &load{key: key, stop: make(chan struct{}), acks: map[string]acked{}, statuses: map[int]int{}}
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
func (l *load) Acked() map[string]acked {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]acked, len(l.acks))
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
func (l *load) post(client *http.Client, body string, batch bool) ([]acked, bool) {
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
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusBadRequest:
		l.wrong = append(l.wrong, fmt.Sprintf("%d: %s", resp.StatusCode, b))
	}
	l.mu.Unlock()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return nil, false
	}
	if batch {
		var page struct{ Events []acked }
		if err := json.Unmarshal(b, &page); err != nil || len(page.Events) != 3 {
			l.mu.Lock()
			l.wrong = append(l.wrong, fmt.Sprintf("%d with a body that is no batch: %s", resp.StatusCode, b))
			l.mu.Unlock()
			return nil, false
		}
		return page.Events, true
	}
	var one acked
	if err := json.Unmarshal(b, &one); err != nil || one.UUID == "" {
		l.mu.Lock()
		l.wrong = append(l.wrong, fmt.Sprintf("%d with a body that is no event: %s", resp.StatusCode, b))
		l.mu.Unlock()
		return nil, false
	}
	return []acked{one}, true
}
