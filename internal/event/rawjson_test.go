package event

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Each of these decodes without complaint under encoding/json alone: the
// text is repaired to U+FFFD, or a key wins over another without a word.
func TestDecodeStrictRefusesWhatJSONRepairs(t *testing.T) {
	tests := []struct {
		name, body, field, msg string
	}{
		{"invalid UTF-8 in a field", "{\"action\":\"a\xffb\"}", "action", "valid UTF-8"},
		{"lone high surrogate", `{"action":"x\ud800y"}`, "action", "lone UTF-16 surrogate"},
		{"lone low surrogate", `{"action":"\udc00"}`, "action", "lone UTF-16 surrogate"},
		{"high surrogate at the end", `{"action":"x\ud83d"}`, "action", "lone UTF-16 surrogate"},
		{"two high surrogates", `{"action":"\ud83d\ud83d"}`, "action", "lone UTF-16 surrogate"},
		{"escaped NUL", `{"action":"a\u0000"}`, "action", "NUL"},
		{"actor", `{"action":"x","actor":{"name":"\ud800"}}`, "actor.name", "surrogate"},
		{"target", `{"action":"x","targets":[{"type":"t","id":"1"},{"type":"t","id":"\u0000"}]}`, "targets[1].id", "NUL"},
		{"subject", "{\"action\":\"x\",\"subject\":{\"type\":\"p\",\"id\":\"\xc3\"}}", "subject.id", "UTF-8"},
		{"change field", `{"action":"x","changes":[{"field":"\udfff","old":1,"new":2}]}`, "changes[0].field", "surrogate"},
		{"change value", `{"action":"x","changes":[{"field":"f","old":"ok","new":"\u0000"}]}`, "changes[0].new", "NUL"},
		{"nested change value", `{"action":"x","changes":[{"field":"f","old":null,"new":{"a":["\ud800"]}}]}`, "changes[0].new.a[0]", "surrogate"},
		{"label value", `{"action":"x","labels":{"k":"\ud800"}}`, "labels.k", "surrogate"},
		{"label key", `{"action":"x","labels":{"\u0000":"v"}}`, "labels", "key"},
		{"metadata deep value", `{"action":"x","metadata":{"a":{"b":[1,{"c":"\udc00"}]}}}`, "metadata.a.b[1].c", "surrogate"},
		{"metadata key", "{\"action\":\"x\",\"metadata\":{\"a\":{\"\xff\":1}}}", "metadata.a", "has a key that is not valid UTF-8"},
		{"metadata NUL key", `{"action":"x","metadata":{"\u0000":1}}`, "metadata", "has a key that contains NUL"},
		{"payload", `{"action":"x","payload":{"cpr":"\ud800"}}`, "payload.cpr", "surrogate"},
		{"keys differing by case", `{"action":"a","ACTION":"b"}`, "ACTION", `repeats "action"`},
		{"mixed case first", `{"Action":"a","action":"b"}`, "action", `repeats "Action"`},
		{"exact duplicate", `{"action":"a","action":"b"}`, "action", "given twice"},
		{"escaped duplicate", `{"action":"a","\u0061ction":"b"}`, "action", "given twice"},
		{"nested duplicate by case", `{"action":"a","actor":{"id":"1","ID":"2"}}`, "actor.ID", "case"},
		{"duplicate in a target", `{"action":"a","targets":[{"type":"t","id":"1","Type":"u"}]}`, "targets[0].Type", "case"},
		{"duplicate label", `{"action":"a","labels":{"k":"1","k":"2"}}`, "labels.k", "given twice"},
		{"duplicate metadata key", `{"action":"a","metadata":{"n":{"x":1,"x":2}}}`, "metadata.n.x", "given twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var j JSON
			err := DecodeStrictBytes([]byte(tc.body), &j)
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want a FieldError", err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Message, tc.msg) {
				t.Errorf("err = %q on %q, want %q on %q", fe.Message, fe.Field, tc.msg, tc.field)
			}
		})
	}
}

