// Package fortuna serves the Fortuna Compliance API's audit read endpoint,
// GET /api/audit/records, wire-compatibly: a client written against
// Fortuna works against auditkeep by changing only its base URL and key.
//
// The dialect is a thin projection. It parses and validates the vendor's
// query parameters with the vendor's bounds, answers bad input with RFC 9457
// problem details the way an ASP.NET Core service does, asks the query
// engine for one offset page with an exact total, and renders canonical
// events as Fortuna audit records:
//
//	id                ← id
//	externalReference ← external_ref
//	context           ← context (null when empty)
//	category          ← category (in the vendor's casing when it is in the table)
//	operation         ← action   (likewise)
//	performedAt       ← occurred_at, UTC, whole seconds, "Z"
//	resultSummary     ← summary
//
// docs/compat/fortuna.md is the user-facing description, including every
// choice the vendor's documentation leaves open.
package fortuna
