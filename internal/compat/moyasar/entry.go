package moyasar

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// entryJSON is one Moyasar audit log entry. Every key is always present;
// an absent value is null, as the vendor's Rails serializer writes it.
type entryJSON struct {
	ID               string            `json:"id"`
	PerformerType    *string           `json:"performer_type"`
	Performer        *performerJSON    `json:"performer"`
	OrganizationType *string           `json:"organization_type"`
	Organization     *organizationJSON `json:"organization"`
	SubjectType      *string           `json:"subject_type"`
	SubjectID        *string           `json:"subject_id"`
	LoginSessionID   *string           `json:"login_session_id"`
	Action           string            `json:"action"`
	ActionType       string            `json:"action_type"`
	Description      string            `json:"description"`
	Metadata         json.RawMessage   `json:"metadata"`
	CreatedAt        string            `json:"created_at"`
}

// performerJSON is the brief view of the acting user or API key.
type performerJSON struct {
	ID    *string `json:"id"`
	Email *string `json:"email"`
}

// organizationJSON is the brief view of the tenant that owns the entry.
type organizationJSON struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	MerchantID *string `json:"merchant_id"`
}

// changeJSON is one field's values in metadata.subject_changes.
type changeJSON struct {
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// createdAtLayout is Moyasar's: UTC, whole seconds, Z.
const createdAtLayout = "2006-01-02T15:04:05Z"

// organizationTypes by tenant kind.
var organizationTypeOf = map[string]string{"acquirer": "Acquirer", "merchant": "Merchant"}

// renderEntry projects a canonical event onto Moyasar's entry. org is the
// event's tenant, nil when it cannot be found.
func renderEntry(e *event.Event, org *tenant.Tenant) (entryJSON, error) {
	j := entryJSON{
		ID:             e.UUID.String(),
		LoginSessionID: nonEmpty(e.SessionID),
		Action:         e.Action,
		ActionType:     string(e.ActionType),
		Description:    describe(e),
		CreatedAt:      e.OccurredAt.UTC().Format(createdAtLayout),
	}
	if t := e.Actor.Type; slices.Contains(performerTypes, t) {
		j.PerformerType = &t
	}
	if e.Actor.ID != "" || e.Actor.Email != "" {
		j.Performer = &performerJSON{ID: nonEmpty(e.Actor.ID), Email: nonEmpty(e.Actor.Email)}
	}
	if org != nil {
		j.Organization = &organizationJSON{ID: org.ID.String(), Name: org.Name, MerchantID: nonEmpty(org.Ref)}
		// Kinds are lower-cased at creation; rows made before that keep
		// the case an operator typed (Acquirer, MERCHANT).
		if t, ok := organizationTypeOf[strings.ToLower(org.Kind)]; ok {
			j.OrganizationType = &t
		}
	}
	if t := e.PrimaryTarget(); t.ID != "" {
		j.SubjectType, j.SubjectID = nonEmpty(t.Type), nonEmpty(t.ID)
	}
	var err error
	j.Metadata, err = metadataOf(e)
	return j, err
}

// describe is the summary, or Moyasar's generated sentence:
// "AcquirerApiKey:0191… performed create action on Merchant:0192…". A
// performer without a type is "Unknown"; without an id only its type is
// given; without a target the " on …" part is left out.
func describe(e *event.Event) string {
	if e.Summary != "" {
		return e.Summary
	}
	performer := e.Actor.Type
	if performer == "" {
		performer = "Unknown"
	}
	if e.Actor.ID != "" {
		performer += ":" + e.Actor.ID
	}
	s := performer + " performed " + e.Action + " action"
	if t := e.PrimaryTarget(); t.ID != "" {
		s += " on " + t.Type + ":" + t.ID
	}
	return s
}

// metadataOf is the event's metadata object with subject_changes built
// from its changes: {"field": {"before": old, "after": new}}. A field
// changed more than once shows its first old value and its last new one.
// Without changes, metadata is returned as stored (a writer may have put
// subject_changes there itself), and {} when there is none.
func metadataOf(e *event.Event) (json.RawMessage, error) {
	if len(e.Changes) == 0 {
		if len(e.Metadata) == 0 {
			return json.RawMessage("{}"), nil
		}
		return e.Metadata, nil
	}
	m := map[string]json.RawMessage{}
	if len(e.Metadata) > 0 {
		if err := json.Unmarshal(e.Metadata, &m); err != nil {
			return nil, err
		}
	}
	changes := map[string]*changeJSON{}
	for _, c := range e.Changes {
		if prev, ok := changes[c.Field]; ok {
			prev.After = orNull(c.New)
			continue
		}
		changes[c.Field] = &changeJSON{Before: orNull(c.Old), After: orNull(c.New)}
	}
	sc, err := marshal(changes)
	if err != nil {
		return nil, err
	}
	m["subject_changes"] = sc
	return marshal(m)
}

// marshal is json.Marshal without HTML escaping, so stored values keep
// their bytes (json.Marshal would rewrite "<" as "\u003c").
func marshal(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func orNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
