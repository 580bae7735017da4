package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ingest"
	"github.com/auditkeep/auditkeep/internal/query"
)

// batchJSON is a batch of events to ingest, or the answer to one.
type batchJSON struct {
	Events []event.JSON `json:"events"`
}

func (s *Server) postEvents(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	// No parameter is taken: one a client meant as an option (a dry run,
	// a tenant) would otherwise be ignored and the events written anyway.
	if _, err := s.singleParams(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, r, &event.FieldError{Field: "body", Message: fmt.Sprintf("must be at most %d bytes", s.cfg.MaxBody), Kind: event.ErrTooLarge})
			return
		}
		s.writeError(w, r, event.Invalid("body", "could not be read"))
		return
	}
	inputs, batch, err := s.decodeEvents(body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.d.Ingest.Ingest(r.Context(), ingest.Writer{Tenant: p.TenantID, Tenants: p.Tenants}, inputs, batch)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !batch {
		if res.Replayed[0] {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		writeJSON(w, http.StatusCreated, event.ToJSON(&res.Events[0]))
		return
	}
	out := batchJSON{Events: make([]event.JSON, len(res.Events))}
	for i := range res.Events {
		out.Events[i] = event.ToJSON(&res.Events[i])
	}
	writeJSON(w, http.StatusCreated, out)
}

// decodeEvents reads one event, or {"events": [...]}.
func (s *Server) decodeEvents(body []byte) ([]ingest.Input, bool, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		// Let the strict decoder name the problem.
		var j event.JSON
		if err := event.DecodeStrictBytes(body, &j); err != nil {
			return nil, false, err
		}
		return nil, false, event.Invalid("body", "must be a JSON object")
	}
	raw, isBatch := top["events"]
	if !isBatch {
		var j event.JSON
		if err := event.DecodeStrictBytes(body, &j); err != nil {
			return nil, false, err
		}
		in, err := input(&j)
		return []ingest.Input{in}, false, err
	}
	// The wrapper decoded into a map above, which keeps the last of two
	// "events" keys; the items are checked one by one below.
	if err := event.CheckJSON(body, (*struct {
		Events []json.RawMessage `json:"events"`
	})(nil)); err != nil {
		return nil, true, err
	}
	if len(top) != 1 {
		for k := range top {
			if k != "events" {
				return nil, true, event.Invalid(k, "is not allowed beside events in a batch")
			}
		}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, true, event.Invalid("events", "must be an array of events")
	}
	if len(items) == 0 {
		return nil, true, event.Invalid("events", "must hold at least one event")
	}
	if len(items) > s.cfg.MaxBatch {
		return nil, true, event.Invalid("events", "must hold at most %d events", s.cfg.MaxBatch)
	}
	inputs := make([]ingest.Input, len(items))
	for i, it := range items {
		var j event.JSON
		err := event.DecodeStrictBytes(it, &j)
		if err == nil {
			inputs[i], err = input(&j)
		}
		if err != nil {
			return nil, true, event.PrefixField("events["+strconv.Itoa(i)+"]", err)
		}
	}
	return inputs, true, nil
}

func input(j *event.JSON) (ingest.Input, error) {
	e, tenant, err := event.FromInput(j)
	return ingest.Input{Event: e, Tenant: tenant}, err
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if _, err := s.singleParams(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	ref, ok := parseEventRef(r.PathValue("id"))
	if !ok {
		s.writeError(w, r, event.ErrNotFound)
		return
	}
	e, err := s.d.Read.Event(r.Context(), p, ref)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, event.ToJSON(&e))
}

// parseEventRef reads a numeric id or a uuid.
func parseEventRef(s string) (query.EventRef, bool) {
	if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
		return query.EventRef{ID: id}, true
	}
	if u, err := uuid.Parse(s); err == nil && len(s) == 36 {
		return query.EventRef{UUID: u}, true
	}
	return query.EventRef{}, false
}
