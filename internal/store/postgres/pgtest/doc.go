// Package pgtest gives tests a fresh PostgreSQL database each: the first
// call in a test process creates a template database and migrates it once;
// every test then clones it with CREATE DATABASE … TEMPLATE, a file copy
// that costs the same however many migrations there are (tens of
// milliseconds on a fast disk, a few hundred on a slow one), and drops its
// clone when it ends. Tests never share a dirty
// database, and parallel tests never see each other's rows.
//
// The server is AUDITKEEP_TEST_POSTGRES (default: the local postgres user
// on 127.0.0.1:5432). When it cannot be reached, tests are skipped, unless
// AUDITKEEP_REQUIRE_POSTGRES=1 (as CI sets it), when they fail.
//
// A package using pgtest calls Main from its TestMain, so the template is
// dropped when the process ends. What a process leaves behind anyway (it
// crashed, was killed, or never called Main) is dropped by the next process
// that starts: every process holds a connection named after itself while
// it lives, and its databases carry that name (see sweep.go).
package pgtest
