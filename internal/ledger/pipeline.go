package ledger

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/auditkeep/auditkeep/internal/event"
	"golang.org/x/mod/sumdb/tlog"
)

// leafJob is one event on its way to the verifier: decoded (for an export
// line) and hashed by a worker, then consumed in order.
type leafJob struct {
	line      int64        // export line, 0 otherwise
	raw       []byte       // export line to decode, or nil
	ev        *event.Event // the event, once decoded
	stored    tlog.Hash
	hasStored bool
	leaf      tlog.Hash
	err       error // the line is malformed
}

func (j *leafJob) run() {
	if j.raw != nil && j.err == nil {
		e, err := decodeExportLine(j.raw)
		j.ev, j.err, j.raw = &e, err, nil
	}
	if j.err == nil {
		j.leaf = LeafHash(j.ev)
	}
}

const pipelineBatch = 512

type leafBatch struct {
	jobs []leafJob
	done chan struct{}
}

// pipeline computes leaf hashes on all CPUs and hands the jobs to consume
// in the order they were pushed. Building the leaf encoding (and, for an
// export, decoding JSON) is nearly all the cost of verifying, and it is
// independent per event; only the tree must be built in order.
//
// The producer (the caller) pushes, then closes; consume runs on its own
// goroutine and returns false once it needs no more jobs.
type pipeline struct {
	work    chan *leafBatch
	ordered chan *leafBatch
	cur     *leafBatch
	stopped atomic.Bool
	exited  chan struct{}
	workers sync.WaitGroup
}

func startPipeline(consume func(*leafJob) bool) *pipeline {
	n := runtime.GOMAXPROCS(0)
	p := &pipeline{
		work:    make(chan *leafBatch, n),
		ordered: make(chan *leafBatch, 2*n),
		exited:  make(chan struct{}),
	}
	for range n {
		p.workers.Add(1)
		go func() {
			defer p.workers.Done()
			for b := range p.work {
				if !p.stopped.Load() {
					for i := range b.jobs {
						b.jobs[i].run()
					}
				}
				close(b.done)
			}
		}()
	}
	go func() {
		defer close(p.exited)
		for b := range p.ordered {
			<-b.done
			if p.stopped.Load() {
				continue // drain, so the producer never blocks
			}
			for i := range b.jobs {
				if !consume(&b.jobs[i]) {
					p.stopped.Store(true)
					break
				}
			}
		}
	}()
	return p
}

// push queues a job. It returns false once the consumer wants no more.
func (p *pipeline) push(j leafJob) bool {
	if p.stopped.Load() {
		return false
	}
	if p.cur == nil {
		p.cur = &leafBatch{jobs: make([]leafJob, 0, pipelineBatch), done: make(chan struct{})}
	}
	p.cur.jobs = append(p.cur.jobs, j)
	if len(p.cur.jobs) == pipelineBatch {
		p.flush()
	}
	return true
}

func (p *pipeline) flush() {
	b := p.cur
	p.cur = nil
	// To the workers first: the consumer waits on batches in order, so each
	// must already be on its way to a worker when the consumer sees it.
	p.work <- b
	p.ordered <- b
}

// close hands over the last jobs and waits until all are consumed (or the
// consumer stopped). After close, whatever consume wrote is safe to read.
func (p *pipeline) close() {
	if p.cur != nil && len(p.cur.jobs) > 0 && !p.stopped.Load() {
		p.flush()
	}
	close(p.work)
	close(p.ordered)
	<-p.exited
	p.workers.Wait()
}
