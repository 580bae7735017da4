package auth_test

import (
	"context"
	"testing"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/auth"
)

// BenchmarkAuthenticate is the per-request key lookup, without and with
// the cache, from parallel clients as the 64-client ingest runs it.
func BenchmarkAuthenticate(b *testing.B) {
	for _, engine := range apitest.Engines {
		for _, cached := range []bool{false, true} {
			name := engine + "/store"
			if cached {
				name = engine + "/cache"
			}
			b.Run(name, func(b *testing.B) {
				f := setup(b, engine, auth.CacheConfig{})
				authn := &auth.Authenticator{Store: f.st}
				if cached {
					authn = f.authn
				}
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := authn.Authenticate(context.Background(), f.secret, here); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
