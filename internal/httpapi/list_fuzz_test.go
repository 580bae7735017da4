package httpapi

import (
	"errors"
	"testing"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// FuzzListQuery: whatever query string GET /v1/events receives, it is
// refused with a field error or parsed into a request within every filter
// bound; never a panic, never a bound passed.
func FuzzListQuery(f *testing.F) {
	for _, s := range []string{
		"count=exact&action=nomatch;x", "action=%zz", "%zz=1", "=x", "action=a%00",
		"limit=5&limit=5", "target=a:1&target=a:1&target=b:2", "label.k=v&label.k=w&label.j=x",
		"action_prefix=a&target.type_prefix=b", "tenant=a&tenant.descendants=true", "occurred_at.gte=2024-06-12T09:14:33Z",
		"label.bad%20key=1", "action=a+b&category=%3B",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := httpx.ParseQuery(raw, httpx.QueryLimits{})
		if err == nil {
			_, _, err = parseList(q)
			if err == nil {
				req, _, _ := parseList(q)
				fl := &req.Filter
				labels := 0
				for _, vs := range fl.Labels {
					labels += len(vs)
				}
				switch {
				case len(fl.Targets) > httpx.MaxTargets:
					t.Fatalf("%q: %d targets", raw, len(fl.Targets))
				case len(fl.Labels) > httpx.MaxLabelKeys || labels > httpx.MaxLabelValues:
					t.Fatalf("%q: %d label keys, %d values", raw, len(fl.Labels), labels)
				case len(fl.ActionPrefixes)+len(fl.PrimaryTargetTypePrefixes) > httpx.MaxPrefixes:
					t.Fatalf("%q: %d prefixes", raw, len(fl.ActionPrefixes)+len(fl.PrimaryTargetTypePrefixes))
				case len(fl.Actions) > httpx.MaxFilterValues || len(fl.IDs) > httpx.MaxFilterValues:
					t.Fatalf("%q: past the values of one field", raw)
				}
				return
			}
		}
		var fe *event.FieldError
		if !errors.As(err, &fe) || !errors.Is(err, event.ErrInvalid) || fe.Field == "" {
			t.Fatalf("%q: %v is not a field error naming a parameter", raw, err)
		}
	})
}
