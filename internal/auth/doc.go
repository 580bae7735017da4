// Package auth authenticates API keys and answers what a key may do: its
// scopes, the tenants it reaches (its own and their descendants) and the
// addresses it may be used from. Keys are random, shown once and stored only
// as a SHA-256 hash: with 160 random bits a fast hash is as safe as a slow
// one and keeps every request cheap.
package auth
