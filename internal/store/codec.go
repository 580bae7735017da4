package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/auditkeep/auditkeep/internal/event"
)

// The JSON columns of an event row (targets, changes, labels) use these
// encodings on every engine. A nil or empty value is stored as NULL.

type targetRow struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

type changeRow struct {
	Field string          `json:"field"`
	Old   json.RawMessage `json:"old,omitempty"`
	New   json.RawMessage `json:"new,omitempty"`
}

// EncodeTargets encodes targets for their column; nil when there are none.
func EncodeTargets(ts []event.Target) []byte {
	if len(ts) == 0 {
		return nil
	}
	rows := make([]targetRow, len(ts))
	for i, t := range ts {
		rows[i] = targetRow(t)
	}
	return mustJSON(rows)
}

// DecodeTargets reverses EncodeTargets.
func DecodeTargets(b []byte) ([]event.Target, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var rows []targetRow
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("targets column: %w", err)
	}
	ts := make([]event.Target, len(rows))
	for i, r := range rows {
		ts[i] = event.Target(r)
	}
	return ts, nil
}

// EncodeChanges encodes changes for their column; nil when there are none.
func EncodeChanges(cs []event.Change) []byte {
	if len(cs) == 0 {
		return nil
	}
	rows := make([]changeRow, len(cs))
	for i, c := range cs {
		rows[i] = changeRow{Field: c.Field, Old: c.Old, New: c.New}
	}
	return mustJSON(rows)
}

// DecodeChanges reverses EncodeChanges.
func DecodeChanges(b []byte) ([]event.Change, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var rows []changeRow
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("changes column: %w", err)
	}
	cs := make([]event.Change, len(rows))
	for i, r := range rows {
		cs[i] = event.Change{Field: r.Field, Old: r.Old, New: r.New}
	}
	return cs, nil
}

// EncodeLabels encodes labels for their column; nil when there are none.
func EncodeLabels(l map[string]string) []byte {
	if len(l) == 0 {
		return nil
	}
	return mustJSON(l)
}

// DecodeLabels reverses EncodeLabels.
func DecodeLabels(b []byte) (map[string]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var l map[string]string
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("labels column: %w", err)
	}
	return l, nil
}

// mustJSON encodes without HTML escaping so that raw change values keep
// the exact canonical bytes the ledger hashed.
func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only strings, maps of strings and already-valid raw JSON reach here.
		panic(fmt.Sprintf("store: encoding a row column: %v", err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
