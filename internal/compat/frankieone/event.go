package frankieone

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"github.com/auditkeep/auditkeep/internal/event"
)

// eventJSON is one FrankieOne audit event, fields in the order of the
// vendor's example. The first ten are required by its schema and always
// present; the rest are omitted when empty.
type eventJSON struct {
	EventID                   string           `json:"eventId"`
	SchemaVersion             int              `json:"schemaVersion"`
	Level                     int              `json:"level"`
	RequestID                 string           `json:"requestId"`
	Type                      string           `json:"type"`
	Timestamp                 string           `json:"timestamp"`
	Source                    string           `json:"source"`
	Description               string           `json:"description"`
	Channel                   string           `json:"channel"`
	EventStatus               string           `json:"eventStatus"`
	ElapsedTimeInMilliSeconds json.RawMessage  `json:"elapsedTimeInMilliSeconds,omitempty"`
	FunctionName              string           `json:"functionName,omitempty"`
	DescriptionDetails        string           `json:"descriptionDetails,omitempty"`
	ObjectID                  string           `json:"objectId,omitempty"`
	ObjectType                string           `json:"objectType,omitempty"`
	EntityID                  string           `json:"entityId,omitempty"`
	BatchID                   string           `json:"batchId,omitempty"`
	ServiceProfileID          string           `json:"serviceProfileId,omitempty"`
	ServiceName               string           `json:"serviceName,omitempty"`
	Status                    string           `json:"status,omitempty"`
	WorkflowExecutionID       string           `json:"workflowExecutionId,omitempty"`
	WorkflowName              string           `json:"workflowName,omitempty"`
	WorkflowVersion           string           `json:"workflowVersion,omitempty"`
	StepResultID              string           `json:"stepResultId,omitempty"`
	StepName                  string           `json:"stepName,omitempty"`
	StepVersion               string           `json:"stepVersion,omitempty"`
	RiskScore                 json.RawMessage  `json:"riskScore,omitempty"`
	RiskLevel                 string           `json:"riskLevel,omitempty"`
	EntityType                string           `json:"entityType,omitempty"`
	UserComment               *userCommentJSON `json:"userComment,omitempty"`
	LifecyclePhase            string           `json:"lifecyclePhase,omitempty"`
	SupplementaryData         json.RawMessage  `json:"supplementaryData,omitempty"`
}

// userCommentJSON is the comment a user attached to an event.
type userCommentJSON struct {
	CommentID  string `json:"commentId,omitempty"`
	Text       string `json:"text,omitempty"`
	EntityID   string `json:"entityId,omitempty"`
	EntityType string `json:"entityType,omitempty"`
}

// timestampLayout is FrankieOne's: UTC, milliseconds, Z.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// eventStatuses maps the canonical status to FrankieOne's eventStatus.
var eventStatuses = map[event.Status]string{
	event.Success: "SUCCESS",
	event.Failure: "ERROR",
	event.Info:    "INFO",
}

// renderEvent projects a canonical event onto FrankieOne's schema.
func renderEvent(e *event.Event) eventJSON {
	j := eventJSON{
		EventID:            e.UUID.String(),
		SchemaVersion:      schemaVersion,
		Level:              e.Level,
		RequestID:          e.RequestID,
		Type:               e.Action,
		Timestamp:          e.OccurredAt.UTC().Format(timestampLayout),
		Source:             e.Source,
		Description:        e.Summary,
		Channel:            e.Channel,
		EventStatus:        eventStatuses[e.Status],
		DescriptionDetails: e.Details,
		EntityID:           e.Subject.ID,
		WorkflowName:       e.Labels["workflow_name"],
		RiskLevel:          onlyIn(riskLevels, e.Labels["risk_level"]),
		EntityType:         onlyIn(entityTypes, e.Subject.Type),
	}
	if j.Level < 1 || j.Level > 3 {
		j.Level = 1
	}
	if j.RequestID == "" {
		j.RequestID = eventRequestID(e.OccurredAt, e.UUID)
	}
	if !eventTypes.has(j.Type) {
		j.Type = otherType
	}
	if j.Source == "" {
		j.Source = defaultSource
	}
	if j.Description == "" {
		// The action is never empty, and says what happened.
		j.Description = e.Action
	}
	if !channels.has(j.Channel) {
		j.Channel = defaultChannel
	}
	if j.EventStatus == "" {
		j.EventStatus = eventStatuses[event.Success]
	}
	if t := e.PrimaryTarget(); t.ID != "" {
		j.ObjectID = t.ID
		j.ObjectType = onlyIn(objectTypes, t.Type)
	}

	m := parseMetadata(e.Metadata)
	j.ElapsedTimeInMilliSeconds = m.integer("elapsedTimeInMilliSeconds")
	j.FunctionName = m.text("functionName")
	j.BatchID = m.text("batchId")
	j.ServiceProfileID = m.text("serviceProfileId")
	j.ServiceName = m.text("serviceName")
	j.Status = onlyIn(checkStatuses, m.text("status"))
	j.WorkflowExecutionID = m.text("workflowExecutionId")
	j.WorkflowVersion = m.text("workflowVersion")
	j.StepResultID = m.text("stepResultId")
	j.StepName = m.text("stepName")
	j.StepVersion = m.text("stepVersion")
	j.RiskScore = m.number("riskScore")
	j.LifecyclePhase = onlyIn(lifecyclePhases, m.text("lifecyclePhase"))
	j.SupplementaryData = m.object("supplementaryData")

	uc := parseMetadata(m.object("userComment"))
	c := userCommentJSON{
		CommentID:  uc.text("commentId"),
		Text:       e.Reason,
		EntityID:   uc.text("entityId"),
		EntityType: onlyIn(entityTypes, uc.text("entityType")),
	}
	if c != (userCommentJSON{}) {
		j.UserComment = &c
	}
	return j
}

// onlyIn returns v when the enum holds it, else "" (omitted).
func onlyIn(e enum, v string) string {
	if e.has(v) {
		return v
	}
	return ""
}

// metadata is an event's metadata object, member by member. A member of
// the wrong JSON type for its FrankieOne field is left out rather than
// rendered against the vendor's schema.
type metadata map[string]json.RawMessage

func parseMetadata(raw json.RawMessage) metadata {
	var m metadata
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

func (m metadata) text(key string) string {
	var s string
	if raw, ok := m[key]; !ok || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func (m metadata) number(key string) json.RawMessage {
	raw := m[key]
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return nil
	}
	return raw
}

// integer accepts a number without a fractional part, however written.
func (m metadata) integer(key string) json.RawMessage {
	raw := m.number(key)
	if raw == nil {
		return nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != math.Trunc(f) {
		return nil
	}
	return raw
}

func (m metadata) object(key string) json.RawMessage {
	raw := bytes.TrimSpace(m[key])
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	return raw
}
