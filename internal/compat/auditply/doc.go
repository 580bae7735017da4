// Package auditply serves Auditply's KYC case audit log,
// GET /api/v1/kyc/cases/{id}/audit-log, wire-compatibly: a client written
// against Auditply works against auditkeep by changing only its base URL
// and key.
//
// A case is not a stored object. The case {id} is every event with a target
// {type: "kyc_case", id: "{id}"} anywhere in its targets, so an answer
// saved on a case (targets [kyc_answer 7, kyc_case 42]) belongs to it. A
// case with no events the key can read does not exist for that key: the
// 404 is the same whether another tenant has such a case or nobody does.
//
// Entries are canonical events rendered as the vendor's:
//
//	id                           ← id
//	user                         ← actor.name, else actor.email, else actor.id (null without any)
//	entity_type                  ← targets[0].type
//	action                       ← action
//	field, old_value, new_value  ← changes[0] (nulls when there is none)
//	reason                       ← reason (null when empty)
//	timestamp                    ← occurred_at, UTC, milliseconds, "Z"
//
// docs/compat/auditply.md is the user-facing description, including every
// choice the vendor's documentation leaves open.
package auditply
