// Package frankieone serves FrankieOne Core v2's audit read API,
// GET /v2/audit, over auditkeep's canonical events, so that a client written
// against FrankieOne works against auditkeep by changing only its base URL
// and its key.
//
// The dialect is a thin projection. It authenticates the api_key header
// (or a Bearer token) with the scope events:read, resolves the
// X-Frankie-CustomerID and X-Frankie-CustomerChildID headers to a subtree of
// the key's tenants, validates every query parameter (collecting all
// problems into one API-0400 answer, as FrankieOne does), asks the query
// engine for one offset page with an exact total, and renders each canonical
// event as a FrankieOne audit event. Values the vendor's schema declares as
// enums are rendered only when they are enum members, so a strict client
// never sees a value its generated types cannot hold.
//
// docs/compat/frankieone.md is the user-facing description of every mapping
// and choice made here.
package frankieone
