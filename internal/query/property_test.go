package query_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"pgregory.net/rapid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/query"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/postgres/pgtest"
	"github.com/auditkeep/auditkeep/internal/store/sqlite"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Small domains, so that filters match some events and sorts have ties.
var (
	domain      = []string{"", "a", "ab", "b", "B", "é", "a b"}
	actorTypes  = []string{"", "ApiKey", "AcquirerUser", "MerchantUser"}
	targetTypes = []string{"kyc_case", "kyc_answer", "Merchant", "Order", "Händler"}
	emails      = []string{"", "anna@example.dk", "ANNA.jensen@Example.com", "bo@x.org"}
	labelVals   = []string{"x", "y", "z"}
)

func genEvent(t *rapid.T, tenant uuid.UUID, base time.Time) event.Event {
	e := event.Event{
		TenantID:    tenant,
		UUID:        uuid.Must(uuid.NewV7()),
		OccurredAt:  base.Add(time.Duration(rapid.IntRange(0, 40).Draw(t, "minute")) * time.Minute),
		Category:    rapid.SampledFrom(domain).Draw(t, "category"),
		Action:      rapid.SampledFrom([]string{"create", "created", "update", "lookup", "Create", "¿qué", "À"}).Draw(t, "action"),
		ActionType:  rapid.SampledFrom([]event.ActionType{event.Active, event.Passive}).Draw(t, "action_type"),
		Status:      rapid.SampledFrom([]event.Status{event.Success, event.Failure, event.Info}).Draw(t, "status"),
		Level:       rapid.IntRange(1, 3).Draw(t, "level"),
		ExternalRef: rapid.SampledFrom(domain).Draw(t, "external_ref"),
		Context:     rapid.SampledFrom(domain).Draw(t, "context"),
		RequestID:   rapid.SampledFrom(domain).Draw(t, "request_id"),
		SessionID:   rapid.SampledFrom(domain).Draw(t, "session_id"),
		Channel:     rapid.SampledFrom(domain).Draw(t, "channel"),
		Source:      rapid.SampledFrom(domain).Draw(t, "source"),
		Actor: event.Actor{
			Type:  rapid.SampledFrom(actorTypes).Draw(t, "actor_type"),
			ID:    rapid.SampledFrom(domain).Draw(t, "actor_id"),
			Email: rapid.SampledFrom(emails).Draw(t, "email"),
		},
	}
	if s := rapid.SampledFrom(domain).Draw(t, "subject"); s != "" {
		e.Subject = event.Subject{Type: rapid.SampledFrom([]string{"person", "company"}).Draw(t, "subject_type"), ID: s}
	}
	for i, n := 0, rapid.IntRange(0, 3).Draw(t, "targets"); i < n; i++ {
		e.Targets = append(e.Targets, event.Target{Type: rapid.SampledFrom(targetTypes).Draw(t, "tt"), ID: rapid.SampledFrom([]string{"1", "2", "42"}).Draw(t, "tid")})
	}
	for _, k := range []string{"workflow_name", "risk_level"} {
		if rapid.Bool().Draw(t, "has_"+k) {
			if e.Labels == nil {
				e.Labels = map[string]string{}
			}
			e.Labels[k] = rapid.SampledFrom(labelVals).Draw(t, k)
		}
	}
	if err := event.Normalize(&e, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return e
}

// oneIn is true once in n draws. (rapid leans towards the low end of a
// range, so the rare outcome sits at the high end of the choices.)
func oneIn(t *rapid.T, n int, label string) bool {
	choices := make([]bool, n)
	choices[n-1] = true
	return rapid.SampledFrom(choices).Draw(t, label)
}

// some draws an any-of list for one filter, used in one query out of
// eight, so that a query carries a couple of filters and still matches.
func some[T any](t *rapid.T, label string, from []T) []T {
	if !oneIn(t, 8, "use_"+label) {
		return nil
	}
	return rapid.SliceOfNDistinct(rapid.SampledFrom(from), 1, 2, func(v T) string { return fmt.Sprint(v) }).Draw(t, label)
}

func genFilter(t *rapid.T, base time.Time, ids []int64) store.Filter {
	var f store.Filter
	f.Categories = some(t, "f_category", domain)
	f.Actions = some(t, "f_action", []string{"create", "update", "lookup", "nope"})
	f.ActionTypes = some(t, "f_action_type", []string{"active", "passive"})
	f.Statuses = some(t, "f_status", []string{"success", "failure", "info"})
	f.Levels = some(t, "f_level", []int{1, 2, 3})
	f.ExternalRefs = some(t, "f_external_ref", domain)
	f.Contexts = some(t, "f_context", domain)
	f.RequestIDs = some(t, "f_request_id", domain)
	f.SessionIDs = some(t, "f_session_id", domain)
	f.Channels = some(t, "f_channel", domain)
	f.Sources = some(t, "f_source", domain)
	f.ActorTypes = some(t, "f_actor_type", actorTypes)
	f.ActorIDs = some(t, "f_actor_id", domain)
	f.SubjectTypes = some(t, "f_subject_type", []string{"person", "company"})
	f.SubjectIDs = some(t, "f_subject_id", domain)
	// "¿" ends in the byte 0xBF and "À" follows it: the prefix range's
	// upper bound must stay UTF-8 (PostgreSQL refuses it otherwise) and
	// exclude "À".
	f.ActionPrefixes = some(t, "f_action_prefix", []string{"cr", "create", "u", "C", "", "¿"})
	f.PrimaryTargetTypes = some(t, "f_ptt", targetTypes)
	f.PrimaryTargetIDs = some(t, "f_ptid", []string{"1", "42"})
	f.PrimaryTargetTypePrefixes = some(t, "f_pttp", []string{"kyc", "kyc_c", "M", "Hä"})
	if oneIn(t, 8, "use_email") {
		f.ActorEmailContains = rapid.SampledFrom([]string{"anna", "EXAMPLE", "@x.", "jensen@"}).Draw(t, "email_contains")
	}
	for i, n := 0, rapid.SampledFrom([]int{0, 0, 0, 0, 0, 0, 1, 2}).Draw(t, "f_targets"); i < n; i++ {
		f.Targets = append(f.Targets, store.TargetRef{Type: rapid.SampledFrom(targetTypes).Draw(t, "ftt"), ID: rapid.SampledFrom([]string{"1", "42"}).Draw(t, "ftid")})
	}
	for _, k := range []string{"workflow_name", "risk_level"} {
		if v := some(t, "f_label_"+k, labelVals); v != nil {
			if f.Labels == nil {
				f.Labels = map[string][]string{}
			}
			f.Labels[k] = v
		}
	}
	if oneIn(t, 4, "use_from") {
		f.OccurredFrom = base.Add(time.Duration(rapid.IntRange(0, 40).Draw(t, "from")) * time.Minute)
	}
	if oneIn(t, 4, "use_until") {
		f.OccurredUntil = base.Add(time.Duration(rapid.IntRange(0, 41).Draw(t, "until")) * time.Minute)
	}
	if len(ids) > 0 {
		f.IDs = some(t, "f_ids", ids)
	}
	return f
}

// matches is the brute-force meaning of a filter.
func matches(f *store.Filter, e *event.Event) bool {
	in := func(vals []string, v string) bool { return len(vals) == 0 || slices.Contains(vals, v) }
	prefixed := func(ps []string, v string) bool {
		if len(ps) == 0 {
			return true
		}
		for _, p := range ps {
			if strings.HasPrefix(v, p) {
				return true
			}
		}
		return false
	}
	pt := e.PrimaryTarget()
	if !(in(f.Categories, e.Category) && in(f.Actions, e.Action) && in(f.ActionTypes, string(e.ActionType)) &&
		in(f.Statuses, string(e.Status)) && in(f.ExternalRefs, e.ExternalRef) && in(f.Contexts, e.Context) &&
		in(f.RequestIDs, e.RequestID) && in(f.SessionIDs, e.SessionID) && in(f.Channels, e.Channel) &&
		in(f.Sources, e.Source) && in(f.ActorTypes, e.Actor.Type) && in(f.ActorIDs, e.Actor.ID) &&
		in(f.SubjectTypes, e.Subject.Type) && in(f.SubjectIDs, e.Subject.ID) &&
		in(f.PrimaryTargetTypes, pt.Type) && in(f.PrimaryTargetIDs, pt.ID) &&
		prefixed(f.ActionPrefixes, e.Action) && prefixed(f.PrimaryTargetTypePrefixes, pt.Type)) {
		return false
	}
	if len(f.Levels) > 0 && !slices.Contains(f.Levels, e.Level) {
		return false
	}
	if len(f.IDs) > 0 && !slices.Contains(f.IDs, e.ID) {
		return false
	}
	if f.ActorEmailContains != "" && !strings.Contains(strings.ToLower(e.Actor.Email), strings.ToLower(f.ActorEmailContains)) {
		return false
	}
	for _, want := range f.Targets {
		if !slices.ContainsFunc(e.Targets, func(t event.Target) bool { return t.Type == want.Type && t.ID == want.ID }) {
			return false
		}
	}
	for k, vals := range f.Labels {
		v, ok := e.Labels[k]
		if !ok || !slices.Contains(vals, v) {
			return false
		}
	}
	if !f.OccurredFrom.IsZero() && e.OccurredAt.Before(f.OccurredFrom) {
		return false
	}
	if !f.OccurredUntil.IsZero() && !e.OccurredAt.Before(f.OccurredUntil) {
		return false
	}
	return true
}

// less is the brute-force meaning of a sort.
func less(s store.Sort, a, b *event.Event) int {
	var c int
	switch s.Field {
	case store.ByOccurredAt:
		c = a.OccurredAt.Compare(b.OccurredAt)
	case store.ByActorType:
		c = strings.Compare(a.Actor.Type, b.Actor.Type)
	case store.ByTargetType:
		c = strings.Compare(a.PrimaryTarget().Type, b.PrimaryTarget().Type)
	case store.ByActionType:
		c = strings.Compare(string(a.ActionType), string(b.ActionType))
	}
	if c == 0 {
		c = cmpInt(a.ID, b.ID)
	}
	if s.Desc {
		c = -c
	}
	return c
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var seq, nonEmpty, queries atomic.Int64

// checkEngine ingests random events into a fresh tenant tree and compares
// random queries, page by page, with the brute-force answer.
func checkEngine(t *rapid.T, st store.Store) {
	ctx := context.Background()
	root := storetest.NewTenant(t, st, fmt.Sprintf("root-%d", seq.Add(1)), uuid.Nil)
	child := storetest.NewTenant(t, st, "child", root.ID)
	other := storetest.NewTenant(t, st, "other", uuid.Nil)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	n := rapid.IntRange(15, 60).Draw(t, "events")
	var evs []event.Event
	for i := 0; i < n; i++ {
		tn := rapid.SampledFrom([]uuid.UUID{root.ID, root.ID, child.ID, other.ID}).Draw(t, "tenant")
		evs = append(evs, genEvent(t, tn, base))
	}
	var stored []event.Event
	for i := 0; i < len(evs); i += 25 {
		res, err := st.Append(ctx, []store.AppendRequest{{Events: evs[i:min(i+25, len(evs))]}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("append: %v %v", err, res[0].Err)
		}
		stored = append(stored, res[0].Events...)
		// The indexer runs at random points, or not at all: reads merge
		// whatever is not indexed yet.
		if n := rapid.SampledFrom([]int{0, 0, 3, 20, 100}).Draw(t, "index"); n > 0 {
			if _, err := st.IndexBatch(ctx, n); err != nil {
				t.Fatalf("index: %v", err)
			}
		}
	}
	ids := make([]int64, len(stored))
	for i, e := range stored {
		ids[i] = e.ID
	}
	engine := query.New(st, []byte("0123456789abcdef0123456789abcdef"))
	for q := 0; q < 4; q++ {
		scope := rapid.SampledFrom([][]uuid.UUID{{root.ID}, {root.ID, child.ID}, {child.ID}}).Draw(t, "scope")
		req := &query.Request{
			Scope:  scope,
			Filter: genFilter(t, base, ids),
			Sort:   store.Sort{Field: store.SortField(rapid.IntRange(0, 3).Draw(t, "sort")), Desc: rapid.Bool().Draw(t, "desc")},
			Limit:  rapid.IntRange(1, 7).Draw(t, "limit"),
			Kind:   rapid.SampledFrom([]query.PageKind{query.Cursor, query.Offset}).Draw(t, "kind"),
			Total:  rapid.Bool().Draw(t, "total"),
		}
		var want []event.Event
		for i := range stored {
			if slices.Contains(scope, stored[i].TenantID) && matches(&req.Filter, &stored[i]) {
				want = append(want, stored[i])
			}
		}
		slices.SortFunc(want, func(a, b event.Event) int { return less(req.Sort, &a, &b) })
		var got []int64
		for page := 1; page <= len(want)/req.Limit+2; page++ {
			req.Page = page
			res, err := engine.Run(ctx, req)
			if err != nil {
				t.Fatalf("run %+v: %v", req, err)
			}
			if req.Total && res.Total != int64(len(want)) {
				t.Fatalf("page %d: total = %d, want %d (filter %+v)", page, res.Total, len(want), req.Filter)
			}
			for _, e := range res.Events {
				got = append(got, e.ID)
			}
			wantMore := len(got) < len(want)
			if req.Kind == query.Offset {
				wantMore = page*req.Limit < len(want)
			}
			if res.HasMore != wantMore {
				t.Fatalf("page %d: has_more = %v, want %v", page, res.HasMore, wantMore)
			}
			if req.Kind == query.Cursor {
				if res.NextCursor == "" {
					break
				}
				req.Cursor = res.NextCursor
			}
		}
		queries.Add(1)
		if len(want) > 0 {
			nonEmpty.Add(1)
		}
		wantIDs := []int64{}
		for _, e := range want {
			wantIDs = append(wantIDs, e.ID)
		}
		if got == nil {
			got = []int64{}
		}
		if diff := cmp.Diff(wantIDs, got); diff != "" {
			t.Fatalf("query %+v sort %+v kind %v limit %d (-brute force +engine):\n%s", req.Filter, req.Sort, req.Kind, req.Limit, diff)
		}
	}
}

func TestEngineMatchesBruteForce(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "q.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rapid.Check(t, func(rt *rapid.T) { checkEngine(rt, st) })
	})
	t.Cleanup(func() {
		// A property that only ever sees empty answers proves nothing.
		if q := queries.Load(); q > 0 && nonEmpty.Load()*6 < q {
			t.Errorf("only %d of %d random queries matched any event", nonEmpty.Load(), q)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		st := pgtest.Open(t)
		rapid.Check(t, func(rt *rapid.T) { checkEngine(rt, st) })
	})
}
