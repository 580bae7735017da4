package ledger

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"
	"pgregory.net/rapid"
)

// logFixture is a committed log as a store holds it: events, the leaf hash
// column, and signed-and-verified checkpoints.
type logFixture struct {
	events []*event.Event
	stored map[int64]tlog.Hash // by seq
	cps    []Checkpoint
}

func newLogFixture(t tb, n int, sizes ...int64) *logFixture {
	events := testEvents(n, testTenant)
	f := &logFixture{events: events, stored: map[int64]tlog.Hash{}, cps: checkpointsAt(t, events, sizes...)}
	for _, e := range events {
		f.stored[e.Seq] = LeafHash(e)
	}
	return f
}

func (f *logFixture) verify(withStored bool) Report {
	var stored func(int64) (tlog.Hash, bool)
	if withStored {
		stored = func(seq int64) (tlog.Hash, bool) { h, ok := f.stored[seq]; return h, ok }
	}
	rep, err := VerifyLog(eventsOf(f.events), f.cps, stored)
	if err != nil {
		panic(err)
	}
	return rep
}

func eventsOf(events []*event.Event) iter.Seq2[*event.Event, error] {
	return func(yield func(*event.Event, error) bool) {
		for _, e := range events {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// edited returns a copy of e changed by fn, as an attacker with database
// access would leave it.
func edited(e *event.Event, fn func(*event.Event)) *event.Event {
	c := *e
	fn(&c)
	return &c
}

func TestVerifyLogGood(t *testing.T) {
	t.Parallel()
	f := newLogFixture(t, 1000, 0, 100, 256, 700, 900)
	for _, withStored := range []bool{false, true} {
		rep := f.verify(withStored)
		if !rep.OK() || rep.Err() != nil {
			t.Fatalf("good log: %v", rep.Failure)
		}
		if rep.Events != 1000 || rep.Verified != 900 || rep.Unverified != 100 || rep.Checkpoints != 5 || rep.Newest.Size != 900 {
			t.Fatalf("report %+v", rep)
		}
		if rep.Tenant != testTenant || rep.Origin != Origin("", testTenant) {
			t.Errorf("tenant %v origin %q", rep.Tenant, rep.Origin)
		}
		if want := checkpointsAt(t, f.events, 1000)[0].Root; rep.Root != want {
			t.Error("root of the whole log differs")
		}
		if s := rep.String(); !strings.Contains(s, "OK") || !strings.Contains(s, "100 event(s) after the newest checkpoint") {
			t.Errorf("String() =\n%s", s)
		}
	}
	// No checkpoints at all: nothing is verified, nothing fails.
	rep, err := VerifyLog(eventsOf(f.events), nil, nil)
	if err != nil || !rep.OK() || rep.Unverified != 1000 || rep.Tenant != testTenant {
		t.Fatalf("without checkpoints: %+v, %v", rep, err)
	}
	// An empty log with the empty checkpoint.
	rep, err = VerifyLog(eventsOf(nil), []Checkpoint{{Origin: "o", Root: emptyRoot()}}, nil)
	if err != nil || !rep.OK() || rep.Checkpoints != 1 {
		t.Fatalf("empty log: %+v, %v", rep, err)
	}
}

func TestVerifyLogFindsTheFirstBadEvent(t *testing.T) {
	t.Parallel()
	const n = 1000
	sizes := []int64{100, 256, 700, 900}
	type want struct {
		kind     FailureKind
		seq      int64 // -1: none named
		from, to int64 // for KindRoot, KindTruncated
	}
	for _, tc := range []struct {
		name       string
		tamper     func(f *logFixture)
		withStored bool
		want       want
	}{
		{"edited, stored hashes kept", func(f *logFixture) {
			f.events[341] = edited(f.events[341], func(e *event.Event) { e.Action = "evaluatioN" })
		}, true, want{KindLeaf, 341, 0, 0}},
		{"edited, no stored hashes", func(f *logFixture) {
			f.events[341] = edited(f.events[341], func(e *event.Event) { e.Action = "evaluatioN" })
		}, false, want{KindRoot, -1, 256, 700}},
		{"edited and stored hash rewritten", func(f *logFixture) {
			f.events[341] = edited(f.events[341], func(e *event.Event) { e.Labels = map[string]string{"risk_level": "low"} })
			f.stored[341] = LeafHash(f.events[341])
		}, true, want{KindRoot, -1, 256, 700}},
		{"only the stored hash changed", func(f *logFixture) {
			f.stored[341] = f.stored[342]
		}, true, want{KindStoredLeaf, 341, 0, 0}},
		{"edited after the newest checkpoint", func(f *logFixture) {
			f.events[950] = edited(f.events[950], func(e *event.Event) { e.Summary += "." })
		}, true, want{KindLeaf, 950, 0, 0}},
		{"edited after the newest checkpoint, no stored hashes", func(f *logFixture) {
			// Nothing can see it yet: that is what "unverified" means.
			f.events[950] = edited(f.events[950], func(e *event.Event) { e.Summary += "." })
		}, false, want{"", -1, 0, 0}},
		{"deleted", func(f *logFixture) {
			f.events = slices.Delete(f.events, 341, 342)
		}, true, want{KindMissing, 341, 0, 0}},
		{"deleted at the end, under a checkpoint", func(f *logFixture) {
			f.events = f.events[:850]
		}, true, want{KindTruncated, -1, 850, 900}},
		{"deleted at the end, past the checkpoints", func(f *logFixture) {
			f.events = f.events[:950]
		}, true, want{"", -1, 0, 0}},
		{"two swapped", func(f *logFixture) {
			f.events[341], f.events[342] = f.events[342], f.events[341]
		}, true, want{KindOrder, 342, 0, 0}},
		{"two swapped and renumbered", func(f *logFixture) {
			a, b := f.events[341], f.events[342]
			f.events[341] = edited(b, func(e *event.Event) { e.Seq = 341 })
			f.events[342] = edited(a, func(e *event.Event) { e.Seq = 342 })
		}, true, want{KindLeaf, 341, 0, 0}},
		{"two swapped and renumbered, no stored hashes", func(f *logFixture) {
			a, b := f.events[341], f.events[342]
			f.events[341] = edited(b, func(e *event.Event) { e.Seq = 341 })
			f.events[342] = edited(a, func(e *event.Event) { e.Seq = 342 })
		}, false, want{KindRoot, -1, 256, 700}},
		{"inserted with a duplicate seq", func(f *logFixture) {
			fake := edited(f.events[341], func(e *event.Event) { e.ID, e.Action = 999999, "delete" })
			f.events = slices.Insert(f.events, 342, fake)
		}, true, want{KindDuplicate, 341, 0, 0}},
		{"inserted and the rest renumbered", func(f *logFixture) {
			fake := edited(f.events[341], func(e *event.Event) { e.ID, e.Action = 999999, "delete" })
			f.events = slices.Insert(f.events, 341, fake)
			for i := 342; i < len(f.events); i++ {
				f.events[i] = edited(f.events[i], func(e *event.Event) { e.Seq++ })
			}
		}, true, want{KindLeaf, 341, 0, 0}},
		{"inserted, renumbered, all stored hashes rewritten", func(f *logFixture) {
			fake := edited(f.events[341], func(e *event.Event) { e.ID, e.Action = 999999, "delete" })
			f.events = slices.Insert(f.events, 341, fake)
			for i := 342; i < len(f.events); i++ {
				f.events[i] = edited(f.events[i], func(e *event.Event) { e.Seq++ })
			}
			for _, e := range f.events {
				f.stored[e.Seq] = LeafHash(e)
			}
		}, true, want{KindRoot, -1, 256, 700}},
		{"moved to another tenant", func(f *logFixture) {
			f.events[5] = edited(f.events[5], func(e *event.Event) { e.TenantID = uuid.New() })
		}, true, want{KindTenant, 5, 0, 0}},
		{"first event missing", func(f *logFixture) {
			f.events = f.events[1:]
		}, false, want{KindMissing, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newLogFixture(t, n, sizes...)
			tc.tamper(f)
			rep := f.verify(tc.withStored)
			got := rep.Failure
			if tc.want.kind == "" {
				if got != nil {
					t.Fatalf("unexpected failure: %v", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("no failure; want %s", tc.want.kind)
			}
			if got.Kind != tc.want.kind || got.Seq != tc.want.seq {
				t.Fatalf("failure %q (kind %q, seq %d); want kind %q, seq %d", got, got.Kind, got.Seq, tc.want.kind, tc.want.seq)
			}
			if got.Kind == KindRoot || got.Kind == KindTruncated {
				if got.From != tc.want.from || got.To != tc.want.to || got.Checkpoint == nil {
					t.Fatalf("failure %q: range [%d, %d), want [%d, %d)", got, got.From, got.To, tc.want.from, tc.want.to)
				}
			}
			if rep.OK() || rep.Err() == nil || !strings.HasPrefix(rep.Err().Error(), "first mismatch: ") {
				t.Fatalf("report says %v / %v", rep.OK(), rep.Err())
			}
			if !strings.Contains(rep.String(), "FAILED") {
				t.Errorf("String() =\n%s", rep.String())
			}
		})
	}
}

func TestFailureMessage(t *testing.T) {
	t.Parallel()
	f := newLogFixture(t, 50, 50)
	f.events[41] = edited(f.events[41], func(e *event.Event) { e.ID = 123; e.Action = "x" })
	got := f.verify(true).Err().Error()
	want := "first mismatch: event id 123 (seq 41): leaf hash differs"
	if !strings.HasPrefix(got, want) {
		t.Errorf("message %q, want it to start with %q", got, want)
	}
	f = newLogFixture(t, 50, 50)
	f.events = slices.Delete(f.events, 41, 42)
	if got, want := f.verify(true).Err().Error(), "first mismatch: seq 41: event missing: the next event is id 1126 (seq 42)"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestVerifyLogInputs(t *testing.T) {
	t.Parallel()
	f := newLogFixture(t, 10, 5, 10)
	boom := errors.New("boom")
	failing := func(yield func(*event.Event, error) bool) {
		if yield(f.events[0], nil) {
			yield(nil, boom)
		}
	}
	if _, err := VerifyLog(failing, f.cps, nil); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	nilEvent := func(yield func(*event.Event, error) bool) { yield(nil, nil) }
	if _, err := VerifyLog(nilEvent, f.cps, nil); err == nil {
		t.Error("nil event: no error")
	}
	mixed := []Checkpoint{f.cps[0], {Origin: "other", Size: 10}}
	if _, err := VerifyLog(eventsOf(f.events), mixed, nil); !errors.Is(err, event.ErrInvalid) {
		t.Errorf("checkpoints of two logs: %v", err)
	}
	// Order of checkpoints does not matter.
	rep, err := VerifyLog(eventsOf(f.events), []Checkpoint{f.cps[1], f.cps[0]}, nil)
	if err != nil || !rep.OK() {
		t.Errorf("unsorted checkpoints: %v %v", rep.Failure, err)
	}
	fork := f.cps[1]
	fork.Root[0] ^= 1
	rep, _ = VerifyLog(eventsOf(f.events), []Checkpoint{f.cps[1], fork}, nil)
	if rep.Failure == nil || rep.Failure.Kind != KindConflict {
		t.Errorf("forked checkpoints: %v", rep.Failure)
	}
	// A checkpoint's origin names the tenant the events must belong to.
	other := checkpointsAt(t, testEvents(10, uuid.New()), 10)
	other[0].Root = f.cps[1].Root
	rep, _ = VerifyLog(eventsOf(f.events), other, nil)
	if rep.Failure == nil || rep.Failure.Kind != KindTenant || rep.Failure.Seq != 0 {
		t.Errorf("events of another tenant: %v", rep.Failure)
	}
}

// TestVerifyLogProperty tampers with a random log at a random place in a
// random way and expects the failure to name that place.
func TestVerifyLogProperty(t *testing.T) {
	t.Parallel()
	all := testEvents(600, testTenant)
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(2, 600).Draw(rt, "n")
		f := &logFixture{events: slices.Clone(all[:n]), stored: map[int64]tlog.Hash{}}
		for _, e := range f.events {
			f.stored[e.Seq] = LeafHash(e)
		}
		cps := rapid.SliceOfNDistinct(rapid.Int64Range(1, int64(n)), 1, 4, func(s int64) int64 { return s }).Draw(rt, "checkpoints")
		slices.Sort(cps)
		f.cps = checkpointsAt(rt, f.events, cps...)
		newest := cps[len(cps)-1]
		if rep := f.verify(true); !rep.OK() {
			rt.Fatalf("untouched log fails: %v", rep.Failure)
		}
		i := rapid.Int64Range(0, newest-1).Draw(rt, "victim")
		var want FailureKind
		wantSeq := i
		switch op := rapid.IntRange(0, 3).Draw(rt, "op"); op {
		case 0:
			f.events[i] = edited(f.events[i], func(e *event.Event) { e.OccurredAt = e.OccurredAt.Add(1e3) })
			want = KindLeaf
		case 1:
			f.events = slices.Delete(f.events, int(i), int(i)+1)
			want = KindMissing
			if i == int64(len(f.events)) {
				want, wantSeq = KindTruncated, -1
			}
		case 2:
			if i+1 >= int64(len(f.events)) {
				rt.Skip("nothing to swap with")
			}
			f.events[i], f.events[i+1] = f.events[i+1], f.events[i]
			want, wantSeq = KindOrder, i+1
		case 3:
			fake := edited(f.events[i], func(e *event.Event) { e.Reason = "inserted" })
			f.events = slices.Insert(f.events, int(i), fake)
			for j := int(i) + 1; j < len(f.events); j++ {
				f.events[j] = edited(f.events[j], func(e *event.Event) { e.Seq++ })
			}
			want = KindLeaf
		}
		got := f.verify(true).Failure
		if got == nil || got.Kind != want || got.Seq != wantSeq {
			rt.Fatalf("failure %v; want %s at seq %d", got, want, wantSeq)
		}
	})
}

func ExampleFailure_Error() {
	f := &Failure{Kind: KindLeaf, Seq: 41, EventID: 123}
	fmt.Println(f)
	// Output: first mismatch: event id 123 (seq 41): leaf hash differs
}
