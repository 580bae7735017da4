// Package moyasar serves the audit-log routes of Moyasar's acquirer API —
// GET /v1/audit_logs, GET /v1/audit_logs/{id} and the subject list
// GET /v1/audit_logs/subjects — over auditkeep's canonical events, so that
// a client written against Moyasar works against auditkeep by changing only
// its base URL and its key.
//
// A key reads its tenant's subtree: an acquirer's key sees the acquirer's
// entries and all its merchants', a merchant's key only its own. Each
// entry's organization is the tenant the event was written for. Paging is
// Moyasar's "countless" kind: the engine fetches one row more than the page
// to learn whether another page follows, and no total is ever counted.
//
// Enum fields are rendered only with the vendor's values (anything else is
// null), so a client with generated enum types can always decode an entry.
// docs/compat/moyasar.md is the user-facing description of every mapping and
// choice made here.
package moyasar
