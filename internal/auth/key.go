package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/store"
)

// Scopes a key may carry.
const (
	ScopeEventsWrite = "events:write"
	ScopeEventsRead  = "events:read"
	ScopeAdmin       = "admin"
	// Vendor-named read scopes; events:read implies each of them.
	ScopeKYCRead       = "kyc:read"
	ScopeAuditLogsRead = "audit_logs_read"
)

// KnownScopes lists every scope, in the order docs show them.
var KnownScopes = []string{ScopeEventsWrite, ScopeEventsRead, ScopeAdmin, ScopeKYCRead, ScopeAuditLogsRead}

// KeyPrefix starts every secret, so a leaked key is recognisable.
const KeyPrefix = "ak_"

// secretBytes of randomness in a key: 160 bits.
const secretBytes = 20

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewKey makes a key for tenant: the secret (shown once) and what is stored.
func NewKey(tenant uuid.UUID, name string, scopes []string, allow []netip.Prefix) (string, store.Key, error) {
	if err := CheckScopes(scopes); err != nil {
		return "", store.Key{}, err
	}
	if len(name) > 255 {
		return "", store.Key{}, event.Invalid("name", "must be at most 255 bytes")
	}
	raw := make([]byte, secretBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", store.Key{}, err
	}
	secret := KeyPrefix + strings.ToLower(keyEncoding.EncodeToString(raw))
	id, err := uuid.NewV7()
	if err != nil {
		return "", store.Key{}, err
	}
	k := store.Key{
		ID:        id,
		TenantID:  tenant,
		Name:      name,
		Prefix:    secret[:len(KeyPrefix)+6],
		Hash:      HashSecret(secret),
		Scopes:    slices.Compact(slices.Sorted(slices.Values(scopes))),
		AllowIPs:  allow,
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond),
	}
	return secret, k, nil
}

// HashSecret is how a secret is stored and looked up.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CheckScopes refuses an empty list and unknown scopes.
func CheckScopes(scopes []string) error {
	if len(scopes) == 0 {
		return event.Invalid("scopes", "name at least one of %s", strings.Join(KnownScopes, ", "))
	}
	for _, s := range scopes {
		if !slices.Contains(KnownScopes, s) {
			return event.Invalid("scopes", "unknown scope %q; known: %s", s, strings.Join(KnownScopes, ", "))
		}
	}
	return nil
}

// ParseAllowList parses CIDRs or single addresses ("10.0.0.0/8",
// "192.0.2.7", "::1").
func ParseAllowList(entries []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, event.Invalid("allow_ips", "%q is neither an address nor a CIDR", e)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// FormatAllowList is the reverse of ParseAllowList.
func FormatAllowList(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// looksLikeKey is a cheap check before a database lookup.
func looksLikeKey(secret string) bool {
	if !strings.HasPrefix(secret, KeyPrefix) || len(secret) > 128 {
		return false
	}
	_, err := keyEncoding.DecodeString(strings.ToUpper(secret[len(KeyPrefix):]))
	return err == nil
}
