// Package query is the one read engine behind every API: the native one,
// the four vendor dialects, the viewer and exports. A caller states a scope
// (the tenants its key reaches), a filter, a sort and a kind of page; the
// engine narrows the scope, asks the store for one page, and adds what the
// page kind needs: an exact total, a has-more flag from one extra row, or
// an opaque keyset cursor that is bound to its query and tenant scope by an
// HMAC, so a cursor cannot be replayed against another query or tenant.
package query
