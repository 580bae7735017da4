package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/notary"
)

// VerifyCmd checks the ledger three ways: a database (live), an export
// (offline, no database), or a running service (--watch, a monitor). It
// exits 0 only when everything checks.
type VerifyCmd struct {
	DBFlag
	Tenant     string        `help:"Tenant id or ref. Default: every tenant (database), the key's tenant (--watch)."`
	Export     string        `help:"Verify this NDJSON export offline, against --checkpoint with --vkey; no database is opened."`
	Checkpoint string        `help:"The signed checkpoint (note) the export is verified against."`
	VKey       []string      `name:"vkey" sep:"none" help:"A verifier key to trust (NAME+HASH+KEY); repeat for several. Pinning the keys is what makes --watch trustworthy."`
	VKeyFile   []string      `name:"vkey-file" sep:"none" help:"A file of verifier keys: the first field of each line; blank lines and # comments are skipped."`
	Watch      string        `help:"Monitor the service at this base URL: check each new checkpoint's signature and that it extends the last one."`
	Key        string        `help:"API key with events:read, for --watch ($AUDITKEEP_KEY)."`
	Interval   time.Duration `default:"10s" help:"Time between rounds of --watch."`
	Once       bool          `help:"One round of --watch, then exit (for scripts and cron)."`
	State      string        `help:"File keeping the last accepted checkpoint between runs of --watch."`
}

// Run picks the mode.
func (c *VerifyCmd) Run(env *Env) error {
	switch {
	case c.Export != "" && c.Watch != "":
		return errors.New("give --export or --watch, not both")
	case c.Export != "":
		return c.offline(env)
	case c.Watch != "":
		return c.watch(env)
	}
	return c.live(env)
}

// vkeys collects the pinned keys of --vkey and --vkey-file.
func (c *VerifyCmd) vkeys() ([]string, error) {
	keys := append([]string(nil), c.VKey...)
	for _, path := range c.VKeyFile {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--vkey-file: %w", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 0 && !strings.HasPrefix(f[0], "#") {
				keys = append(keys, f[0])
			}
		}
	}
	return keys, nil
}

// offline verifies an export against a checkpoint, with no database.
func (c *VerifyCmd) offline(env *Env) error {
	vkeys, err := c.vkeys()
	if err != nil {
		return err
	}
	if len(vkeys) == 0 || c.Checkpoint == "" {
		return errors.New("--export needs --checkpoint and the public keys you trust (--vkey or --vkey-file)")
	}
	cp, err := os.ReadFile(c.Checkpoint)
	if err != nil {
		return err
	}
	f, err := os.Open(c.Export)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := ledger.VerifyExport(f, cp, vkeys)
	if errors.Is(err, ledger.ErrCheckpoint) || errors.Is(err, ledger.ErrKey) {
		fmt.Fprintf(env.Stdout, "FAILED: %v\n", err)
		return exitCode(1)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(env.Stdout, rep.String())
	if !rep.OK() {
		return exitCode(1)
	}
	return nil
}

// live recomputes the logs in a database and checks them against their
// signed checkpoints. It needs only public keys: those the database
// records, or the pinned ones.
func (c *VerifyCmd) live(env *Env) error {
	ctx := env.Ctx
	vkeys, err := c.vkeys()
	if err != nil {
		return err
	}
	if path, isFile := sqlitePath(c.DB); isFile {
		// Opening a store creates a missing file; verifying must not.
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("--db: %w", err)
		}
	}
	st, err := app.OpenStore(ctx, c.DB, app.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	var verifiers note.Verifiers
	if len(vkeys) > 0 {
		verifiers, err = ledger.Verifiers(vkeys...)
	} else {
		verifiers, _, err = notary.StoreVerifiers(ctx, st)
	}
	if err != nil {
		return err
	}
	ts, err := st.Tenants(ctx)
	if err != nil {
		return err
	}
	names := map[uuid.UUID]string{}
	for _, t := range ts {
		names[t.ID] = t.Name
	}
	var seen, failed int
	report := func(id uuid.UUID, rep ledger.Report, err error) {
		seen++
		if err != nil || !rep.OK() {
			failed++
		}
		fmt.Fprintln(env.Stdout, tenantLine(id, names[id], rep, err))
	}
	if c.Tenant != "" {
		t, err := st.Tenant(ctx, c.Tenant)
		if err != nil {
			return err
		}
		// An error here may be a finding (a checkpoint or a tile that does
		// not verify) as well as a failure to read: either way the tenant
		// did not verify.
		rep, err := notary.VerifyTenant(ctx, st, t.ID, verifiers)
		report(t.ID, rep, err)
	} else if _, err := notary.VerifyAll(ctx, st, verifiers, report); err != nil {
		return err
	}
	switch {
	case failed > 0:
		fmt.Fprintf(env.Stdout, "FAILED: %d of %d tenant(s) did not verify\n", failed, seen)
		return exitCode(1)
	case seen == 0:
		fmt.Fprintln(env.Stdout, "no tenant has events: nothing to verify")
	default:
		fmt.Fprintf(env.Stdout, "OK: %d tenant(s) verified\n", seen)
	}
	return nil
}

// sqlitePath returns the file of a SQLite --db.
func sqlitePath(db string) (string, bool) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return "", false
	}
	return strings.TrimPrefix(db, "sqlite:"), true
}

// tenantLine is one tenant's outcome on one line.
func tenantLine(id uuid.UUID, name string, rep ledger.Report, err error) string {
	who := fmt.Sprintf("tenant %s (%s)", id, name)
	switch {
	case err != nil:
		return fmt.Sprintf("FAILED  %s: %v", who, err)
	case !rep.OK():
		return fmt.Sprintf("FAILED  %s: %v", who, rep.Failure)
	}
	line := fmt.Sprintf("ok      %s: %d events, %d verified against %d checkpoint(s)", who, rep.Events, rep.Verified, rep.Checkpoints)
	if rep.Checkpoints > 0 {
		line += fmt.Sprintf(" (newest: size %d, %s)", rep.Newest.Size, rep.Newest.Time.UTC().Format(ledger.CheckpointTimeLayout))
	}
	if rep.Unverified > 0 {
		line += fmt.Sprintf(", %d not yet under a checkpoint", rep.Unverified)
	}
	return line
}
