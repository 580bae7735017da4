package main

import (
	"fmt"

	"github.com/auditkeep/auditkeep/internal/app"
)

// BackupCmd copies a SQLite database while the service runs.
type BackupCmd struct {
	DBFlag
	Out string `required:"" help:"The copy: a new file (mode 0600); an existing one is refused."`
}

// Run implements the command.
func (c *BackupCmd) Run(env *Env) error {
	size, err := app.Backup(env.Ctx, c.DB, c.Out)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s (%d bytes); check it with: auditkeep verify --db %s\n", c.DB, c.Out, size, c.Out)
	return nil
}
