package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alecthomas/kong"
)

// Env is what every command runs with.
type Env struct {
	Ctx    context.Context
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// CLI is the command line. Every flag --foo-bar can also be set with the
// environment variable AUDITKEEP_FOO_BAR, or read from the file named by
// AUDITKEEP_FOO_BAR_FILE (for secrets).
type CLI struct {
	Serve   ServeCmd   `cmd:"" help:"Run the HTTP service."`
	Migrate MigrateCmd `cmd:"" help:"Bring the database schema up to date and exit."`
	Backup  BackupCmd  `cmd:"" help:"Copy a SQLite database consistently while it is in use (PostgreSQL: pg_dump)."`
	Tenant  TenantCmd  `cmd:"" help:"Create and list tenants."`
	Key     KeyCmd     `cmd:"" help:"Create, list and revoke API keys."`
	Bench   BenchCmd   `cmd:"" help:"Run the benchmarks of docs/BENCHMARKS.md."`
	Verify  VerifyCmd  `cmd:"" help:"Verify the ledger: a database, an export offline (--export), or a running service (--watch)."`
	Export  ExportCmd  `cmd:"" help:"Export a tenant's log as NDJSON with the signed checkpoint it is cut at."`
	Ledger  LedgerCmd  `cmd:"" help:"The ledger's signing keys: rotate, list."`
	Reindex ReindexCmd `cmd:"" help:"Rebuild every query index from the event log."`
}

// DBFlag names the database.
type DBFlag struct {
	DB string `name:"db" default:"auditkeep.db" help:"Database: a file path or sqlite:PATH for SQLite, postgres://… for PostgreSQL ($AUDITKEEP_DB)."`
}

func newParser(cli *CLI, env func(string) string, stdout, stderr io.Writer) (*kong.Kong, error) {
	return kong.New(cli,
		kong.Name("auditkeep"),
		kong.Description("auditkeep keeps a tamper-evident audit trail and serves it through its own API and four vendor dialects."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(exitCode(code)) }),
		kong.UsageOnError(),
		kong.Resolvers(envResolver(env)),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
}

// envResolver fills flags from AUDITKEEP_* variables, or from the file a
// *_FILE variable names.
func envResolver(env func(string) string) kong.Resolver {
	return kong.ResolverFunc(func(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
		name := "AUDITKEEP_" + strings.ToUpper(strings.ReplaceAll(flag.Name, "-", "_"))
		if v := env(name); v != "" {
			return v, nil
		}
		if path := env(name + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("%s_FILE: %w", name, err)
			}
			return strings.TrimSpace(string(b)), nil
		}
		return nil, nil
	})
}
