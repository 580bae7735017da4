package main

import (
	"time"

	"github.com/auditkeep/auditkeep/internal/auth"
)

// KeyCacheFlags bound the in-memory cache of API keys.
type KeyCacheFlags struct {
	KeyCacheSize        int           `default:"10000" help:"API keys kept in memory, so most requests skip the database; 0 turns the cache off ($AUDITKEEP_KEY_CACHE_SIZE)."`
	KeyCacheTTL         time.Duration `name:"key-cache-ttl" default:"1m" help:"Longest a cached API key is trusted before it is read again; revocations take effect at once regardless ($AUDITKEEP_KEY_CACHE_TTL)."`
	KeyCacheUnknownSize int           `default:"1024" help:"Unknown API keys remembered as unknown, apart from the real ones ($AUDITKEEP_KEY_CACHE_UNKNOWN_SIZE)."`
	KeyCacheUnknownTTL  time.Duration `name:"key-cache-unknown-ttl" default:"5s" help:"How long an unknown API key is remembered as unknown ($AUDITKEEP_KEY_CACHE_UNKNOWN_TTL)."`
	KeyLookups          int           `default:"8" help:"API keys not in the cache read from the database at once; the rest wait ($AUDITKEEP_KEY_LOOKUPS)."`
}

func (f *KeyCacheFlags) config() auth.CacheConfig {
	return auth.CacheConfig{Size: f.KeyCacheSize, TTL: f.KeyCacheTTL, UnknownSize: f.KeyCacheUnknownSize, UnknownTTL: f.KeyCacheUnknownTTL, Lookups: f.KeyLookups}
}
