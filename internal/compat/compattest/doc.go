// Package compattest holds what the tests of the vendor dialects under
// internal/compat share: a fixture of named tenants on the real service,
// data sets of named events, golden-file comparison, paging walks, the
// pieces of the fuzz targets, and a dialect served alone over a store
// that fails, or hangs until its client goes away, on demand.
//
// Each dialect's tests keep their own copy of the vendor's wire format
// and their own assertions on it; only the machinery lives here. Tests
// import it; nothing else should.
package compattest
