package dialect

import (
	"errors"
	"net/http"
	"strings"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/httpx"
)

// Key is the presented key: the value of the vendor's key header, or else
// an Authorization: Bearer token as the native API takes it. The header
// wins when both are sent, so a client that sends its vendor key and some
// other token gets the vendor key checked.
func Key(r *http.Request, header string) string {
	if k := strings.TrimSpace(r.Header.Get(header)); k != "" {
		return k
	}
	return httpx.BearerToken(r)
}

// Refusals are a dialect's own answers to a request it does not let in.
type Refusals struct {
	// NoKey answers a request that presents no key.
	NoKey error
	// BadKey answers a key that is unknown, revoked, malformed or used
	// from outside its IP allow-list.
	BadKey error
	// NoScope answers a valid key that lacks the scope.
	NoScope error
}

// Authenticate checks secret, the presented key, and that the key carries
// scope, answering with the dialect's refusals. Any other error is the
// store's or the engine's and is returned unchanged, for the dialect to
// answer as unavailable or internal.
func Authenticate(a *httpx.Authenticator, r *http.Request, secret, scope string, no Refusals) (*auth.Principal, error) {
	if secret == "" {
		return nil, no.NoKey
	}
	p, err := a.Authenticate(r, secret)
	if errors.Is(err, event.ErrUnauthorized) {
		return nil, no.BadKey
	}
	if err != nil {
		return nil, err
	}
	if !p.Has(scope) {
		return nil, no.NoScope
	}
	return p, nil
}
