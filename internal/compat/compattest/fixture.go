package compattest

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// Fixture is the running service with tenants a test knows by name, each
// with a key of one reading scope, and a key that writes for any of them.
// The root tenant is known as "root"; its key is the admin key, which
// reads everything.
type Fixture struct {
	*apitest.Server
	Tenants map[string]store.Tenant // by name
	Keys    map[string]string       // the reading key of each tenant, by name
	Tree    Tree                    // each tenant's parent
	Writer  string                  // the root's events:write key, which writes for any tenant
	t       testing.TB
	scope   string
}

// NewFixture starts the service on a fresh database of engine, with no
// tenant but the root. scope is the one the tenants' keys will carry.
func NewFixture(t testing.TB, engine, scope string, opts ...apitest.Option) *Fixture {
	t.Helper()
	s := apitest.New(t, engine, opts...)
	return &Fixture{
		Server:  s,
		Tenants: map[string]store.Tenant{"root": s.Root},
		Keys:    map[string]string{"root": s.AdminKey},
		Tree:    Tree{"root": ""},
		Writer:  s.Key(s.Root.ID, "events:write"),
		t:       t,
		scope:   scope,
	}
}

// NewFamily is a fixture of the smallest tree that tells scopes apart:
// "a" at the top, its child "a1", and "b", a's sibling.
func NewFamily(t testing.TB, engine, scope string) *Fixture {
	t.Helper()
	return NewFamilyWith(t, engine, scope)
}

// NewFamilyWith is NewFamily on a service configured by opts.
func NewFamilyWith(t testing.TB, engine, scope string, opts ...apitest.Option) *Fixture {
	t.Helper()
	f := NewFixture(t, engine, scope, opts...)
	f.Add("a", "Tenant A", "customer", "")
	f.Add("a1", "Tenant A1", "customer", "a")
	f.Add("b", "Tenant B", "customer", "")
	return f
}

// Add makes a tenant titled title, of kind, under the tenant named parent
// ("" for the root), with a key of the fixture's scope, and knows it as
// name. The tenant's ref is its name; a name written "-x" makes a tenant
// without a ref, known as x.
func (f *Fixture) Add(name, title, kind, parent string) store.Tenant {
	ref := name
	if n, ok := strings.CutPrefix(name, "-"); ok {
		name, ref = n, ""
	}
	pid := uuid.Nil
	if parent == "" {
		parent = "root"
	} else {
		pid = f.Tenants[parent].ID
	}
	tn := f.Tenant(title, kind, ref, pid)
	f.Tenants[name], f.Keys[name], f.Tree[name] = tn, f.Key(tn.ID, f.scope), parent
	return tn
}

// AllowedKey makes a key of the named tenant with scopes that works only
// from the addresses allow names (addresses or CIDR prefixes).
func (f *Fixture) AllowedKey(name string, allow []string, scopes ...string) string {
	f.t.Helper()
	secret, _, err := f.App.Tenants.CreateKey(context.Background(), tenant.NewKey{Tenant: f.Tenants[name].ID.String(), Scopes: scopes, AllowIPs: allow})
	if err != nil {
		f.t.Fatalf("key: %v", err)
	}
	return secret
}

// RevokedKey makes a key of the named tenant with scopes and revokes it.
func (f *Fixture) RevokedKey(name string, scopes ...string) string {
	f.t.Helper()
	ctx := context.Background()
	id := f.Tenants[name].ID
	secret := f.Key(id, scopes...)
	keys, err := f.App.Store.Keys(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, k := range keys {
		if strings.HasPrefix(secret, k.Prefix) {
			if err := f.App.Store.RevokeKey(ctx, k.ID, k.CreatedAt); err != nil {
				f.t.Fatal(err)
			}
		}
	}
	return secret
}

// Tree is a tenant tree by name: each tenant's parent, "root" for a child
// of the root tenant, and "" above the root.
type Tree map[string]string

// Below reports whether a is b or one of b's descendants.
func (tr Tree) Below(a, b string) bool {
	for ; a != ""; a = tr[a] {
		if a == b {
			return true
		}
	}
	return false
}
