package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes where a benchmark ran, for the write-up.
func Machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%s, %d CPUs%s, %s/%s, %s", cpu, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// Row is one line of an ingest table.
type Row struct {
	Name     string
	Events   int
	Elapsed  time.Duration
	PerSec   float64
	P50, P99 time.Duration
	Note     string
}

// WriteIngestTable writes ingest rows as Markdown.
func WriteIngestTable(w io.Writer, title string, rows []Row) {
	fmt.Fprintf(w, "\n### %s\n\n", title)
	fmt.Fprintln(w, "| measurement | events | seconds | events/s | p50 / request | p99 / request | note |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---|")
	for _, r := range rows {
		lat := func(d time.Duration) string {
			if d == 0 {
				return "—"
			}
			return fmtDur(d)
		}
		fmt.Fprintf(w, "| %s | %d | %.2f | %.0f | %s | %s | %s |\n", r.Name, r.Events, r.Elapsed.Seconds(), r.PerSec, lat(r.P50), lat(r.P99), r.Note)
	}
}

// WriteQueryTable writes query results as Markdown.
func WriteQueryTable(w io.Writer, title string, res []QueryResult) {
	fmt.Fprintf(w, "\n### %s\n\n", title)
	fmt.Fprintln(w, "| query shape | rows | p50 | p99 | target p99 | met |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
	for _, r := range res {
		target, met := "—", "—"
		if r.Target > 0 {
			target = fmtDur(r.Target)
			met = "yes"
			if r.P99 > r.Target {
				met = fmt.Sprintf("**no** (%.1f×)", float64(r.P99)/float64(r.Target))
			}
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |\n", r.Shape, r.Rows, fmtDur(r.P50), fmtDur(r.P99), target, met)
	}
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

// Extended holds the measurements beyond the ingest table; nil ones were
// skipped.
type Extended struct {
	Sustain   *SustainResult
	FirstPage *FirstPageResult
	Burst     *BurstResult
}

// WriteExtended writes them as Markdown.
func WriteExtended(w io.Writer, title string, x Extended) {
	if x.Sustain == nil && x.FirstPage == nil && x.Burst == nil {
		return
	}
	fmt.Fprintf(w, "\n### %s\n\n", title)
	fmt.Fprintln(w, "| measurement | result | detail |")
	fmt.Fprintln(w, "|---|---:|---|")
	if s := x.Sustain; s != nil {
		// The lag moves by whole indexer batches (5,000 events by
		// default); within two of them it is bounded, above it grows.
		bounded := "bounded"
		if s.EndLag > 10000 && s.LagGrowth > 0 {
			bounded = fmt.Sprintf("**growing** %.0f events/s", s.LagGrowth)
		}
		fmt.Fprintf(w, "| sustained, 4 clients batched, %s | %.0f events/s indexed | %.0f events/s acknowledged; lag max %d, at the end %d (%s)%s |\n",
			fmtDur(s.Elapsed.Round(time.Second)), s.IndexRate, s.PerSec, s.MaxLag, s.EndLag, bounded, refusals(s.Refused))
	}
	if f := x.FirstPage; f != nil {
		refused := ""
		if f.Refused > 0 {
			refused = fmt.Sprintf(", **%d cut off at the read deadline (503)**", f.Refused)
		}
		fmt.Fprintf(w, "| first page (GET /v1/events) under ingest | p99 %s | p50 %s over %d reads%s; ingest %.0f events/s (p99 %s per request%s) |\n",
			fmtDur(f.P99), fmtDur(f.P50), f.Reads, refused, f.IngestRate, fmtDur(f.IngestP99), refusals(f.IngestRefused))
	}
	if b := x.Burst; b != nil {
		drained := fmtDur(b.Drain)
		if !b.Drained {
			drained = "not within " + drained
		}
		fmt.Fprintf(w, "| lag after a %d-event burst | 0 after %s | burst at %.0f events/s; lag %d when the last was acknowledged%s |\n",
			b.Events, drained, b.PerSec, b.LagAtEnd, refusals(b.Refused))
	}
}

// refusals notes the ingest requests the lag bound refused (and the
// clients retried), when there were any.
func refusals(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; %d ingest 503s (lag bound) retried", n)
}
