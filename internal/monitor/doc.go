// Package monitor watches one tenant's log on a running auditkeep from the
// outside, as an auditor's monitor does: it fetches each new signed
// checkpoint, checks its signature, and checks with a consistency proof
// that it extends the last one it accepted. A log that forks, shrinks or is
// rewritten cannot pass, provided the verifier keys are pinned: keys
// fetched from the server being watched prove nothing about it.
package monitor
