package httpx

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/auditkeep/auditkeep/internal/event"
)

func TestParseQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw  string
		want Query
	}{
		{"", nil},
		{"a=1", Query{{"a", "1"}}},
		{"a=1&b=2&a=3", Query{{"a", "1"}, {"b", "2"}, {"a", "3"}}},
		{"a=1&&b=2&", Query{{"a", "1"}, {"b", "2"}}},
		{"count", Query{{"count", ""}}},
		{"a=", Query{{"a", ""}}},
		{"a=x=y", Query{{"a", "x=y"}}},
		{"a=x+y%20z", Query{{"a", "x y z"}}},
		{"label.k%2Ey=%3B%26", Query{{"label.k.y", ";&"}}},
		{"a=%C3%A6", Query{{"a", "æ"}}},
	} {
		got, err := ParseQuery(tc.raw, QueryLimits{})
		if err != nil {
			t.Errorf("%q: %v", tc.raw, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.raw, diff)
		}
	}
}

// TestParseQueryRefuses: everything net/url.ParseQuery would drop, split or
// pass on is an error naming the parameter.
func TestParseQueryRefuses(t *testing.T) {
	t.Parallel()
	many := strings.Repeat("a=1&", DefaultMaxQueryParams) + "b=1"
	for _, tc := range []struct {
		raw, field string
	}{
		{"count=exact&action=nomatch;x", "action"},
		{"tenant=a1;", "tenant"},
		{"a;b=1", "a;b"},
		{";", ";"},
		{"a=%zz", "a"},
		{"a=%", "a"},
		{"a=%4", "a"},
		{"%zz=1", "%zz"},
		{"a=x&b=%FF", "b"},
		{"a=x%00y", "a"},
		{"a%00=1", "a%00"},
		{"%FF=1", "%FF"},
		{"a=%ED%A0%80", "a"}, // a UTF-16 surrogate, which UTF-8 may not encode
		{"=1", QueryParam},
		{"=;", QueryParam}, // found by FuzzListQuery
		{"=%zz", QueryParam},
		{"a=1&=", QueryParam},
		{many, "b"},
		{"a=" + strings.Repeat("x", DefaultMaxQueryBytes), QueryParam},
	} {
		q, err := ParseQuery(tc.raw, QueryLimits{})
		var fe *event.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, event.ErrInvalid) {
			t.Errorf("%.60q: %v %v, want an invalid-field error naming %q", tc.raw, q, err, tc.field)
		}
	}
}

func TestParseQueryLimits(t *testing.T) {
	t.Parallel()
	lim := QueryLimits{MaxParams: 3, MaxBytes: 20}
	if _, err := ParseQuery("a=1&b=2&c=3", lim); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	if _, err := ParseQuery("a=1&b=2&c=3&d=4", lim); err == nil {
		t.Error("four pairs past a limit of three: no error")
	}
	if _, err := ParseQuery("a="+strings.Repeat("x", 18), lim); err != nil {
		t.Errorf("20 bytes: %v", err)
	}
	if _, err := ParseQuery("a="+strings.Repeat("x", 19), lim); err == nil {
		t.Error("21 bytes past a limit of 20: no error")
	}
	// The default limits hold the largest query any route takes.
	var sb strings.Builder
	for i := range DefaultMaxQueryParams {
		if i > 0 {
			sb.WriteByte('&')
		}
		sb.WriteString("p" + strconv.Itoa(i) + "=v")
	}
	if _, err := ParseQuery(sb.String(), QueryLimits{}); err != nil {
		t.Errorf("%d pairs: %v", DefaultMaxQueryParams, err)
	}
}

func TestQueryGrouped(t *testing.T) {
	t.Parallel()
	q := Query{{"b", "1"}, {"a", "2"}, {"b", "3"}}
	names, vals := q.Grouped()
	if diff := cmp.Diff([]string{"b", "a"}, names); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff(map[string][]string{"b": {"1", "3"}, "a": {"2"}}, vals); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{"1", "3"}, q.Values("b")); diff != "" {
		t.Error(diff)
	}
	if !q.Has("a") || q.Has("c") {
		t.Error("Has")
	}
	if diff := cmp.Diff([]string{"b", "a"}, q.Names()); diff != "" {
		t.Error(diff)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "a=nomatch;x", "%zz=1", "a=%FF", "a=1&a=2", "=", "&&", "a=x+y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := ParseQuery(raw, QueryLimits{})
		if err != nil {
			var fe *event.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, event.ErrInvalid) || fe.Field == "" {
				t.Fatalf("%q: %v is not an invalid-field error naming a parameter", raw, err)
			}
			return
		}
		if strings.Contains(raw, ";") {
			t.Fatalf("%q: a ';' was accepted", raw)
		}
		for _, p := range q {
			if p.Name == "" || !event.ValidText(p.Name) || !event.ValidText(p.Value) {
				t.Fatalf("%q: %q passed", raw, p)
			}
		}
	})
}
