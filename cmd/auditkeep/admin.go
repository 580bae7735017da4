package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/httpapi"
	"github.com/auditkeep/auditkeep/internal/tenant"
)

// MigrateCmd brings the schema up to date (opening a store migrates it).
type MigrateCmd struct {
	DBFlag
}

// Run implements the command.
func (c *MigrateCmd) Run(env *Env) error {
	st, err := app.OpenStore(env.Ctx, c.DB, app.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(env.Stdout, "%s database is up to date\n", st.Engine())
	return nil
}

// TenantCmd groups the tenant commands.
type TenantCmd struct {
	Create TenantCreateCmd `cmd:"" help:"Create a tenant."`
	List   TenantListCmd   `cmd:"" help:"List tenants."`
}

// JSONFlag switches output to JSON.
type JSONFlag struct {
	JSON bool `name:"json" help:"Print JSON instead of text."`
}

// TenantCreateCmd creates a tenant.
type TenantCreateCmd struct {
	DBFlag
	JSONFlag
	ID     string `help:"The tenant's id, a UUID you already use for it (a FrankieOne customer id); default: a new UUIDv7."`
	Name   string `required:"" help:"Tenant name."`
	Kind   string `help:"Tenant kind, e.g. acquirer, merchant, customer (stored in lower case)."`
	Ref    string `help:"Your own unique reference for the tenant (not a UUID: use --id; compared without regard to case)."`
	Parent string `help:"Parent tenant id or ref."`
}

// Run implements the command.
func (c *TenantCreateCmd) Run(env *Env) error {
	st, err := app.OpenStore(env.Ctx, c.DB, app.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	t, err := (&tenant.Service{Store: st}).Create(env.Ctx, tenant.NewTenant{ID: c.ID, Name: c.Name, Kind: c.Kind, Ref: c.Ref, Parent: c.Parent})
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(env.Stdout, httpapi.ToTenantJSON(t))
	}
	fmt.Fprintf(env.Stdout, "created tenant %s (%s)\n", t.ID, t.Name)
	return nil
}

// TenantListCmd lists tenants.
type TenantListCmd struct {
	DBFlag
	JSONFlag
}

// Run implements the command.
func (c *TenantListCmd) Run(env *Env) error {
	st, err := app.OpenStore(env.Ctx, c.DB, app.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	ts, err := st.Tenants(env.Ctx)
	if err != nil {
		return err
	}
	out := make([]httpapi.TenantJSON, len(ts))
	for i, t := range ts {
		out[i] = httpapi.ToTenantJSON(t)
	}
	if c.JSON {
		return printJSON(env.Stdout, map[string]any{"tenants": out})
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tREF\tPARENT\tCREATED")
	for _, t := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Kind, t.Ref, t.Parent, t.CreatedAt)
	}
	return tw.Flush()
}

// KeyCmd groups the key commands.
type KeyCmd struct {
	Create KeyCreateCmd `cmd:"" help:"Create an API key; its secret is printed once."`
	List   KeyListCmd   `cmd:"" help:"List API keys."`
	Revoke KeyRevokeCmd `cmd:"" help:"Revoke an API key at once."`
}

// KeyCreateCmd creates a key.
type KeyCreateCmd struct {
	DBFlag
	JSONFlag
	Tenant  string   `required:"" help:"Tenant id or ref the key belongs to."`
	Scopes  []string `required:"" sep:"," help:"Comma-separated scopes: events:write, events:read, admin, kyc:read, audit_logs_read."`
	Name    string   `help:"A name to recognise the key by."`
	AllowIP []string `name:"allow-ip" help:"Address or CIDR the key may be used from; repeat for more. Default: anywhere."`
}

// Run implements the command.
func (c *KeyCreateCmd) Run(env *Env) error {
	st, err := app.OpenStore(env.Ctx, c.DB, app.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	secret, k, err := (&tenant.Service{Store: st}).CreateKey(env.Ctx, tenant.NewKey{Tenant: c.Tenant, Name: c.Name, Scopes: c.Scopes, AllowIPs: c.AllowIP})
	if err != nil {
		return err
	}
	if c.JSON {
		j := httpapi.ToKeyJSON(k)
		j.Key = secret
		return printJSON(env.Stdout, j)
	}
	fmt.Fprintf(env.Stdout, "created key %s for tenant %s with scopes %s\nsecret (shown only once): %s\n", k.ID, k.TenantID, strings.Join(k.Scopes, ","), secret)
	return nil
}

// KeyListCmd lists keys.
type KeyListCmd struct {
	DBFlag
	JSONFlag
	Tenant string `help:"Only the keys of this tenant (id or ref)."`
}

// Run implements the command.
func (c *KeyListCmd) Run(env *Env) error {
	st, err := app.OpenStore(env.Ctx, c.DB, app.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	filter := uuid.Nil
	if c.Tenant != "" {
		t, err := st.Tenant(env.Ctx, c.Tenant)
		if err != nil {
			return err
		}
		filter = t.ID
	}
	keys, err := st.Keys(env.Ctx, filter)
	if err != nil {
		return err
	}
	out := make([]httpapi.KeyJSON, len(keys))
	for i, k := range keys {
		out[i] = httpapi.ToKeyJSON(k)
	}
	if c.JSON {
		return printJSON(env.Stdout, map[string]any{"keys": out})
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTENANT\tNAME\tPREFIX\tSCOPES\tALLOW\tCREATED\tREVOKED")
	for _, k := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", k.ID, k.Tenant, k.Name, k.Prefix, strings.Join(k.Scopes, ","), strings.Join(k.AllowIPs, ","), k.CreatedAt, k.RevokedAt)
	}
	return tw.Flush()
}

// KeyRevokeCmd revokes a key.
type KeyRevokeCmd struct {
	DBFlag
	JSONFlag
	ID string `arg:"" help:"Key id."`
}

// Run implements the command.
func (c *KeyRevokeCmd) Run(env *Env) error {
	id, err := uuid.Parse(c.ID)
	if err != nil {
		return fmt.Errorf("key id %q: not a UUID", c.ID)
	}
	st, err := app.OpenStore(env.Ctx, c.DB, app.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RevokeKey(env.Ctx, id, time.Now()); err != nil {
		return err
	}
	if c.JSON {
		return printJSON(env.Stdout, map[string]string{"id": id.String(), "status": "revoked"})
	}
	fmt.Fprintf(env.Stdout, "revoked key %s\n", id)
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