func TestDecodeStrictKeepsWhatIsFine(t *testing.T) {
	tests := []string{
		`{"action":"x \ud83d\ude00 é \u00e9 \" \\ \/ \b\f\n\r\t"}`,
		`{"action":"` + "😀 ünïcode" + `"}`,
		// In a map or raw JSON, keys that differ by case are different keys.
		`{"action":"x","labels":{"k":"1","K":"2"},"metadata":{"e":1,"E":2,"é":3}}`,
		`{"action":"x","changes":[{"field":"f","old":{"a":1,"A":2},"new":[]}]}`,
		`{"action":"x","targets":[{"type":"a","id":"1"},{"type":"a","id":"2"}]}`,
		`{"action":"x","metadata":{"a":{"a":{"a":1}}}}`,
		` { "action" : "x" , "level" : 2 , "metadata" : { } , "labels" : { } } `,
	}
	for _, body := range tests {
		var j JSON
		if err := DecodeStrictBytes([]byte(body), &j); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	// Many distinct metadata keys are fine, and checked by a set.
	var b strings.Builder
	b.WriteString(`{"action":"x","metadata":{`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString(`}}`)
	var j JSON
	if err := DecodeStrictBytes([]byte(b.String()), &j); err != nil {
		t.Errorf("200 metadata keys: %v", err)
	}
	dup := strings.Replace(b.String(), `}}`, `,"kxxx":2}}`, 1)
	if err := DecodeStrictBytes([]byte(dup), &j); err == nil || !strings.Contains(err.Error(), "metadata.kxxx: is given twice") {
		t.Errorf("a duplicate after 200 keys: %v", err)
	}
}

// Syntax errors and unknown fields keep the decoder's own message.
func TestDecodeStrictLeavesSyntaxToTheDecoder(t *testing.T) {
	for body, want := range map[string]string{
		`{"action":"x"`:                  "unexpected end",
		`{"action":"x",}`:                "not valid JSON",
		`{"action":"x","nope":1}`:        "nope: is not a known field",
		`{"nope":1,"NOPE":2}`:            "nope: is not a known field",
		`{"action":"\x01"}`:              "not valid JSON",
		`{"action":"\q"}`:                "not valid JSON",
		`{"action":"\u12"}`:              "not valid JSON",
		`{"action":"x"} {}`:              "unexpected data",
		`{"metadata":` + deep(100) + `}`: "",
		// An array where an object is expected, holding objects: found by
		// FuzzVerifyExport, it once dereferenced a nil shape.
		`[{"a":{"b":1}},{"c":[{"d":"e"}]}]`: "must be an object",
	} {
		var j JSON
		err := DecodeStrictBytes([]byte(body), &j)
		if err == nil && want != "" || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%.40s: err = %v, want %q", body, err, want)
		}
	}
}

func deep(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }

// CheckJSON never panics, and what it passes has no duplicate keys and
// decodes to the same strings it holds.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":"\ud800"}`, `{"a":1,"A":2}`, `["\u0000"]`, `{"action":"x","metadata":{"k":[1,"\ud83d\ude00"]}}`, "\"\xff\"", `{"a":{"b":{}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := CheckJSON(b, (*json.RawMessage)(nil)); err != nil || !json.Valid(b) {
			return
		}
		if _, err := Canonical(b); err != nil && strings.Contains(err.Error(), "duplicate") {
			t.Fatalf("CheckJSON passed a duplicate key in %q: %v", b, err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return
		}
		back, _ := json.Marshal(v)
		in := strings.ToLower(string(b))
		if strings.Contains(string(back), "\ufffd") && !strings.Contains(in, "\ufffd") && !strings.Contains(in, `\ufffd`) {
			t.Fatalf("CheckJSON passed text that decoding repaired: %q → %s", b, back)
		}
	})
}

// An export line may hold a NUL stored before ingest refused it; it is
// otherwise read as strictly as an input.
func TestDecodeExportBytes(t *testing.T) {
	var j JSON
	if err := DecodeExportBytes([]byte(`{"action":"x","metadata":{"note":"a\u0000b"}}`), &j); err != nil || string(j.Metadata) != `{"note":"a\u0000b"}` {
		t.Errorf("NUL in an export's metadata: %v (%s)", err, j.Metadata)
	}
	for _, bad := range []string{`{"action":"x","ACTION":"y"}`, `{"action":"\ud800"}`, `{"action":"x","metadata":{"a":1,"a":2}}`} {
		if err := DecodeExportBytes([]byte(bad), &j); !errors.Is(err, ErrInvalid) {
			t.Errorf("DecodeExportBytes(%s) = %v, want ErrInvalid", bad, err)
		}
	}
}

// What DecodeStrictBytes accepts as an event holds only storable text, in
// every field that Normalize does not check itself as well.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{
		`{"action":"x","actor":{"id":"1"},"targets":[{"type":"t","id":"1"}],"labels":{"k":"v"},"metadata":{"a":["b"]}}`,
		`{"action":"x","Action":"y"}`, `{"events":[{"action":"x"}]}`, `{"action":"\ud83d\ude00","changes":[{"field":"f","old":"\u0000","new":null}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var j JSON
		if err := DecodeStrictBytes(b, &j); err != nil {
			return
		}
		texts := []string{j.Action, j.Category, j.Summary, j.Details, j.Tenant, j.OccurredAt, j.ExternalRef, j.Reason}
		if j.Actor != nil {
			texts = append(texts, j.Actor.Type, j.Actor.ID, j.Actor.Name, j.Actor.Email)
		}
		for _, tg := range j.Targets {
			texts = append(texts, tg.Type, tg.ID, tg.Name)
		}
		for k, v := range j.Labels {
			texts = append(texts, k, v)
		}
		for _, c := range j.Changes {
			texts = append(texts, c.Field)
		}
		for _, s := range texts {
			if !ValidText(s) {
				t.Fatalf("accepted %q holding %q", b, s)
			}
		}
		for _, raw := range []json.RawMessage{j.Metadata, j.Payload} {
			if raw == nil {
				continue
			}
			var v any
			if json.Unmarshal(raw, &v) == nil {
				if back, _ := json.Marshal(v); strings.Contains(string(back), `\u0000`) {
					t.Fatalf("accepted %q with a NUL in %s", b, raw)
				}
			}
		}
	})
}
