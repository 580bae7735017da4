package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/notary"
	"github.com/auditkeep/auditkeep/internal/safefile"
	"github.com/auditkeep/auditkeep/internal/store"
)

// ExportCmd writes a tenant's log as NDJSON and the signed checkpoint it
// is cut at, for `auditkeep verify --export` on another machine.
type ExportCmd struct {
	DBFlag
	Tenant        string `required:"" help:"Tenant id or ref."`
	Out           string `required:"" help:"NDJSON file to write (mode 0600: it holds personal data); - for standard output. An existing file is refused unless --force."`
	CheckpointOut string `help:"Where to write the signed checkpoint; default OUT.checkpoint. An existing file is refused unless --force."`
	Force         bool   `help:"Replace --out and --checkpoint-out if they exist (a symbolic link is refused even so)."`
	Size          int64  `help:"Cut at the checkpoint of this size; default the latest, signed now if the log outgrew it (which needs the master key)."`
	LedgerFlags
}

// Run implements the command.
func (c *ExportCmd) Run(env *Env) error {
	ctx := env.Ctx
	cpOut := c.CheckpointOut
	if cpOut == "" {
		if c.Out == "-" {
			return fmt.Errorf("--out - needs --checkpoint-out")
		}
		cpOut = c.Out + ".checkpoint"
	}
	if cpOut == c.Out {
		return fmt.Errorf("--checkpoint-out must name another file than --out")
	}
	st, n, err := c.LedgerFlags.open(ctx, c.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	t, err := st.Tenant(ctx, c.Tenant)
	if err != nil {
		return err
	}
	if err := checkOrigin(ctx, st, n, t.ID); err != nil {
		return err
	}
	cp, err := n.Checkpoint(ctx, t.ID, c.Size)
	if err != nil {
		return fmt.Errorf("checkpoint of tenant %s: %w", t.ID, err)
	}
	// Both files are made before the export runs, so a name already taken
	// is refused before any work, and a failure leaves neither behind.
	cpFile, err := c.output("--checkpoint-out", cpOut)
	if err != nil {
		return err
	}
	defer cpFile.Abort()
	var w io.Writer = env.Stdout
	var f *safefile.Output
	if c.Out != "-" {
		if f, err = c.output("--out", c.Out); err != nil {
			return err
		}
		defer f.Abort()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	lines, err := notary.Export(ctx, st, t.ID, cp.Size, bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && f != nil {
		err = f.Commit()
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := cpFile.Write(cp.Note); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := cpFile.Commit(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	fmt.Fprintf(env.Stderr, "exported %d events of tenant %s (%s), cut at the checkpoint of size %d (in %s)\n", lines, t.ID, t.Name, cp.Size, cpOut)
	if lines != cp.Size {
		fmt.Fprintf(env.Stderr, "warning: the checkpoint covers %d events but the database has %d of them: this export will not verify\n", cp.Size, lines)
	}
	return nil
}

// output creates one of the export's files.
func (c *ExportCmd) output(flag, path string) (*safefile.Output, error) {
	o, err := safefile.NewOutput(path, c.Force)
	switch {
	case errors.Is(err, safefile.ErrExists):
		return nil, fmt.Errorf("%s %s: already exists (or is a symbolic link); an export never overwrites a file unless --force is given", flag, path)
	case errors.Is(err, safefile.ErrNotRegular):
		return nil, fmt.Errorf("%s %s: not a regular file; a symbolic link is refused, --force or not", flag, path)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return o, nil
}

// open opens the store and a notary that can sign with its key.
func (l *LedgerFlags) open(ctx context.Context, db string) (store.Store, *notary.Notary, error) {
	master, cfg, err := l.master(db)
	if err != nil {
		return nil, nil, err
	}
	st, err := app.OpenStore(ctx, db, app.StoreOptions{})
	if err != nil {
		return nil, nil, err
	}
	n, err := notary.Open(ctx, st, notary.Config{LogName: cfg.LogName, MasterKey: master, SignerKey: cfg.SignerKey})
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("ledger: %w", err)
	}
	return st, n, nil
}

// master returns the master key from --master-key or the database's key
// file, which, unlike serve, this never creates: a new master key could not
// open the signing keys already sealed.
func (l *LedgerFlags) master(db string) ([]byte, app.Config, error) {
	var cfg app.Config
	if err := l.config(db, &cfg); err != nil {
		return nil, cfg, err
	}
	if cfg.MasterKey != nil || cfg.SignerKey != "" {
		return cfg.MasterKey, cfg, nil
	}
	// Read as serve reads it: a symbolic link there is refused.
	b, err := safefile.ReadFile(cfg.MasterKeyFile)
	if err != nil {
		return nil, cfg, fmt.Errorf("master key: %w (give --master-key, or keep auditkeep.master-key beside the database)", err)
	}
	key, err := notary.ParseMasterKey(string(b))
	return key, cfg, err
}

// checkOrigin refuses to sign under another log name than the tenant's
// checkpoints so far use: checkpoints are kept forever, and a log whose
// checkpoints name two origins no longer verifies.
func checkOrigin(ctx context.Context, st store.Store, n *notary.Notary, tenant uuid.UUID) error {
	latest, err := st.Checkpoints(ctx, tenant, 0, true)
	if err != nil || len(latest) == 0 {
		return err
	}
	cp, err := ledger.ParseCheckpoint(noteText(latest[0].Note))
	if err != nil {
		return err
	}
	if want := n.Origin(tenant); cp.Origin != want {
		name, _, _ := strings.Cut(cp.Origin, "/")
		return fmt.Errorf("the tenant's checkpoints are of log %q, not %q: pass --log-name %s", cp.Origin, want, name)
	}
	return nil
}

// noteText is the text of a signed note, before its blank line.
func noteText(msg []byte) []byte {
	if i := strings.Index(string(msg), "\n\n"); i >= 0 {
		return msg[:i+1]
	}
	return msg
}

// LedgerCmd groups the ledger's key commands.
type LedgerCmd struct {
	RotateKey LedgerRotateKeyCmd `cmd:"" name:"rotate-key" help:"Retire the checkpoint signing key and make a new one (sealed with the master key)."`
	Keys      LedgerKeysCmd      `cmd:"" help:"List the public keys checkpoints were signed with, to pin in monitors and give to auditors."`
}

// LedgerRotateKeyCmd rotates the sealed signing key.
type LedgerRotateKeyCmd struct {
	DBFlag
	JSONFlag
	LedgerFlags
}

// Run implements the command.
func (c *LedgerRotateKeyCmd) Run(env *Env) error {
	ctx := env.Ctx
	if strings.TrimSpace(c.LedgerKey) != "" {
		return fmt.Errorf("--ledger-key names a key kept outside the database: rotate it by starting the service with a new one")
	}
	master, cfg, err := c.master(c.DB)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, c.DB, app.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	keys, err := st.LedgerKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if name, _, _ := strings.Cut(k.ID, "+"); k.RetiredAt.IsZero() && name != cfg.LogName {
			return fmt.Errorf("the active key is named %q, not %q: pass --log-name %s", name, cfg.LogName, name)
		}
	}
	made, err := notary.RotateKey(ctx, st, master, cfg.LogName)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(env.Stdout, map[string]string{"id": made.ID, "vkey": made.VKey})
	}
	fmt.Fprintf(env.Stdout, "new signing key %s\nverifier key: %s\n", made.ID, made.VKey)
	fmt.Fprintln(env.Stdout, "Running services sign with it after a restart. The retired key stays published for the checkpoints it signed; give auditors and monitors the new verifier key.")
	return nil
}

// LedgerKeysCmd lists the verifier keys.
type LedgerKeysCmd struct {
	DBFlag
	JSONFlag
}

// Run implements the command. The text form is itself a --vkey-file.
func (c *LedgerKeysCmd) Run(env *Env) error {
	st, err := app.OpenStore(env.Ctx, c.DB, app.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	keys, err := st.LedgerKeys(env.Ctx)
	if err != nil {
		return err
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	if c.JSON {
		out := make([]map[string]any, len(keys))
		for i, k := range keys {
			out[i] = map[string]any{"id": k.ID, "vkey": k.VKey, "created_at": stamp(k.CreatedAt), "active": k.RetiredAt.IsZero()}
			if !k.RetiredAt.IsZero() {
				out[i]["retired_at"] = stamp(k.RetiredAt)
			}
		}
		return printJSON(env.Stdout, map[string]any{"keys": out})
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "# VERIFIER KEY\tID\tCREATED\tRETIRED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.VKey, k.ID, stamp(k.CreatedAt), stamp(k.RetiredAt))
	}
	return tw.Flush()
}
