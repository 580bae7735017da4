package httpx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/auditkeep/auditkeep/internal/auth"
	"github.com/auditkeep/auditkeep/internal/event"
)

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// ClientAddr is the peer address of r. Proxies are not trusted: an
// allow-list applies to the address that connected.
func ClientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// Authenticator checks the keys every surface is presented with.
type Authenticator struct {
	Keys *auth.Authenticator
	// Timeout bounds the key lookup as every read is bounded; 0 leaves it
	// to the request.
	Timeout time.Duration
}

// Authenticate checks a presented key from r's peer address and notes the
// key on the request's log line (WithRequestInfo).
func (a *Authenticator) Authenticate(r *http.Request, secret string) (*auth.Principal, error) {
	ctx := r.Context()
	if a.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.Timeout)
		defer cancel()
	}
	p, err := a.Keys.Authenticate(ctx, secret, ClientAddr(r))
	if err != nil {
		if r.Context().Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: the key lookup took longer than %s: %w", event.ErrUnavailable, a.Timeout, err)
		}
		return nil, err
	}
	if info := RequestInfoFrom(r.Context()); info != nil {
		info.Tenant, info.Key = p.TenantID.String(), p.KeyID.String()
	}
	return p, nil
}

type infoKey struct{}

// RequestInfo is what a request's log line reports beyond the request
// itself; authentication fills it in, whichever surface served it.
type RequestInfo struct {
	Tenant, Key string
}

// WithRequestInfo returns ctx carrying a fresh RequestInfo.
func WithRequestInfo(ctx context.Context) (context.Context, *RequestInfo) {
	info := &RequestInfo{}
	return context.WithValue(ctx, infoKey{}, info), info
}

// RequestInfoFrom returns the RequestInfo of ctx, nil when there is none.
func RequestInfoFrom(ctx context.Context) *RequestInfo {
	i, _ := ctx.Value(infoKey{}).(*RequestInfo)
	return i
}

// Mux is where a surface registers its routes: the server's ServeMux.
type Mux interface {
	Handle(pattern string, h http.Handler)
}
