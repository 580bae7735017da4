package httpx

import (
	"context"
	"net/http"
	"net/netip"
	"strings"

	"github.com/auditkeep/auditkeep/internal/auth"
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
}

// Authenticate checks a presented key from r's peer address and notes the
// key on the request's log line (WithRequestInfo).
func (a *Authenticator) Authenticate(r *http.Request, secret string) (*auth.Principal, error) {
	p, err := a.Keys.Authenticate(r.Context(), secret, ClientAddr(r))
	if err != nil {
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
