// Package httpx is the HTTP plumbing every surface shares: the native and
// admin API, the vendor dialects, and the viewer and exports after them.
// It holds what does not depend on a wire format: reading a key from a
// request, the client's address, writing JSON, the one table from domain
// errors to HTTP statuses, strict query-string parsing, and telling a
// client that went away from a server fault. Each surface renders its own
// error bodies on top of it.
package httpx
