package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"b": 1, "a": [true, null, "x"]}`, `{"a":[true,null,"x"],"b":1}`},
		{`{"z":{"y":1.50,"x":-0}}`, `{"z":{"x":-0,"y":1.50}}`},
		{`"<&>"`, `"<&>"`},
		{`"tab\there \u0001 \"q\" back\\slash é \u00e9"`, `"tab\u0009here \u0001 \"q\" back\\slash é é"`},
		{`{"é":1,"e":2,"E":3}`, `{"E":3,"e":2,"é":1}`},
		{` [ ] `, `[]`},
		{`1e3`, `1e3`},
	}
	for _, tc := range tests {
		got, err := Canonical([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("Canonical(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
		again, _ := Canonical(got)
		if !bytes.Equal(again, got) {
			t.Errorf("Canonical is not idempotent on %s: %s", got, again)
		}
	}
	for _, bad := range []string{`{"a":1,"a":2}`, `{`, `[1,]`, `1 2`, ``, `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`} {
		if _, err := Canonical([]byte(bad)); err == nil {
			t.Errorf("Canonical(%q) succeeded", bad)
		}
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,null]}`, `"\u0000é"`, `[1.0,-2e-3]`, `{"":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Canonical(b)
		if err != nil {
			return
		}
		if !json.Valid(c) {
			t.Fatalf("canonical form %q of %q is not JSON", c, b)
		}
		again, err := Canonical(c)
		if err != nil || !bytes.Equal(again, c) {
			t.Fatalf("not idempotent: %q → %q (%v)", c, again, err)
		}
	})
}

func TestNormalize(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	e := Event{Action: "x", OccurredAt: time.Date(2025, 6, 1, 14, 0, 0, 123456789, time.FixedZone("", 2*3600)), Metadata: []byte(`{"b":1, "a":2}`)}
	if err := Normalize(&e, now); err != nil {
		t.Fatal(err)
	}
	if e.ActionType != Active || e.Status != Success || e.Level != 1 {
		t.Errorf("defaults: %s %s %d", e.ActionType, e.Status, e.Level)
	}
	if got := e.OccurredAt; got.Location() != time.UTC || got.Nanosecond() != 123456000 || got.Hour() != 12 {
		t.Errorf("occurred_at = %v, want 12:00:00.123456 UTC", got)
	}
	if string(e.Metadata) != `{"a":2,"b":1}` {
		t.Errorf("metadata = %s", e.Metadata)
	}
	bad := []struct {
		field string
		e     Event
	}{
		{"action", Event{Action: " "}},
		{"action_type", Event{Action: "x", ActionType: "write"}},
		{"status", Event{Action: "x", Status: "ok"}},
		{"level", Event{Action: "x", Level: 4}},
		{"occurred_at", Event{Action: "x", OccurredAt: now.Add(25 * time.Hour)}},
		{"occurred_at", Event{Action: "x", OccurredAt: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"targets[1]", Event{Action: "x", Targets: []Target{{Type: "a", ID: "1"}, {Type: "b"}}}},
		{"subject", Event{Action: "x", Subject: Subject{ID: "p"}}},
		{"changes[0].field", Event{Action: "x", Changes: []Change{{}}}},
		{"labels", Event{Action: "x", Labels: map[string]string{"a b": "c"}}},
		{"metadata", Event{Action: "x", Metadata: []byte(`[1]`)}},
		{"summary", Event{Action: "x", Summary: strings.Repeat("s", MaxSummary+1)}},
		{"actor.email", Event{Action: "x", Actor: Actor{Email: "a\x00b"}}},
		{"idempotency_key", Event{Action: "x", IdempotencyKey: strings.Repeat("k", 256)}},
	}
	for _, tc := range bad {
		err := Normalize(&tc.e, now)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want a FieldError on %s", tc.field, err, tc.field)
		}
	}
}

func TestFromInputRefusesAssignedFields(t *testing.T) {
	seq := int64(0)
	for _, j := range []JSON{{Action: "x", ID: 1}, {Action: "x", Seq: &seq}, {Action: "x", RecordedAt: "2025-01-01T00:00:00Z"}, {Action: "x", PayloadDigest: "ab"}, {Action: "x", UUID: "nope"}} {
		if _, _, err := FromInput(&j); !errors.Is(err, ErrInvalid) {
			t.Errorf("FromInput(%+v) = %v, want ErrInvalid", j, err)
		}
	}
}

// A committed event survives ToJSON and FromExport with the same leaf.
func TestExportRoundTrip(t *testing.T) {
	e := Event{
		IdempotencyKey: "k", UUID: uuid.Must(uuid.NewV7()), OccurredAt: time.Now(), Category: "Cpr", Action: "lookup",
		Actor:   Actor{Type: "user", ID: "1", Name: "<Anna>", Email: "a@b"},
		Targets: []Target{{Type: "cpr", ID: "0101"}}, Subject: Subject{Type: "person", ID: "p"},
		Changes:  []Change{{Field: "f", Old: nil, New: []byte(`{"a":"<x>"}`)}},
		Labels:   map[string]string{"k": "v"},
		Metadata: []byte(`{"html":"<&>","n":1.0}`), Payload: []byte(`"secret"`),
		ID: 7, Seq: 3, TenantID: uuid.Must(uuid.NewV7()), RecordedAt: time.Now(),
	}
	if err := Normalize(&e, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.CommitPayload(strings.NewReader(strings.Repeat("s", 32))); err != nil {
		t.Fatal(err)
	}
	e.RecordedAt = e.RecordedAt.UTC().Truncate(time.Microsecond)
	j := ToJSON(&e)
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret") {
		t.Errorf("export carries the payload: %s", b)
	}
	var back JSON
	if err := DecodeStrictBytes(b, &back); err != nil {
		t.Fatal(err)
	}
	got, err := FromExport(&back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(LeafData(&e), LeafData(&got)) {
		t.Errorf("leaf differs after the round trip:\n%s\n%s", LeafData(&e), LeafData(&got))
	}
	if c, _ := Canonical(LeafData(&e)); !bytes.Equal(c, LeafData(&e)) {
		t.Errorf("LeafData is not in canonical form:\n%s\n%s", LeafData(&e), c)
	}
}

// Go's zero time is what Normalize takes for "not sent"; a writer who sends
// it, or another clock's zero, must get an error, not the time of receipt.
func TestFromInputRefusesSentinelTimes(t *testing.T) {
	now := time.Now()
	for _, s := range []string{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "0001-01-01T01:00:00+01:00", "1900-01-01T00:00:00Z", "1969-12-31T23:59:59.999999Z", "1970-01-01T00:00:00Z"} {
		e, _, err := FromInput(&JSON{Action: "x", OccurredAt: s})
		if err == nil {
			err = Normalize(&e, now)
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "occurred_at" || !strings.Contains(fe.Message, "after 1970-01-01T00:00:00Z") {
			t.Errorf("occurred_at %s: err = %v (stored as %v), want a FieldError on occurred_at", s, err, e.OccurredAt)
		}
	}
	e, _, err := FromInput(&JSON{Action: "x", OccurredAt: "1970-01-01T00:00:00.000001Z"})
	if err == nil {
		err = Normalize(&e, now)
	}
	if err != nil || e.OccurredAt.UnixMicro() != 1 {
		t.Errorf("the first microsecond after the epoch: %v, %v", e.OccurredAt, err)
	}
}

func TestSizeCountsEveryPart(t *testing.T) {
	base := Event{Action: "x"}
	parts := map[string]Event{
		"details":  {Action: "x", Details: strings.Repeat("d", 1000)},
		"metadata": {Action: "x", Metadata: []byte(`{"a":"` + strings.Repeat("m", 1000) + `"}`)},
		"payload":  {Action: "x", Payload: []byte(`"` + strings.Repeat("p", 1000) + `"`)},
		"changes":  {Action: "x", Changes: []Change{{Field: "f", New: []byte(`"` + strings.Repeat("c", 1000) + `"`)}}},
		"labels":   {Action: "x", Labels: map[string]string{"k": strings.Repeat("l", 1000)}},
		"targets":  {Action: "x", Targets: []Target{{Type: "t", ID: strings.Repeat("i", 1000)}}},
	}
	for name, e := range parts {
		if d := e.Size() - base.Size(); d < 1000 {
			t.Errorf("%s adds %d bytes, want at least 1000", name, d)
		}
	}
}
