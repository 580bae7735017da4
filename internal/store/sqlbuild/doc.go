// Package sqlbuild turns a store.Query into SQL for either engine. The two
// engines differ only in placeholders and in how they hold times, uuids and
// case-insensitive matches; the Dialect captures that, so one piece of code
// decides which filters become which predicates and which index serves
// them.
package sqlbuild
