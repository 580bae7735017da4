// Package tenant administers tenants and their API keys: the rules both the
// command line and the admin API follow when they create, list and revoke.
package tenant
