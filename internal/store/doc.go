// Package store defines what auditkeep needs from a database: the Store
// interface, the row-free domain values it takes and returns (tenants, keys,
// append requests, queries) and the errors it reports. Each engine lives in
// a subpackage with its own SQL and migrations; storetest is the one
// conformance suite they all pass.
package store
