package dialect

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

func TestParamsParse(t *testing.T) {
	t.Parallel()
	exact := &Params{Known: []Param{{Name: "page"}, {Name: "names", Aliases: []string{"names[]"}, Max: 3}}}
	folded := &Params{Known: exact.Known, Fold: true}
	small := httpx.QueryLimits{MaxParams: 2, MaxBytes: 32}
	for _, tc := range []struct {
		name  string
		ps    *Params
		raw   string
		lim   httpx.QueryLimits
		want  Values
		field string // the parameter an error names; "" for success
	}{
		{"empty", exact, "", httpx.QueryLimits{}, Values{}, ""},
		{"unknown ignored", exact, "colour=red&page=2", httpx.QueryLimits{}, Values{"page": {"2"}}, ""},
		{"alias", exact, "names=a&names[]=b", httpx.QueryLimits{}, Values{"names": {"a", "b"}}, ""},
		{"at the maximum", exact, "names=a&names=b&names=c", httpx.QueryLimits{}, Values{"names": {"a", "b", "c"}}, ""},
		{"past the maximum", exact, "names=a&names=b&names[]=c&names=d", httpx.QueryLimits{}, nil, "names"},
		{"single repeated", exact, "page=1&page=2", httpx.QueryLimits{}, nil, "page"},
		{"single repeated empty", exact, "page=&page=2", httpx.QueryLimits{}, nil, "page"},
		{"exact case", exact, "PAGE=1&page=2", httpx.QueryLimits{}, Values{"page": {"2"}}, ""},
		{"folded case", folded, "PAGE=1", httpx.QueryLimits{}, Values{"page": {"1"}}, ""},
		{"folded repeat", folded, "PAGE=1&page=2", httpx.QueryLimits{}, nil, "page"},
		{"semicolon in a known value", folded, "Page=1;names=x", httpx.QueryLimits{}, nil, "page"},
		{"semicolon in an unknown one", exact, "colour=red;page=2", httpx.QueryLimits{}, nil, "colour"},
		{"bad escape", exact, "page=%zz", httpx.QueryLimits{}, nil, "page"},
		{"bad escape in an unknown name", exact, "%zz=1", httpx.QueryLimits{}, nil, "%zz"},
		{"NUL", exact, "names=a%00", httpx.QueryLimits{}, nil, "names"},
		{"invalid UTF-8", exact, "names=%ff", httpx.QueryLimits{}, nil, "names"},
		{"too many parameters", exact, "a=1&b=2&page=3", small, nil, "page"},
		{"too long", exact, "page=" + strings.Repeat("9", 40), small, nil, httpx.QueryParam},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.ps.Parse(tc.raw, tc.lim)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Parse(%q) = %v", tc.raw, err)
				}
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("Parse(%q) (-want +got):\n%s", tc.raw, d)
				}
				return
			}
			var fe *event.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, event.ErrInvalid) || fe.Field != tc.field {
				t.Fatalf("Parse(%q) = %v, %v; want an invalid field %q", tc.raw, got, err, tc.field)
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	t.Parallel()
	if err := CheckText("x", "café"); err != nil {
		t.Errorf("CheckText(café) = %v", err)
	}
	for _, v := range []string{"a\x00", "\xff", strings.Repeat("x", MaxValueBytes+1)} {
		var fe *event.FieldError
		if err := CheckText("x", v); !errors.As(err, &fe) || fe.Field != "x" {
			t.Errorf("CheckText(%.20q) = %v, want an error naming x", v, err)
		}
	}
}
