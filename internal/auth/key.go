package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	if len(name) > 255 || !event.ValidText(name) {
		return "", store.Key{}, event.Invalid("name", "must be at most 255 bytes of UTF-8 without NUL")
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
// "192.0.2.7", "::1"); a single address is a /32 or /128. Every entry must
// parse: a key whose list silently lost an entry would be refused where
// its operator meant it to work, or, worse, its list would be shorter
// than the operator believes. Errors name the entry: allow_ips[2].
func ParseAllowList(entries []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(entries))
	for i, e := range entries {
		p, err := parseAllowEntry(strings.TrimSpace(e))
		if err != nil {
			return nil, event.Invalid("allow_ips["+strconv.Itoa(i)+"]", "%s", err)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func parseAllowEntry(e string) (netip.Prefix, error) {
	switch {
	case e == "":
		return netip.Prefix{}, errors.New("is empty; give an address or a CIDR")
	case !utf8.ValidString(e) || strings.IndexByte(e, 0) >= 0:
		return netip.Prefix{}, errors.New("is neither an address nor a CIDR")
	case strings.Contains(e, "%"):
		// A zone names an interface of one host; the address a request
		// comes from never carries one, so the entry could never match.
		return netip.Prefix{}, fmt.Errorf("%q has a zone (%%…); give the address without it", e)
	}
	if !strings.Contains(e, "/") {
		a, err := netip.ParseAddr(e)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is neither an address nor a CIDR", e)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(e)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither an address nor a CIDR", e)
	}
	// Requests are matched by their unmapped address (Allowed), so an
	// IPv4-mapped prefix is stored as the IPv4 prefix it stands for:
	// ::ffff:10.0.0.0/104 is 10.0.0.0/8.
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("%q is an IPv4-mapped prefix shorter than /96, which reaches past the mapped addresses; give the IPv4 CIDR", e)
		}
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked(), nil
	}
	return p.Masked(), nil
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
