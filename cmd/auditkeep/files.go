package main

import (
	"log/slog"
	"os"
)

// warnFileModes warns when the SQLite database or its journal can be read
// by others than its owner: it holds every tenant's log. Files auditkeep
// creates are 0600; an older or copied one may not be, and changing an
// operator's file behind their back is not the service's call.
func warnFileModes(log *slog.Logger, st any) {
	db, ok := st.(interface{ Path() string })
	if !ok {
		return
	}
	for _, path := range []string{db.Path(), db.Path() + "-wal", db.Path() + "-shm"} {
		fi, err := os.Lstat(path)
		if err != nil {
			continue
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			log.Warn("database file is readable or writable by others than its owner; make it private with chmod 600",
				slog.String("file", path), slog.String("mode", perm.String()))
		}
	}
}
