package frankieone

import "slices"

// enum is the list of values FrankieOne's schema allows for one field.
type enum []string

func (e enum) has(v string) bool { return slices.Contains(e, v) }

// The enums of FrankieOne's published schema (spec/compat.md, section 3).
// Matching is exact: the schema's values are upper case, and rendering a
// stored "api" as "API" would make a channels=API filter disagree with what
// it shows.
var (
	eventTypes = enum{
		"CUSTOMER_SETUP", "CUSTOMER_UPDATE", "ENTITY_CREATE", "ENTITY_LOOKUP", "ENTITY_PURGE",
		"ENTITY_RESULT_UPDATE", "ENTITY_RESULT_INVALIDATE", "ENTITY_UPDATE", "GENERATE_REPORT",
		"LEGACY_AUDIT", "MATCHLIST_ENTRY", "PORTAL_ACTION", "RISK_OVERRIDE", "SERVICE_PROFILE_CREATE",
		"SERVICE_PROFILE_UPDATE", "SERVICE_PROFILE_STATE_CHANGE", "WORKFLOW_EVENT", "WORKFLOW_COMPLETE",
		"WORKFLOW_RISK_CHANGE", "WORKFLOW_STATUS_CHANGE", "OTHER",
	}
	channels    = enum{"API", "PORTAL", "ONESDK", "SYSTEM"}
	objectTypes = enum{
		"ADDRESS", "NAME", "PHONE_NUMBER", "EMAIL", "DATE_OF_BIRTH", "WEBSITE", "SHAREHOLDER", "OFFICIAL",
		"UBO", "REGISTRATION", "SHAREHOLDING", "SHARECAPITAL", "DOCUMENT", "DOCUMENT_ATTACHMENT",
		"RESULT_PROCESS", "RESULT_STEP", "RESULT_WORKFLOW", "SERVICE_PROFILE", "AUDIT_EVENT",
		"EXTERNAL_REFERENCE", "RISK_ASSESSMENT", "MATCHLIST",
	}
	riskLevels      = enum{"UNKNOWN", "LOW", "MEDIUM", "HIGH", "UNACCEPTABLE"}
	entityTypes     = enum{"INDIVIDUAL", "ORGANIZATION", "UNKNOWN"}
	lifecyclePhases = enum{"ONBOARDING", "MONITORING", "OTHER"}
	checkStatuses   = enum{
		"UNCHECKED", "IN_PROGRESS", "REVIEW", "PASS", "FAIL", "COMPLETE", "INCOMPLETE", "NEEDS_APPROVAL",
		"APPROVED", "REJECTED", "BLOCKED", "CLEAR", "URGENT", "MONITOR",
	}
	sortOrders = enum{"asc", "desc"}
	sortFields = enum{"timestamp"}
)

// Values the dialect renders when the stored event has none (ours, see
// docs/compat/frankieone.md).
const (
	otherType      = "OTHER"
	defaultChannel = "SYSTEM"
	// defaultSource names auditkeep as the source of an event whose writer
	// named none; a sources filter for it also matches those events.
	defaultSource = "auditkeep"
	schemaVersion = 2
)
