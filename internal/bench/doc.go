// Package bench measures auditkeep the way a client sees it: a real server
// on loopback, real HTTP clients, durable commits. It backs `auditkeep
// bench` and writes the tables of docs/BENCHMARKS.md, each beside a
// baseline measured in the same run on the same machine.
package bench
